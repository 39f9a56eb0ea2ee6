"""Shapes of datastores and datastore versions."""

from trove_lite.api.views import common


def _list(value):
    return [item for item in (value or '').split(',') if item]


def version(req, row, is_admin, with_datastore=True):
    view = {
        'id': row.id,
        'name': row.name,
        'version': row.version,
        'links': common.links(req, 'datastores/versions', row.id),
    }
    if with_datastore:
        view['datastore'] = row.datastore_id
    if is_admin:
        view.update(active=row.active, packages=row.packages,
                    image=row.image_id, image_tags=_list(row.image_tags),
                    registry_ext=row.registry_ext,
                    repl_strategy=row.repl_strategy)
    return view


def datastore(req, row, versions, is_admin):
    view = {
        'id': row.id,
        'name': row.name,
        'links': common.links(req, 'datastores', row.id),
        'versions': [version(req, v, is_admin, with_datastore=False)
                     for v in versions],
    }
    if row.default_version_id:
        view['default_version'] = row.default_version_id
    return view


def mgmt_version(row, default_version_id):
    """The management view (``/mgmt/datastore-versions``)."""
    return {
        'id': row.id,
        'name': row.name,
        'version': row.version,
        'datastore_id': row.datastore_id,
        'datastore_name': row.datastore.name,
        'datastore_manager': row.manager,
        'image': row.image_id,
        'image_tags': _list(row.image_tags) or [''],
        'packages': _list(row.packages) or [''],
        'active': row.active,
        'registry_ext': row.registry_ext,
        'repl_strategy': row.repl_strategy,
        'default': row.id == default_version_id,
    }
