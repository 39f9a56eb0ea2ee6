"""Body of ``POST /instances/{id}/backup_schedules`` (trove_lite's own
extension; upstream has none).

The pattern's syntax is checked by ``common.schedule_patterns`` after
the schema, so that its message can say what is wrong with it.
"""

from trove_lite.api.schemas import common

create = {
    'type': 'object',
    'required': ['backup_schedule'],
    'properties': {
        'backup_schedule': {
            'type': 'object',
            'required': ['name', 'pattern', 'keep'],
            'additionalProperties': False,
            'properties': {
                'name': common.non_empty_string,
                'pattern': {'type': 'string', 'minLength': 1,
                            'maxLength': 64},
                'keep': {'type': 'integer', 'minimum': 1,
                         'maximum': common.MAX_DB_INT},
                'incremental': common.boolean,
                'description': {'oneOf': [
                    {'type': 'string', 'maxLength': 512},
                    {'type': 'null'}]},
            },
        },
    },
}
