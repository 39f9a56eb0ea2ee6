"""Bodies of the instance API (upstream's instance schemas)."""

import copy

from trove_lite.api.schemas import common

flavorref = {'oneOf': [common.non_empty_string, {'type': 'integer'}]}

volume_size = {'oneOf': [
    {'type': 'integer', 'minimum': 1},
    {'type': 'string', 'minLength': 1, 'maxLength': 40,
     'pattern': '^0*[1-9][0-9]*$'},
]}

volume = {
    'type': 'object',
    'required': ['size'],
    'properties': {
        'size': volume_size,
        'type': {'oneOf': [common.non_empty_string, {'type': 'null'}]},
    },
}

ip_address_v4 = {
    'type': 'string', 'minLength': 7, 'maxLength': 15,
    'pattern': r'^(\d{1,3}\.){3}\d{1,3}$',
}

nics = {
    'type': 'array', 'maxItems': 1,
    'items': {
        'type': 'object',
        'additionalProperties': False,
        'properties': {
            'net-id': common.uuid,
            'network_id': common.uuid,
            'subnet_id': common.uuid,
            'ip_address': ip_address_v4,
        },
    },
}

# NOTE(compat): upstream's shape; the values (octets up to 255) are
# checked by ``common.access.check_cidrs``.
access = {
    'type': 'object',
    'properties': {
        'is_public': {'type': 'boolean'},
        'allowed_cidrs': {
            'type': 'array', 'uniqueItems': True,
            'items': {'type': 'string',
                      'pattern': r'^(\d{1,3}\.){3}\d{1,3}'
                                 r'(/([0-9]|[12][0-9]|3[0-2]))?$'},
        },
    },
}

# An update's access names nothing else (upstream's update schema).
access_update = dict(access, additionalProperties=False)

restore_point = {
    'type': 'object',
    'required': ['backupRef'],
    'properties': {'backupRef': common.uuid},
}

datastore = {
    'type': 'object',
    'properties': {
        'type': common.non_empty_string,
        'version': common.non_empty_string,
        'version_number': common.non_empty_string,
    },
}

create = {
    'type': 'object',
    'required': ['instance'],
    'properties': {
        'instance': {
            'type': 'object',
            'required': ['name'],
            'properties': {
                'name': common.non_empty_string,
                'flavorRef': flavorref,
                'volume': volume,
                'databases': common.databases_def,
                'users': common.users_list,
                'datastore': datastore,
                'availability_zone': common.non_empty_string,
                'region_name': common.non_empty_string,
                'nics': nics,
                'access': access,
                'replica_of': common.uuid,
                'replica_count': {'type': 'integer', 'minimum': 1,
                                  'maximum': 3},
                # trove_lite: automatic failover of a replication source.
                'failover': {'type': 'boolean'},
                'locality': common.non_empty_string,
                'restorePoint': restore_point,
            },
        },
    },
}

update = {
    'type': 'object',
    'required': ['instance'],
    'properties': {
        'instance': {
            'type': 'object',
            'additionalProperties': False,
            'properties': {
                'name': common.non_empty_string,
                'replica_of': {},
                'configuration': {'oneOf': [common.uuid, {'type': 'null'}]},
                'datastore_version': common.non_empty_string,
                'access': access_update,
                'failover': {'type': 'boolean'},
            },
        },
    },
}

# NOTE(compat): PATCH takes what PUT takes, and upstream's ``slave_of``
# (detach, as ``replica_of``).
edit = copy.deepcopy(update)
edit['properties']['instance']['properties']['slave_of'] = {}

_empty = {'type': 'object'}

action = {
    'type': 'object',
    'minProperties': 1,
    'maxProperties': 1,
    'properties': {
        'restart': _empty,
        'reset_status': _empty,
        'resize': _empty,
        'promote_to_replica_source': _empty,
        'eject_replica_source': _empty,
    },
    'additionalProperties': False,
}

# The ``resize`` action, by the key inside it (upstream's schemas).
resize_volume = {
    'type': 'object',
    'required': ['resize'],
    'properties': {
        'resize': {
            'type': 'object',
            'required': ['volume'],
            'properties': {'volume': volume},
        },
    },
}

resize_flavor = {
    'type': 'object',
    'required': ['resize'],
    'properties': {
        'resize': {
            'type': 'object',
            'required': ['flavorRef'],
            'properties': {'flavorRef': flavorref},
        },
    },
}

mgmt_action = {
    'type': 'object',
    'minProperties': 1,
    'maxProperties': 1,
    'properties': {
        'reboot': _empty, 'stop': _empty, 'reset-task-status': _empty,
        'migrate': {'type': 'object',
                    'properties': {'host': common.non_empty_string}},
        # NOTE(compat): upstream's rebuild allows no other key.
        'rebuild': {'type': 'object', 'required': ['image_id'],
                    'additionalProperties': False,
                    'properties': {'image_id': common.uuid}},
    },
    'additionalProperties': False,
}
