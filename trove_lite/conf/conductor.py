"""[conductor] options: the reconcilers the conductor runs, and how it
writes heartbeats and keeps instance keys."""

from oslo_config import cfg

conductor_opts = [
    cfg.ListOpt('reconcilers', default=['expire_tasks', 'orphaned_backups'],
                help='Reconcilers the conductor runs every '
                     'reconcile_interval seconds: names of entry points in '
                     'namespace trove_lite.conductor.reconcilers.'),
    cfg.FloatOpt('heartbeat_batch_interval', default=0.05, min=0,
                 help='Seconds a heartbeat may wait for others to be '
                      'written with it in one transaction (at most one per '
                      'instance: the one sent last); 0 writes each at '
                      'once. A status change wakes its waiters once the '
                      'batch is written.'),
    cfg.IntOpt('heartbeat_batch_size', default=500, min=1,
               help='Instances whose heartbeats are written in one '
                    'transaction at most; a full batch is written without '
                    'waiting for heartbeat_batch_interval.'),
    cfg.IntOpt('instance_key_cache_ttl', default=60, min=0,
               help='Seconds the conductor keeps an instance\'s sealing '
                    'key in memory after reading it from the database; 0 '
                    'reads it for every sealed token. A deleted instance\'s '
                    'reports are refused either way.'),
]


def register_opts(conf):
    conf.register_opts(conductor_opts, group='conductor')


def list_opts():
    return {'conductor': conductor_opts}
