"""Running a flow: the engine, the store, the outcome in the log."""

from oslo_log import log as logging
import taskflow.engines

from trove_lite.common import exception

LOG = logging.getLogger(__name__)

# The error of an operation notification whose flow did not run.
NOT_RUN = 'The instance is not in the state the request left it in; ' \
    'nothing was done.'


def run_flow(flow, store, operation, instance_id):
    """Run ``flow`` to its end on this thread.

    :returns: True if it completed; False if it failed (and reverted).
    """
    engine = taskflow.engines.load(flow, store=store, engine='serial')
    try:
        engine.run()
    except Exception:
        LOG.exception('%s of instance %s failed', operation, instance_id)
        return False
    return True


def adopt_lock(context, instance_id, task, operation, get_instance):
    """The lock holder the API recorded for ``task``, or None to stop.

    The API starts delete and restart itself (task and lock in one
    test-and-set) and casts; the taskmanager acts for that holder.
    """
    try:
        row = get_instance(context, instance_id)
    except exception.InstanceNotFound as err:
        LOG.info('%s of instance %s: nothing to do (%s)', operation,
                 instance_id, err)
        return None, False
    if row.task_id != task.code:
        LOG.info('%s of instance %s: it is in task %s, not %s; nothing '
                 'to do', operation, instance_id, row.task_description,
                 task.name)
        return None, False
    return row.lock_holder, True
