"""Policy rules for the configuration parameters of datastore versions.

Reading them is like reading the datastores they belong to (a role in the
project of the URL; upstream lets anyone); changing them is the
management API's job.
"""

from trove_lite.common.policies import base

PATH = '/v1.0/{project_id}/datastores'
MGMT_PATH = ('/v1.0/{project_id}/mgmt/datastores/versions/{version_id}'
             '/parameters')


def _read(name, description, path):
    return base.reader(name, description, base.op('GET', path),
                       old=base.RULE_ANY)


rules = [
    _read('configuration-parameter:index',
          'List the configuration parameters of a datastore version.',
          PATH + '/{datastore}/versions/{version}/parameters'),
    _read('configuration-parameter:show',
          'Show a configuration parameter of a datastore version.',
          PATH + '/{datastore}/versions/{version}/parameters/{name}'),
    _read('configuration-parameter:index_by_version',
          'List the configuration parameters of a datastore version, by '
          'the version\'s id.',
          PATH + '/versions/{version_id}/parameters'),
    _read('configuration-parameter:show_by_version',
          'Show a configuration parameter of a datastore version, by the '
          'version\'s id.',
          PATH + '/versions/{version_id}/parameters/{name}'),
    base.admin('mgmt:configuration_parameter:index',
               'List the parameter rules of a datastore version '
               '(management API).', base.op('GET', MGMT_PATH)),
    base.admin('mgmt:configuration_parameter:show',
               'Show a parameter rule (management API).',
               base.op('GET', MGMT_PATH + '/{name}')),
    base.admin('mgmt:configuration_parameter:create',
               'Add a parameter rule (management API).',
               base.op('POST', MGMT_PATH)),
    base.admin('mgmt:configuration_parameter:update',
               'Replace a parameter rule (management API).',
               base.op('PUT', MGMT_PATH + '/{name}')),
    base.admin('mgmt:configuration_parameter:delete',
               'Delete a parameter rule (management API).',
               base.op('DELETE', MGMT_PATH + '/{name}')),
]


def list_rules():
    return rules
