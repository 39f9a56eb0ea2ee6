"""[taskmanager] options: how many workflows run at once."""

from oslo_config import cfg

taskmanager_opts = [
    cfg.IntOpt('flow_workers', default=16, min=1,
               help='Threads running workflows (create, delete, restart) '
                    'in one taskmanager; further requests wait their '
                    'turn.'),
]


def register_opts(conf):
    conf.register_opts(taskmanager_opts, group='taskmanager')


def list_opts():
    return {'taskmanager': taskmanager_opts}
