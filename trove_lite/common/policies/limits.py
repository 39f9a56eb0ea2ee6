"""Policy rules for limits."""

from trove_lite.common.policies import base

rules = [
    base.reader('limits:index',
                'Show the absolute and rate limits of a project.',
                [{'path': '/v1.0/{project_id}/limits', 'method': 'GET'}]),
]


def list_rules():
    return rules
