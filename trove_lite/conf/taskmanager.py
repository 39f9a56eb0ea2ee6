"""[taskmanager] options: how many workflows run at once, how they wait,
how long a taskmanager owns one before another may resume it, and how
often a cloud driver's flavors are copied into the flavor catalogue.
"""

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
                      '1.4, or a change nobody reports (a delete taking '
                      'the instance over).'),
    cfg.FloatOpt('prepare_resend_interval', default=15.0, min=1.0,
                 help='Seconds a create waits for its guest to start '
                      'preparing before it sends prepare again (a cast '
                      'lost when the broker restarted or a connection '
                      'dropped); the agent ignores a prepare while one '
                      'runs.'),
    cfg.FloatOpt('workflow_lease', default=10.0, min=1.0,
                 help='Seconds a taskmanager owns a workflow it runs '
                      'without renewing its lease (it renews every third '
                      'of it). When the lease lapses, because the '
                      'taskmanager died, another one (or the same one '
                      'started again) resumes the workflow from its last '
                      'completed step.'),
    cfg.FloatOpt('workflow_claim_interval', default=2.0, min=0.1,
                 help='Seconds between two looks for workflows nobody '
                      'runs: those whose owner\'s lease lapsed, and those '
                      'whose cast never arrived (see '
                      'workflow_claim_grace).'),
    cfg.FloatOpt('workflow_claim_grace', default=5.0, min=0.0,
                 help='Seconds a workflow the API recorded waits for the '
                      'cast that starts it before any taskmanager claims '
                      'it anyway (a taskmanager was down, or the message '
                      'was lost).'),
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
