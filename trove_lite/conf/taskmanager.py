"""[taskmanager] options: how many workflows run at once, how they wait."""

from oslo_config import cfg

taskmanager_opts = [
    cfg.IntOpt('flow_workers', default=16, min=1,
               help='Threads running workflows (create, delete, restart) '
                    'in one taskmanager; further requests wait their '
                    'turn.'),
    cfg.FloatOpt('status_poll_interval', default=2.0, min=0.01,
                 help='Seconds between two reads of an instance\'s stored '
                      'status while a workflow waits for its guest. The '
                      'conductor wakes the waiting workflow when a report '
                      'changes the status (a fanout cast to the '
                      'taskmanagers), so this is only the fallback for a '
                      'lost cast, a conductor capped below taskmanager API '
                      '1.3, or a change nobody reports (a delete taking '
                      'the instance over).'),
]


def register_opts(conf):
    conf.register_opts(taskmanager_opts, group='taskmanager')


def list_opts():
    return {'taskmanager': taskmanager_opts}
