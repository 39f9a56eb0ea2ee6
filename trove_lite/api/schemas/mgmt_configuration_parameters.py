"""Bodies of the management configuration-parameter API.

What troveclient's ``MgmtConfigurationParameters`` sends:
``{"configuration-parameter": {name, data_type, restart_required (0 or
1), max_size, min_size}}``. The rule's own consistency (a known type,
bounds only on numbers, min not above max) is checked by
``common.validation_rules``, as for a rules file.
"""

from trove_lite.api.schemas import common

_number = {'type': ['number', 'string'], 'maxLength': 40}

parameter = {
    'type': 'object',
    'required': ['configuration-parameter'],
    'additionalProperties': True,
    'properties': {
        'configuration-parameter': {
            'type': 'object',
            'required': ['name', 'data_type', 'restart_required'],
            'additionalProperties': False,
            'properties': {
                'name': dict(common.non_empty_string, maxLength=128),
                'data_type': common.non_empty_string,
                'restart_required': {'oneOf': [
                    {'type': 'boolean'},
                    {'type': 'integer', 'minimum': 0, 'maximum': 1}]},
                'max_size': _number,
                'min_size': _number,
            },
        },
    },
}
