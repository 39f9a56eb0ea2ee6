"""Policy rules for the databases of an instance (upstream's names)."""

from oslo_policy import policy

from trove_lite.common.policies import base

PATH = '/v1.0/{project_id}/instances/{instance_id}/databases'


def _rule(name, description, method, path):
    return policy.DocumentedRuleDefault(
        'instance:extension:database:' + name, base.RULE_ADMIN_OR_OWNER,
        description, [{'path': path, 'method': method}])


rules = [
    _rule('index', 'List the databases of an instance.', 'GET', PATH),
    _rule('create', 'Create databases on an instance.', 'POST', PATH),
    _rule('delete', 'Delete a database of an instance.', 'DELETE',
          PATH + '/{database}'),
    _rule('show', 'Show a database of an instance (not implemented, as '
          'upstream).', 'GET', PATH + '/{database}'),
]


def list_rules():
    return rules
