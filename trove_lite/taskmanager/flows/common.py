"""Running a flow: the engine, the store, the outcome in the log."""

from oslo_log import log as logging
import taskflow.engines
from taskflow import states as taskflow_states

from trove_lite.common import exception
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import workflows as workflow_repo
from trove_lite.db import resource_kinds
from trove_lite.taskmanager.tasks import base
from trove_lite.taskmanager import workflows

LOG = logging.getLogger(__name__)

# Seconds a workflow run by ``run_now`` is owned (nothing renews it).
RUN_NOW_LEASE = 24 * 3600

# The error of an operation notification whose flow did not run.
NOT_RUN = 'The instance is not in the state the request left it in; ' \
    'nothing was done.'


def step_name(task_name):
    """A task's step name: its class name (task names default to the
    class's dotted path).
    """
    return task_name.rsplit('.', 1)[-1]


def linear_flow(name):
    """A new, empty taskflow linear flow called ``name``."""
    # NOTE(memory): taskflow's patterns import networkx (285 modules, about
    # 9 MB resident) through taskflow.types.graph. The taskmanager and
    # trove-lite-all import every flow module at start and may then sit
    # idle for good, so networkx waits for the first flow that is built.
    from taskflow.patterns import linear_flow as taskflow_linear_flow
    return taskflow_linear_flow.Flow(name)


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
    except base.LockLost as err:
        # NOTE(logs): another operation (a delete) took the instance over:
        # an outcome, not a fault of ours; nothing to page anyone about.
        LOG.info('%s of instance %s stopped: %s', operation, instance_id,
                 err)
        return False
    except Exception:
        LOG.exception('%s of instance %s failed', operation, instance_id)
        return False
    return job is None or not job.lost.is_set()


def row_holder(context, instance_id, task):
    """The lock an API older than taskmanager API 1.3 took without saying
    which: the row's holder while it is in ``task``; None otherwise (the
    flow then claims an unheld row, or finds nothing to do).
    """
    try:
        row = instances.get(context, instance_id)
    except exception.InstanceNotFound:
        return None
    return row.lock_holder if row.task_id == task.code else None


def run_now(context, operation, instance_id, handler, holder=None,
            arguments=None, notice=None):
    """Record a workflow and run it on this thread, outside any
    ``WorkflowEngine`` (a tool, a test): the same ``run_job`` path a
    taskmanager takes, with a lease long enough that nobody resumes it
    meanwhile.

    :param handler: ``handler(job)`` runs the flow (a ``run_job``).
    :param notice: the ``notifications.Operation`` to end, if any.
    :returns: what ``handler`` returns.
    """
    workflow_id = workflow_repo.record(
        context, resource_kinds.INSTANCE.name, instance_id, operation,
        holder=holder, arguments=arguments, request_context=context)
    owner = workflows.new_owner()
    row = workflow_repo.claim(context, workflow_id, owner, RUN_NOW_LEASE)
    job = workflows.Job(row, owner, notice=notice)
    try:
        return handler(job)
    finally:
        workflow_repo.finish(context, workflow_id, owner)


def run_held_job(job, task, operation, flow, hand_over=None, store=None):
    """Run ``flow`` for a recorded workflow that starts from the lock the
    API took (a delete, a restart): every step is safe to repeat, so a
    resumed run goes from the top.

    :param task: the ``states.Task`` the API set.
    :param operation: the operation's name for the log (``Delete``).
    :param hand_over: how the lock passes to this run
        (``instances.hand_over`` when None; a change of several instances
        passes all of them).
    :param store: more values for the flow's store.
    :returns: as ``run_flow``; False when another operation took the
        instance over before the flow started.
    """
    instance_id = job.resource_id
    notice = job.notice()
    holder = job.take_lock(
        (instances.claim, hand_over or instances.hand_over), task)
    if holder is None:
        LOG.info('%s of instance %s: another operation took it over; '
                 'nothing to do', operation, instance_id)
        if not job.resumed:
            notice.error(NOT_RUN)
        return False
    LOG.info('%s of instance %s runs as %s%s', operation, instance_id,
             holder, ' (resumed)' if job.resumed else '')
    values = {'context': job.context, 'instance_id': instance_id,
              'holder': holder, 'notice': notice}
    values.update(store or {})
    return run_flow(flow, values, operation, instance_id, job=job)
