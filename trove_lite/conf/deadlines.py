"""[DEFAULT] options: the deadlines of backups' and clusters' tasks.

The instances' own are in ``conf/instances.py``; each transitional task
of a resource kind names one of these in ``common/state_machine.py``.
"""

from oslo_config import cfg

deadline_opts = [
    cfg.IntOpt('backup_timeout', default=3600, min=1,
               help='Seconds a backup may stay in each of NEW, BUILDING '
                    'and SAVING before the conductor marks it FAILED with '
                    'a fault.'),
    cfg.IntOpt('backup_delete_timeout', default=600, min=1,
               help='Seconds a backup delete may take before the backup '
                    'goes to DELETE_FAILED with a fault (delete can then '
                    'be retried).'),
    cfg.IntOpt('cluster_usage_timeout', default=36000, min=1,
               help='Seconds a cluster may take to build before it goes to '
                    'an error task with a fault.'),
    cfg.IntOpt('cluster_delete_time_out', default=300, min=1,
               help='Seconds a cluster delete may take before the cluster '
                    'goes to an error task with a fault.'),
    cfg.IntOpt('cluster_change_timeout', default=3600, min=1,
               help='Seconds a change of a cluster (add a shard, grow, '
                    'shrink, upgrade, restart, update) may take before the '
                    'cluster goes to an error task with a fault.'),
]


def register_opts(conf):
    conf.register_opts(deadline_opts)


def list_opts():
    return {'DEFAULT': deadline_opts}
