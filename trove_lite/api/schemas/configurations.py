"""Bodies of the configuration group API (upstream's
``configuration.create``, ``update`` and ``edit``).
"""

from trove_lite.api.schemas import common

_values = {'type': 'object', 'maxProperties': 200}
_datastore = {
    'type': 'object',
    'additionalProperties': True,
    'properties': {
        'type': common.non_empty_string,
        'version': common.non_empty_string,
        'version_number': common.non_empty_string,
    },
}
_name = dict(common.non_empty_string, maxLength=64)
_description = dict(common.non_empty_string, maxLength=256)


def _wrapped(required, properties):
    return {
        'type': 'object',
        'required': ['configuration'],
        'additionalProperties': True,
        'properties': {
            'configuration': {
                'type': 'object',
                'required': required,
                'additionalProperties': True,
                'properties': properties,
            },
        },
    }


create = _wrapped(['name', 'values'], {
    'name': _name, 'description': _description, 'values': _values,
    'datastore': _datastore})
update = _wrapped(['values'], {
    'name': _name, 'description': _description, 'values': _values})
edit = _wrapped(['values'], {'values': _values})
