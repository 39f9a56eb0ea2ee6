"""[conductor] options: the reconcilers the conductor runs."""

from oslo_config import cfg

conductor_opts = [
    cfg.ListOpt('reconcilers', default=['expire_tasks', 'orphaned_backups'],
                help='Reconcilers the conductor runs every '
                     'reconcile_interval seconds: names of entry points in '
                     'namespace trove_lite.conductor.reconcilers.'),
]


def register_opts(conf):
    conf.register_opts(conductor_opts, group='conductor')


def list_opts():
    return {'conductor': conductor_opts}
