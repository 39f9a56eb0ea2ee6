"""Policy rules for datastores and datastore versions.

Datastores belong to no project; reading them needs a role in the project
of the URL. Upstream lets anyone read them, which is the deprecated
default. Changing them is the management API's job.
"""

from trove_lite.common.policies import base

PATH = '/v1.0/{project_id}/datastores'
MGMT_PATH = '/v1.0/{project_id}/mgmt/datastore-versions'


def _read(name, description, path):
    return base.reader(name, description, base.op('GET', path),
                       old=base.RULE_ANY)


rules = [
    _read('datastore:index', 'List datastores.', PATH),
    _read('datastore:show', 'Show a datastore.', PATH + '/{datastore}'),
    base.admin('datastore:delete', 'Delete a datastore.',
               base.op('DELETE', PATH + '/{datastore}')),
    _read('datastore:version_index', 'List the versions of a datastore.',
          PATH + '/{datastore}/versions'),
    _read('datastore:version_show',
          'Show a datastore version by datastore and version name or id.',
          PATH + '/{datastore}/versions/{version}'),
    _read('datastore:version_show_by_uuid',
          'Show a datastore version by its id.',
          PATH + '/versions/{version_id}'),
    _read('datastore:list_associated_flavors',
          'List the flavors a datastore version may run on.',
          PATH + '/{datastore}/versions/{version_id}/flavors'),
    base.admin('mgmt:datastore_version:index',
               'List every datastore version (management API).',
               base.op('GET', MGMT_PATH)),
    base.admin('mgmt:datastore_version:show',
               'Show a datastore version (management API).',
               base.op('GET', MGMT_PATH + '/{version_id}')),
    base.admin('mgmt:datastore_version:create',
               'Register a datastore version (management API).',
               base.op('POST', MGMT_PATH)),
    base.admin('mgmt:datastore_version:edit',
               'Change a datastore version (management API).',
               base.op('PATCH', MGMT_PATH + '/{version_id}')),
    base.admin('mgmt:datastore_version:delete',
               'Delete a datastore version (management API).',
               base.op('DELETE', MGMT_PATH + '/{version_id}')),
]


def list_rules():
    return rules
