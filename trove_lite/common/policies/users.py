"""Policy rules for the users of an instance and their access to its
databases (upstream's names).
"""

from oslo_policy import policy

from trove_lite.common.policies import base

PATH = '/v1.0/{project_id}/instances/{instance_id}/users'
USER = PATH + '/{user}'
ACCESS = USER + '/databases'


def _rule(name, description, method, path):
    return policy.DocumentedRuleDefault(
        'instance:extension:' + name, base.RULE_ADMIN_OR_OWNER,
        description, [{'path': path, 'method': method}])


rules = [
    _rule('user:index', 'List the users of an instance.', 'GET', PATH),
    _rule('user:create', 'Create users on an instance.', 'POST', PATH),
    _rule('user:update_all', 'Change the passwords of users of an '
          'instance.', 'PUT', PATH),
    _rule('user:show', 'Show a user of an instance.', 'GET', USER),
    _rule('user:update', 'Rename a user of an instance, move it to '
          'another host or change its password.', 'PUT', USER),
    _rule('user:delete', 'Delete a user of an instance.', 'DELETE', USER),
    _rule('user_access:index', 'List the databases a user may access.',
          'GET', ACCESS),
    _rule('user_access:update', 'Grant a user access to databases.', 'PUT',
          ACCESS),
    _rule('user_access:delete', "Revoke a user's access to a database.",
          'DELETE', ACCESS + '/{database}'),
]


def list_rules():
    return rules
