"""Base rules the resource rules are built from (upstream's names)."""

from oslo_policy import policy

RULE_ADMIN = 'rule:admin'
RULE_ADMIN_OR_OWNER = 'rule:admin_or_owner'
RULE_ANY = ''

rules = [
    policy.RuleDefault('context_is_admin', 'role:admin',
                       description='Decides who is an administrator.'),
    policy.RuleDefault('admin', 'role:admin or is_admin:True',
                       description='Must be an administrator.'),
    policy.RuleDefault('admin_or_owner',
                       'rule:admin or project_id:%(tenant)s',
                       description='Must be an administrator or own the '
                                   'resource.'),
    policy.RuleDefault('default', 'rule:admin_or_owner',
                       description='Rule for anything not listed.'),
]


def list_rules():
    return rules
