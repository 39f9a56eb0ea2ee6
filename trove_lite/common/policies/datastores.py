"""Policy rules for datastores and datastore versions."""

from oslo_policy import policy

from trove_lite.common.policies import base

PATH = '/v1.0/{project_id}/datastores'
MGMT_PATH = '/v1.0/{project_id}/mgmt/datastore-versions'

rules = [
    policy.DocumentedRuleDefault(
        'datastore:index', base.RULE_ANY, 'List datastores.',
        [{'path': PATH, 'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        'datastore:show', base.RULE_ANY, 'Show a datastore.',
        [{'path': PATH + '/{datastore}', 'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        'datastore:delete', base.RULE_ADMIN, 'Delete a datastore.',
        [{'path': PATH + '/{datastore}', 'method': 'DELETE'}]),
    policy.DocumentedRuleDefault(
        'datastore:version_index', base.RULE_ANY,
        'List the versions of a datastore.',
        [{'path': PATH + '/{datastore}/versions', 'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        'datastore:version_show', base.RULE_ANY,
        'Show a datastore version by datastore and version name or id.',
        [{'path': PATH + '/{datastore}/versions/{version}',
          'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        'datastore:version_show_by_uuid', base.RULE_ANY,
        'Show a datastore version by its id.',
        [{'path': PATH + '/versions/{version_id}', 'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        'datastore:list_associated_flavors', base.RULE_ANY,
        'List the flavors a datastore version may run on.',
        [{'path': PATH + '/{datastore}/versions/{version_id}/flavors',
          'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        'mgmt:datastore_version:index', base.RULE_ADMIN,
        'List every datastore version (management API).',
        [{'path': MGMT_PATH, 'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        'mgmt:datastore_version:show', base.RULE_ADMIN,
        'Show a datastore version (management API).',
        [{'path': MGMT_PATH + '/{version_id}', 'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        'mgmt:datastore_version:create', base.RULE_ADMIN,
        'Register a datastore version (management API).',
        [{'path': MGMT_PATH, 'method': 'POST'}]),
    policy.DocumentedRuleDefault(
        'mgmt:datastore_version:edit', base.RULE_ADMIN,
        'Change a datastore version (management API).',
        [{'path': MGMT_PATH + '/{version_id}', 'method': 'PATCH'}]),
    policy.DocumentedRuleDefault(
        'mgmt:datastore_version:delete', base.RULE_ADMIN,
        'Delete a datastore version (management API).',
        [{'path': MGMT_PATH + '/{version_id}', 'method': 'DELETE'}]),
]


def list_rules():
    return rules
