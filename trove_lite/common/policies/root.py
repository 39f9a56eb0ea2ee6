"""Policy rules for the superuser of an instance (upstream's names)."""

from oslo_policy import policy

from trove_lite.common.policies import base

PATH = '/v1.0/{project_id}/instances/{instance_id}/root'


def _rule(name, description, method):
    return policy.DocumentedRuleDefault(
        'instance:extension:root:' + name, base.RULE_ADMIN_OR_OWNER,
        description, [{'path': PATH, 'method': method}])


rules = [
    _rule('index', 'Show whether root is enabled on an instance.', 'GET'),
    _rule('create', 'Enable root on an instance (returns its password).',
          'POST'),
    _rule('delete', 'Disable root on an instance.', 'DELETE'),
]


def list_rules():
    return rules
