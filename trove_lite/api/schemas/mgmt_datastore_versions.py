"""Bodies of the management datastore-version API."""

from trove_lite.api.schemas import common

_fields = {
    'name': common.non_empty_string,
    'datastore_name': common.non_empty_string,
    'datastore_manager': common.non_empty_string,
    'image': common.uuid_or_empty,
    'image_tags': common.image_tags,
    'packages': common.package_list,
    'active': common.boolean,
    'default': common.boolean,
    'registry_ext': {'type': ['string', 'null'], 'maxLength': 1024},
    'repl_strategy': {'type': ['string', 'null'], 'maxLength': 1024},
    'version': common.non_empty_string,
}

create = {
    'type': 'object',
    'required': ['version'],
    'additionalProperties': True,
    'properties': {
        'version': {
            'type': 'object',
            'required': ['name', 'datastore_name', 'datastore_manager',
                         'active'],
            'additionalProperties': False,
            'properties': _fields,
        },
    },
}

edit = {
    'type': 'object',
    'minProperties': 1,
    'additionalProperties': False,
    'properties': {key: _fields[key] for key in (
        'name', 'image', 'image_tags', 'packages', 'active', 'default',
        'registry_ext', 'repl_strategy')},
}
