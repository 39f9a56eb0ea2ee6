"""Policy rules for instances (upstream's names)."""

from trove_lite.common.policies import base

PATH = '/v1.0/{project_id}/instances'
INSTANCE = PATH + '/{instance_id}'
MGMT_PATH = '/v1.0/{project_id}/mgmt/instances'


rules = [
    base.member('instance:create', 'Create a database instance.',
                base.op('POST', PATH)),
    base.reader('instance:index', 'List database instances.',
                base.op('GET', PATH)),
    base.reader('instance:detail', 'List database instances with details.',
                base.op('GET', PATH + '/detail')),
    base.reader('instance:show', 'Show a database instance.',
                base.op('GET', INSTANCE)),
    base.member('instance:update', 'Rename a database instance.',
                base.op('PUT', INSTANCE) + base.op('PATCH', INSTANCE)),
    base.member('instance:delete', 'Delete a database instance.',
                base.op('DELETE', INSTANCE)),
    base.member('instance:force_delete',
                'Delete a database instance while something runs on it (a '
                'task such as BUILD or REBOOT, or an operation holding '
                'it): the delete takes the running operation over. Checked '
                'in addition to instance:delete; deleting an idle instance '
                '(no task, or a failed one) checks instance:delete only. '
                'As upstream, also checked instead of instance:reset_status '
                'for a reset_status action that carries force_delete.',
                base.op('DELETE', INSTANCE)
                + base.op('POST', INSTANCE + '/action')),
    base.reader('instance:backups', 'List the backups of an instance.',
                base.op('GET', INSTANCE + '/backups')),
    base.member('instance:restart', 'Restart the datastore of an instance.',
                base.op('POST', INSTANCE + '/action')),
    base.member('instance:resize_volume',
                'Grow the data volume of an instance (and of its '
                'replicas).',
                base.op('POST', INSTANCE + '/action')),
    base.member('instance:resize_flavor',
                'Change the flavor of an instance.',
                base.op('POST', INSTANCE + '/action')),
    base.member('instance:promote_to_replica_source',
                'Promote a replica to be the source of its group.',
                base.op('POST', INSTANCE + '/action')),
    base.member('instance:eject_replica_source',
                'Eject the lost source of a replication group: its most '
                'advanced replica becomes the source.',
                base.op('POST', INSTANCE + '/action')),
    base.reader('instance:guest_log_list',
                'List the guest logs of an instance, or show one (a POST '
                'that asks for no action).',
                base.op('GET', INSTANCE + '/log')
                + base.op('POST', INSTANCE + '/log')),
    base.member('instance:guest_log_action',
                'Enable, disable, publish or discard a guest log of an '
                'instance.',
                base.op('POST', INSTANCE + '/log')),
    base.admin('instance:reset_status',
               'Reset the status of an instance (clears a stuck task).',
               base.op('POST', INSTANCE + '/action')),
    base.admin('mgmt:instance:index',
               'List the instances of every project (management API).',
               base.op('GET', MGMT_PATH)),
    base.admin('mgmt:instance:show', 'Show any instance (management API).',
               base.op('GET', MGMT_PATH + '/{instance_id}')),
    base.admin('mgmt:instance:action',
               'Act on any instance (management API).',
               base.op('POST', MGMT_PATH + '/{instance_id}/action')),
    base.admin('mgmt:instance:root',
               'Show the root history of any instance (management API).',
               base.op('GET', MGMT_PATH + '/{instance_id}/root')),
    base.admin('mgmt:instance:rpc_ping',
               'Ask whether the guest agent of any instance answers '
               '(management API).',
               base.op('GET', MGMT_PATH + '/{instance_id}/rpc_ping')),
]


def list_rules():
    return rules
