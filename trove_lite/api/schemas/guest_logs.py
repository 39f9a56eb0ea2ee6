"""Body of ``POST /instances/{id}/log`` (upstream's ``guest_log``
schema): a log name and the actions, each ``1``/``0`` as troveclient
sends them, or a JSON boolean.
"""

flag = {'oneOf': [{'type': 'boolean'},
                  {'type': 'integer', 'minimum': 0, 'maximum': 1}]}

action = {
    'type': 'object',
    'required': ['name'],
    'additionalProperties': False,
    'properties': {
        'name': {'type': 'string', 'minLength': 1, 'maxLength': 64,
                 'pattern': '^[A-Za-z0-9_.-]+$'},
        'enable': flag,
        'disable': flag,
        'publish': flag,
        'discard': flag,
    },
}
