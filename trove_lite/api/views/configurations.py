"""Shapes of configuration groups (upstream's ``ConfigView`` and
``DetailedConfigView``).
"""

from trove_lite.api.views import common


def configuration(row, version):
    """``ConfigView``: what a list shows of a group."""
    return {
        'id': row.id,
        'name': row.name,
        'description': row.description,
        'created': common.timestamp(row.created),
        'updated': common.timestamp(row.updated),
        'datastore_version_id': row.datastore_version_id,
        'datastore_name': version.datastore.name,
        'datastore_version_name': version.name,
    }


def detail(row, version, values, instance_count):
    """``DetailedConfigView``: a group with its values."""
    view = configuration(row, version)
    view.update(values=values, instance_count=instance_count,
                datastore_version_number=version.version)
    return view


def attached(row):
    """An instance in a group's ``instances`` list."""
    return {'id': row.id, 'name': row.name}


def instance_link(req, group):
    """The ``configuration`` of an instance's detail view."""
    return {'id': group.id, 'name': group.name,
            'links': common.links(req, 'configurations', group.id)}
