"""[taskmanager] options: how many workflows run at once, and how often
a cloud driver's flavors are copied into the flavor catalogue.
"""

from oslo_config import cfg

taskmanager_opts = [
    cfg.IntOpt('flow_workers', default=16, min=1,
               help='Threads running workflows (create, delete, restart) '
                    'in one taskmanager; further requests wait their '
                    'turn.'),
    cfg.IntOpt('flavor_sync_interval', default=600, min=0,
               help='Seconds between two copies of the compute driver\'s '
                    'flavors (Nova\'s) into the flavor catalogue the API '
                    'lists and the quotas count; 0 copies them only when '
                    'the taskmanager starts. Drivers whose flavors are the '
                    'catalogue itself (local, fake) need no copy.'),
]


def register_opts(conf):
    conf.register_opts(taskmanager_opts, group='taskmanager')


def list_opts():
    return {'taskmanager': taskmanager_opts}
