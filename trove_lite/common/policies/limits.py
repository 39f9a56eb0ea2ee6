"""Policy rules for limits."""

from trove_lite.common.policies import base

rules = [
    base.reader('limits:index',
                'Show the absolute and rate limits of a project.',
                base.op('GET', '/v1.0/{project_id}/limits')),
]


def list_rules():
    return rules
