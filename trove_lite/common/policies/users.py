"""Policy rules for the users of an instance and their access to its
databases (upstream's names).
"""

from trove_lite.common.policies import base

PATH = '/v1.0/{project_id}/instances/{instance_id}/users'
USER = PATH + '/{user}'
ACCESS = USER + '/databases'
PREFIX = 'instance:extension:'


rules = [
    base.reader(PREFIX + 'user:index', 'List the users of an instance.',
                base.op('GET', PATH)),
    base.member(PREFIX + 'user:create', 'Create users on an instance.',
                base.op('POST', PATH)),
    base.member(PREFIX + 'user:update_all',
                'Change the passwords of users of an instance.',
                base.op('PUT', PATH)),
    base.reader(PREFIX + 'user:show', 'Show a user of an instance.',
                base.op('GET', USER)),
    base.member(PREFIX + 'user:update',
                'Rename a user of an instance, move it to another host or '
                'change its password.', base.op('PUT', USER)),
    base.member(PREFIX + 'user:delete', 'Delete a user of an instance.',
                base.op('DELETE', USER)),
    base.reader(PREFIX + 'user_access:index',
                'List the databases a user may access.', base.op('GET', ACCESS)),
    base.member(PREFIX + 'user_access:update',
                'Grant a user access to databases.', base.op('PUT', ACCESS)),
    base.member(PREFIX + 'user_access:delete',
                "Revoke a user's access to a database.",
                base.op('DELETE', ACCESS + '/{database}')),
]


def list_rules():
    return rules
