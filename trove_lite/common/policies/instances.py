"""Policy rules for instances (upstream's names)."""

from oslo_policy import policy

from trove_lite.common.policies import base

PATH = '/v1.0/{project_id}/instances'
MGMT_PATH = '/v1.0/{project_id}/mgmt/instances'


def _rule(name, check, description, method, path):
    return policy.DocumentedRuleDefault(
        name, check, description, [{'path': path, 'method': method}])


rules = [
    _rule('instance:create', base.RULE_ADMIN_OR_OWNER,
          'Create a database instance.', 'POST', PATH),
    _rule('instance:index', base.RULE_ADMIN_OR_OWNER,
          'List database instances.', 'GET', PATH),
    _rule('instance:detail', base.RULE_ADMIN_OR_OWNER,
          'List database instances with details.', 'GET', PATH + '/detail'),
    _rule('instance:show', base.RULE_ADMIN_OR_OWNER,
          'Show a database instance.', 'GET', PATH + '/{instance_id}'),
    _rule('instance:update', base.RULE_ADMIN_OR_OWNER,
          'Rename a database instance.', 'PUT', PATH + '/{instance_id}'),
    _rule('instance:delete', base.RULE_ADMIN_OR_OWNER,
          'Delete a database instance.', 'DELETE', PATH + '/{instance_id}'),
    _rule('instance:force_delete', base.RULE_ADMIN_OR_OWNER,
          'Delete a database instance whatever its state.', 'DELETE',
          PATH + '/{instance_id}'),
    _rule('instance:restart', base.RULE_ADMIN_OR_OWNER,
          'Restart the datastore of an instance.', 'POST',
          PATH + '/{instance_id}/action'),
    _rule('instance:reset_status', base.RULE_ADMIN,
          'Reset the status of an instance (clears a stuck task).', 'POST',
          PATH + '/{instance_id}/action'),
    _rule('mgmt:instance:index', base.RULE_ADMIN,
          'List the instances of every project (management API).', 'GET',
          MGMT_PATH),
    _rule('mgmt:instance:show', base.RULE_ADMIN,
          'Show any instance (management API).', 'GET',
          MGMT_PATH + '/{instance_id}'),
    _rule('mgmt:instance:action', base.RULE_ADMIN,
          'Act on any instance (management API).', 'POST',
          MGMT_PATH + '/{instance_id}/action'),
    _rule('mgmt:instance:root', base.RULE_ADMIN,
          'Show the root history of any instance (management API).', 'GET',
          MGMT_PATH + '/{instance_id}/root'),
]


def list_rules():
    return rules
