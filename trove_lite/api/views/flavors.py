"""Shape of a flavor."""

from trove_lite.api.views import common


def flavor(req, row):
    # NOTE(compat): ``id`` is an int when the id is a plain number with no
    # leading zero, else null; ``str_id`` always carries the string.
    numeric = row.id.isdigit() and (row.id == '0' or row.id[0] != '0')
    return {
        'id': int(row.id) if numeric else None,
        'str_id': row.id,
        'links': common.links(req, 'flavors', row.id),
        'name': row.name,
        'ram': row.ram,
        'vcpus': row.vcpus,
        'disk': row.disk,
        'ephemeral': row.ephemeral,
        'local_storage': row.ephemeral,
    }
