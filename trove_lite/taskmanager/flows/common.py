"""Running a flow: the engine, the store, the outcome in the log."""

from oslo_log import log as logging
import taskflow.engines
from taskflow import states as taskflow_states

from trove_lite.common import exception
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import resource_locks

LOG = logging.getLogger(__name__)

# The error of an operation notification whose flow did not run.
NOT_RUN = 'The instance is not in the state the request left it in; ' \
    'nothing was done.'


def step_name(task_name):
    """A task's step name: its class name (task names default to the
    class's dotted path).
    """
    return task_name.rsplit('.', 1)[-1]


def run_flow(flow, store, operation, instance_id, job=None):
    """Run ``flow`` to its end on this thread.

    :param job: the ``workflows.Job`` it runs for: each task that
        completes is recorded as its step. When another taskmanager took
        the workflow over, the engine is suspended: the flow stops before
        its next task and reverts nothing (what it made is the new
        owner's now).
    :returns: True if it completed; False if it failed (and reverted) or
        was suspended.
    """
    engine = taskflow.engines.load(flow, store=store, engine='serial')
    if job is not None:
        def checkpoint(state, details):
            if not job.checkpoint(step_name(details['task_name'])):
                LOG.warning('%s of instance %s: the workflow was taken '
                            'over; stopping', operation, instance_id)
                engine.suspend()
        engine.atom_notifier.register(taskflow_states.SUCCESS, checkpoint)
    try:
        engine.run()
    except Exception:
        LOG.exception('%s of instance %s failed', operation, instance_id)
        return False
    return job is None or not job.lost.is_set()


def adopt_lock(context, instance_id, task, operation, holder=None):
    """Take over the lock the API recorded for ``task``; the flow's holder,
    or None to stop.

    The API starts delete and restart itself (task and lock in one
    test-and-set, for ``holder``) and casts; the flow holds the lock as
    this host (``resource_locks.adopted``), so that a taskmanager that
    starts again finds the locks its dead flows held. When a delete took
    the instance over before the flow started, the hand-over fails and the
    flow does not run.

    :param holder: the holder the API cast (API 1.3); None from an older
        API: the row's holder is adopted, or an unheld row claimed.
    """
    try:
        row = instances.get(context, instance_id)
    except exception.InstanceNotFound as err:
        LOG.info('%s of instance %s: nothing to do (%s)', operation,
                 instance_id, err)
        return None, False
    if row.task_id != task.code:
        LOG.info('%s of instance %s: it is in task %s, not %s; nothing '
                 'to do', operation, instance_id, row.task_description,
                 task.name)
        return None, False
    if holder is None and row.lock_holder is None:
        # NOTE(upgrade): an API older than real holders left it unheld.
        ours = resource_locks.new_holder()
        taken = instances.claim(context, instance_id, ours, task)
    else:
        holder = holder or row.lock_holder
        ours = resource_locks.adopted(holder)
        taken = instances.hand_over(context, instance_id, holder, ours)
    if not taken:
        LOG.info('%s of instance %s: another operation took it over; '
                 'nothing to do', operation, instance_id)
        return None, False
    LOG.info('%s of instance %s runs as %s', operation, instance_id, ours)
    return ours, True
