"""Base rules the resource rules are built from: secure-RBAC personas.

Keystone's bootstrap creates three roles that imply one another
(``admin`` implies ``member`` implies ``reader``), and a project-scoped
token carries the implied roles too. The defaults use them the way the
rest of OpenStack does (Nova's and Cinder's rule names):

- ``project_reader_or_admin`` guards every read: a reader (or anyone
  above) of the project that owns the resource, or an administrator.
- ``project_member_or_admin`` guards every change: a member of the owning
  project, or an administrator. A reader cannot change anything.
- ``admin`` guards the management API.

Upstream Trove still defaults every route to ``admin_or_owner`` (any role
in the owning project). That rule stays registered, and each resource rule
names its old default as an oslo.policy deprecated rule, so an operator's
policy file that refers to ``admin_or_owner`` keeps working, and setting
``[oslo_policy] enforce_new_defaults = False`` brings the old behaviour
back (oslo.policy then ORs the old default with the new one). The target's
``tenant`` key is the owner's project, as upstream's check strings expect.
"""

from oslo_policy import policy

RULE_ADMIN = 'rule:admin'
RULE_ADMIN_OR_OWNER = 'rule:admin_or_owner'
RULE_PROJECT_READER_OR_ADMIN = 'rule:project_reader_or_admin'
RULE_PROJECT_MEMBER_OR_ADMIN = 'rule:project_member_or_admin'
RULE_ANY = ''

# Every route names a project in its URL; none is meant for a system- or
# domain-scoped token.
SCOPE = ['project']
DEPRECATED_SINCE = '0.2.0'
DEPRECATED_REASON = (
    'The defaults now tell the reader, member and admin roles apart (secure '
    'RBAC): a reader of a project may look but not change anything.')

rules = [
    policy.RuleDefault('context_is_admin', 'role:admin',
                       description='Decides who is an administrator.'),
    policy.RuleDefault('admin', 'role:admin or is_admin:True',
                       description='Must be an administrator.'),
    policy.RuleDefault('admin_or_owner',
                       'rule:admin or project_id:%(tenant)s',
                       description='Must be an administrator or have any '
                                   'role in the project that owns the '
                                   'resource (the deprecated defaults).'),
    policy.RuleDefault('project_reader',
                       'role:reader and project_id:%(tenant)s',
                       description='Has the reader role (or a role that '
                                   'implies it) in the project that owns '
                                   'the resource.'),
    policy.RuleDefault('project_member',
                       'role:member and project_id:%(tenant)s',
                       description='Has the member role (or a role that '
                                   'implies it) in the project that owns '
                                   'the resource.'),
    policy.RuleDefault('project_reader_or_admin',
                       'rule:project_reader or rule:admin',
                       description='May read a resource of the project.'),
    policy.RuleDefault('project_member_or_admin',
                       'rule:project_member or rule:admin',
                       description='May change a resource of the project.'),
    policy.RuleDefault('default', RULE_PROJECT_MEMBER_OR_ADMIN,
                       description='Rule for anything not listed.'),
]


def op(method, path):
    """The ``operations`` of a rule that guards one ``method`` on ``path``."""
    return [{'path': path, 'method': method}]


def _documented(name, check_str, old_check_str, description, operations):
    deprecated = None
    if old_check_str is not None:
        deprecated = policy.DeprecatedRule(
            name, old_check_str, deprecated_reason=DEPRECATED_REASON,
            deprecated_since=DEPRECATED_SINCE)
    return policy.DocumentedRuleDefault(
        name, check_str, description, operations, scope_types=SCOPE,
        deprecated_rule=deprecated)


def reader(name, description, operations, old=RULE_ADMIN_OR_OWNER):
    """A read rule: ``project_reader_or_admin``, ``old`` deprecated."""
    return _documented(name, RULE_PROJECT_READER_OR_ADMIN, old, description,
                       operations)


def member(name, description, operations, old=RULE_ADMIN_OR_OWNER):
    """A change rule: ``project_member_or_admin``, ``old`` deprecated."""
    return _documented(name, RULE_PROJECT_MEMBER_OR_ADMIN, old, description,
                       operations)


def admin(name, description, operations):
    """A management rule: administrators only (unchanged, so no
    deprecated rule).
    """
    return _documented(name, RULE_ADMIN, None, description, operations)


def list_rules():
    return rules
