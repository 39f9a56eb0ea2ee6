"""Policy rules for flavors.

Flavors belong to no project; reading them needs a role in the project
of the URL. Upstream lets anyone read them, which is the deprecated
default.
"""

from trove_lite.common.policies import base

PATH = '/v1.0/{project_id}/flavors'

rules = [
    base.reader('flavor:index', 'List flavors.',
                base.op('GET', PATH), old=base.RULE_ANY),
    base.reader('flavor:show', 'Show a flavor.',
                base.op('GET', PATH + '/{flavor_id}'),
                old=base.RULE_ANY),
]


def list_rules():
    return rules
