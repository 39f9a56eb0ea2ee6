"""Bodies of the user and user-access routes of an instance (upstream's
user and user_access schemas).
"""

from trove_lite.api.schemas import common

create = {
    'type': 'object',
    'required': ['users'],
    'properties': {'users': common.users_list},
}

# PUT /users: change the passwords of several users.
update_all = create

# PUT /users/{user}: rename, move or change the password of one user.
update = {
    'type': 'object',
    'required': ['user'],
    'properties': {
        'user': {
            'type': 'object',
            'minProperties': 1,
            'properties': {
                'name': common.name_string,
                'password': common.non_empty_string,
                'host': common.host_string,
            },
        },
    },
}

# PUT /users/{user}/databases: grant access.
grant = {
    'type': 'object',
    'required': ['databases'],
    'properties': {'databases': common.databases_ref},
}
