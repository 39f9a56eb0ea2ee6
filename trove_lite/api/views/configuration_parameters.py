"""Shapes of configuration parameter rules (``Param`` and ``MgmtParam``).

Upstream's tenant view names the bounds ``min``/``max`` and leaves out a
bound that is unset or zero; the management view names them
``min_size``/``max_size``. Bounds are stored as strings (the column is
upstream's ``VARCHAR(40)``) and shown as numbers: ints when whole.
"""


def _number(value):
    if value is None or value == '':
        return None
    number = float(value)
    return int(number) if number == int(number) else number


def _base(row):
    return {
        'name': row.name,
        'datastore_version_id': row.datastore_version_id,
        'restart_required': bool(row.restart_required),
        'type': row.data_type,
    }


def parameter(row):
    """``Param``: the tenant's view of a rule."""
    view = _base(row)
    for key, value in (('max', row.max_size), ('min', row.min_size)):
        number = _number(value)
        if number:
            view[key] = number
    return view


def mgmt_parameter(row):
    """``MgmtParam``: the management API's view of a rule."""
    view = _base(row)
    for key, value in (('max_size', row.max_size),
                       ('min_size', row.min_size)):
        number = _number(value)
        if number is not None:
            view[key] = number
    return view
