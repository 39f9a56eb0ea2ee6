"""Policy rules for flavors."""

from oslo_policy import policy

from trove_lite.common.policies import base

PATH = '/v1.0/{project_id}/flavors'

rules = [
    policy.DocumentedRuleDefault(
        'flavor:index', base.RULE_ANY, 'List flavors.',
        [{'path': PATH, 'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        'flavor:show', base.RULE_ANY, 'Show a flavor.',
        [{'path': PATH + '/{flavor_id}', 'method': 'GET'}]),
]


def list_rules():
    return rules
