"""Policy rules for the management quota API.

Upstream has no policy rules for quotas; it lets a project read its own
quotas and gates updates on admin. These rules say the same, so an
operator can change them.
"""

from trove_lite.common.policies import base

PATH = '/v1.0/{project_id}/mgmt/quotas/{quota_project_id}'

rules = [
    base.reader('mgmt:quota:show',
                'Show the quotas and usage of a project (its own, or any '
                'for an admin).', base.op('GET', PATH)),
    base.admin('mgmt:quota:update',
               'Change the quotas of a project (management API).',
               base.op('PUT', PATH)),
]


def list_rules():
    return rules
