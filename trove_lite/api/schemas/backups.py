"""Bodies of the backup and backup strategy APIs (upstream's schemas).

``storage_driver`` is accepted, as the client may send it; a backup is
stored by the deployment's ``[backup] storage_driver``, and a request
naming another driver is refused by the controller rather than quietly
stored elsewhere. ``restore_from`` (registering a backup taken by another
deployment) is accepted by the schema so that its answer is a clear 501,
not a validation error.
"""

from trove_lite.api.schemas import common

restore_from = {
    'type': 'object',
    'required': ['remote_location', 'local_datastore_version_id', 'size'],
    'properties': {
        'remote_location': common.non_empty_string,
        'local_datastore_version_id': common.uuid,
        'size': {'type': 'number'},
    },
}

create = {
    'type': 'object',
    'required': ['backup'],
    'properties': {
        'backup': {
            'type': 'object',
            'required': ['name'],
            'properties': {
                'name': common.non_empty_string,
                'description': common.non_empty_string,
                'instance': common.uuid,
                'parent_id': common.uuid,
                # NOTE(compat): upstream's boolean_string is an integer.
                'incremental': {'type': 'integer', 'minimum': 0,
                                'maximum': 1},
                'swift_container': common.non_empty_string,
                'storage_driver': {},
                'restore_from': restore_from,
            },
        },
    },
}

strategy_create = {
    'type': 'object',
    'required': ['backup_strategy'],
    'properties': {
        'backup_strategy': {
            'type': 'object',
            'required': ['swift_container'],
            'additionalProperties': False,
            'properties': {
                'swift_container': common.non_empty_string,
                'instance_id': common.uuid,
            },
        },
    },
}
