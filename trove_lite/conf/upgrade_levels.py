"""[upgrade_levels]: RPC version caps for rolling upgrades.

During an upgrade, old and new services share the bus; capping the version
a client sends keeps new senders understandable to old receivers.
"""

from oslo_config import cfg

upgrade_levels_opts = [
    cfg.StrOpt('taskmanager', default='latest',
               help='Highest RPC version sent to taskmanagers, or latest.'),
    cfg.StrOpt('conductor', default='latest',
               help='Highest RPC version sent to conductors, or latest.'),
    cfg.StrOpt('guestagent', default='latest',
               help='Highest RPC version sent to guest agents, or latest.'),
]


def register_opts(conf):
    conf.register_opts(upgrade_levels_opts, group='upgrade_levels')


def list_opts():
    return {'upgrade_levels': upgrade_levels_opts}
