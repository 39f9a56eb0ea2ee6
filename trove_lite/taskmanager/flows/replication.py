"""Promote, eject, detach: the workflows that change a replication group.

::

    promote (the API locked every member of the group, PROMOTING)
      MarkGroupFailedOnRevert   revert: every member PROMOTION_ERROR +
                                fault
      LoadGroup                 the members this change holds, the source
      FenceSource               the source refuses writes
      WaitForCatchUp            the replica has all the source had
      Promote                   the replica becomes a writable source
      RepointMembers            the old source and the other replicas
                                follow it (all of them, or it fails)
      CommitNewSource           topology compare-and-set; tasks end

    eject (the source is lost; every member EJECTING)
      MarkGroupFailedOnRevert   revert: EJECTION_ERROR + fault
      LoadGroup
      PickMostAdvanced          the replica whose data goes furthest
      Promote
      RepointMembers            those that answer; the old source is
                                fenced when it comes back
      CommitNewSource

    detach (the replica is DETACHING)
      MarkFailedOnRevert        revert: DETACHING_ERROR + fault
      LoadSourceId              whom it follows (from the topology)
      DetachReplica             it stops following; writable
      ForgetReplica             the source drops what it kept for it
      CommitDetach              topology: it follows nobody; task ends

Every step is safe to repeat, so a workflow resumed by another
taskmanager runs its flow from the top; the topology changes only in the
last step, a compare-and-set that a second, racing change fails.
"""

from oslo_log import log as logging

from trove_lite.common import states
from trove_lite.db.repositories import replication as topology
from trove_lite.taskmanager.flows import common
from trove_lite.taskmanager.tasks import instances as instance_tasks
from trove_lite.taskmanager.tasks import replication as tasks

LOG = logging.getLogger(__name__)

PROMOTE_FAILED = 'The replica could not be promoted.'
EJECT_FAILED = 'The replica source could not be ejected.'
DETACH_FAILED = 'The replica could not be detached from its source; try ' \
    'again.'


def get_promote_flow():
    flow = common.linear_flow('promote-replica')
    flow.add(tasks.MarkGroupFailedOnRevert('promote_failed', PROMOTE_FAILED),
             tasks.LoadGroup(),
             tasks.FenceSource(),
             tasks.WaitForCatchUp(),
             tasks.Promote(),
             tasks.RepointMembers(require_all=True),
             tasks.CommitNewSource('promote_done'))
    return flow


def get_eject_flow():
    flow = common.linear_flow('eject-replica-source')
    flow.add(tasks.MarkGroupFailedOnRevert('eject_failed', EJECT_FAILED),
             tasks.LoadGroup(),
             tasks.PickMostAdvanced(),
             tasks.Promote(),
             tasks.RepointMembers(require_all=False),
             tasks.CommitNewSource('eject_done'))
    return flow


def get_detach_flow():
    flow = common.linear_flow('detach-replica')
    flow.add(instance_tasks.MarkFailedOnRevert('detach_failed',
                                               DETACH_FAILED),
             tasks.LoadSourceId(),
             tasks.DetachReplica(),
             tasks.ForgetReplica(),
             tasks.CommitDetach())
    return flow


def _run_group_change(job, task, operation, flow, stop_event, store=None):
    values = {'arguments': job.arguments, 'stop_event': stop_event}
    values.update(store or {})
    return common.run_held_job(job, task, operation, flow,
                               hand_over=topology.hand_over_all,
                               store=values)


def run_promote(job, stop_event=None):
    """Promote the replica of a recorded workflow."""
    return _run_group_change(job, states.PROMOTING, 'Promote',
                             get_promote_flow(), stop_event,
                             {'new_source_id': job.resource_id})


def run_eject(job, stop_event=None):
    """Replace the lost source of a recorded workflow."""
    return _run_group_change(job, states.EJECTING, 'Eject',
                             get_eject_flow(), stop_event)


def run_detach(job, stop_event=None):
    """Detach the replica of a recorded workflow."""
    return common.run_held_job(job, states.DETACHING, 'Detach',
                               get_detach_flow())
