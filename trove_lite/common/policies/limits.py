"""Policy rules for limits."""

from oslo_policy import policy

from trove_lite.common.policies import base

rules = [
    policy.DocumentedRuleDefault(
        'limits:index', base.RULE_ADMIN_OR_OWNER,
        'Show the absolute and rate limits of a project.',
        [{'path': '/v1.0/{project_id}/limits', 'method': 'GET'}]),
]


def list_rules():
    return rules
