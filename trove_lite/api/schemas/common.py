"""Schema primitives shared by the resource schemas, and validation.

The primitives follow upstream's apischema so that what upstream accepts
we accept, and errors read the same: ``Validation error: <path> <what>``
with the path written ``instance['volume']['size']``.
"""

import jsonschema

from trove_lite.common import exception

# NOTE(db): the largest value an Integer column of the infrastructure
# database holds on every backend we support (MySQL's INT is 32-bit and
# signed; SQLite's 64). An integer of a body that is stored must not
# exceed it: past it the database, not the schema, refuses, as a 500.
MAX_DB_INT = 2 ** 31 - 1

non_empty_string = {
    'type': 'string', 'minLength': 1, 'maxLength': 255,
    'pattern': '^.*[0-9a-zA-Z]+.*$',
}

name_string = {
    'type': 'string', 'minLength': 1, 'pattern': '^.*[0-9a-zA-Z]+.*$',
}

uuid = {
    'type': 'string', 'minLength': 1, 'maxLength': 64,
    'pattern': '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}'
               '-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$',
}

uuid_or_empty = {'oneOf': [uuid, {'type': 'string', 'maxLength': 0},
                           {'type': 'null'}]}

boolean = {'type': 'boolean'}

package_list = {
    'type': 'array', 'uniqueItems': True,
    'items': {'type': 'string', 'minLength': 1, 'maxLength': 255,
              'pattern': '^.*[0-9a-zA-Z]+.*$'},
}

image_tags = {
    'type': 'array', 'uniqueItems': True, 'maxItems': 5,
    'items': {'type': 'string', 'minLength': 1, 'maxLength': 20,
              'pattern': '^.*[0-9a-zA-Z]+.*$'},
}


# Databases and users (upstream's apischema names).

host_string = {
    'type': 'string', 'minLength': 1,
    'pattern': r'^[%]?[\w(-).]*[%]?$',
}

databases_ref = {
    'type': 'array', 'uniqueItems': True,
    'items': {'type': 'object', 'required': ['name'],
              'properties': {'name': non_empty_string}},
}

databases_def = {
    'type': 'array',
    'items': {
        'type': 'object',
        'required': ['name'],
        'properties': {
            'name': non_empty_string,
            'character_set': non_empty_string,
            'collate': non_empty_string,
        },
    },
}

users_list = {
    'type': 'array',
    'items': {
        'type': 'object',
        'required': ['name', 'password'],
        'properties': {
            'name': name_string,
            'password': non_empty_string,
            'host': host_string,
            'databases': databases_ref,
        },
    },
}


def _path(error):
    parts = list(error.absolute_path)
    if not parts:
        return ''
    return str(parts[0]) + ''.join('[%r]' % part for part in parts[1:])


def _describe(error):
    text = ' '.join(filter(None, (_path(error), error.message)))
    for sub in sorted(error.context or (), key=lambda e: e.message):
        text += '; %s' % sub.message
    return text


def validate(schema, body):
    """Check ``body`` against ``schema``.

    :raises ValidationError: with every violation, as upstream words it;
        or a document too deep to walk.
    :raises BadRequest: the request has no body but needs one.
    """
    if body is None:
        raise exception.BadRequest('The request needs a JSON body.')
    validator = jsonschema.Draft4Validator(schema)
    try:
        errors = sorted(validator.iter_errors(body),
                        key=lambda e: list(map(str, e.absolute_path)))
        reason = '; '.join(_describe(error) for error in errors)
    except RecursionError:
        # NOTE(limits): jsonschema and the repr in its messages recurse
        # into the document; the API refuses deep bodies before they get
        # here (wsgi.MAX_BODY_DEPTH), this is for any other caller.
        raise exception.ValidationError(
            reason='the document is nested too deeply to be validated')
    if errors:
        raise exception.ValidationError(reason=reason)
    return body
