"""[DEFAULT] quota defaults (upstream's names); a quotas row overrides them."""

from oslo_config import cfg

quota_opts = [
    cfg.IntOpt('max_instances_per_tenant', default=10, min=-1,
               help='Default instances a project may own; -1 is unlimited.'),
    cfg.IntOpt('max_ram_per_tenant', default=-1, min=-1,
               help='Default RAM (MB) a project may use; -1 is unlimited.'),
    cfg.IntOpt('max_volumes_per_tenant', default=40, min=-1,
               help='Default volume GB a project may use; -1 is unlimited.'),
    cfg.IntOpt('max_backups_per_tenant', default=50, min=-1,
               help='Default backups a project may own; -1 is unlimited.'),
]


def register_opts(conf):
    conf.register_opts(quota_opts)


def list_opts():
    return {'DEFAULT': quota_opts}
