"""[DEFAULT] options about instances: limits and the deadlines of tasks."""

from oslo_config import cfg

instance_opts = [
    cfg.StrOpt('os_region_name', default='RegionOne',
               help='Region recorded on the instances this service creates.'),
    # NOTE(db): no larger than the instances table's volume_size column
    # holds on MySQL (INT), so that an accepted size can be stored.
    cfg.IntOpt('max_accepted_volume_size', default=10, min=1,
               max=2 ** 31 - 1,
               help='Largest volume, in GB, a create request may ask for.'),
    cfg.IntOpt('build_timeout', default=600, min=1,
               help='Seconds an instance may stay in BUILD before the '
                    'conductor ends it in ERROR with a fault.'),
    cfg.IntOpt('restart_timeout', default=300, min=1,
               help='Seconds a restart may take before the instance goes '
                    'to ERROR with a fault.'),
    cfg.IntOpt('delete_timeout', default=300, min=1,
               help='Seconds a delete may take before the instance goes to '
                    'ERROR with a fault (delete can then be retried).'),
    cfg.IntOpt('resize_timeout', default=900, min=1,
               help='Seconds a resize may take before the instance goes to '
                    'ERROR with a fault.'),
    cfg.IntOpt('upgrade_timeout', default=900, min=1,
               help='Seconds a datastore version upgrade may take before '
                    'the instance goes to ERROR with a fault (a failed '
                    'upgrade is undone before that: the old version runs '
                    'again).'),
    cfg.IntOpt('replication_change_timeout', default=600, min=1,
               help='Seconds a promote, eject or detach of replicas may '
                    'take before the instances it was changing go to ERROR '
                    'with a fault.'),
    cfg.IntOpt('update_access_timeout', default=120, min=1,
               help='Seconds a change of an instance\'s access (is_public, '
                    'allowed_cidrs) may take before the instance goes to '
                    'ERROR with a fault (the change can then be tried '
                    'again).'),
    cfg.IntOpt('agent_heartbeat_expiry', default=90, min=1,
               help='Seconds after the last heartbeat at which a guest '
                    'agent counts as lost (shown as ERROR).'),
    cfg.IntOpt('report_interval', default=10, min=1,
               help='Seconds between two heartbeats of a guest agent.'),
    cfg.IntOpt('reconcile_interval', default=10, min=1,
               help='Seconds between two runs of the conductor\'s '
                    'reconcilers.'),
]


def register_opts(conf):
    conf.register_opts(instance_opts)


def list_opts():
    return {'DEFAULT': instance_opts}
