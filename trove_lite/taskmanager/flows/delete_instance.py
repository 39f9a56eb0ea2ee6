"""Delete: from any state (the API set DELETING and took the lock).

::

    MarkFailedOnRevert(delete_failed)   revert: ERROR + fault (retryable)
    LoadInstance
    StopDatabase                        guest: stop cleanly, if reachable
    LoadSourceId, ForgetReplica         a replica: its source drops what it
                                        kept for it (best effort)
    DeleteServer                        every process, file and address
    DeleteVolume                        its data volume, if any
    DeleteServerGroup                   its server group, when it was the
                                        last live member
    DeleteGuestIdentity                 the guest's broker identity
    MarkDeleted                         the row is soft-deleted
"""

from oslo_log import log as logging

from trove_lite.broker import base as broker_base
from trove_lite.common import states
from trove_lite.taskmanager.flows import common
from trove_lite.taskmanager.tasks import broker as broker_tasks
from trove_lite.taskmanager.tasks import compute
from trove_lite.taskmanager.tasks import guest
from trove_lite.taskmanager.tasks import instances as instance_tasks
from trove_lite.taskmanager.tasks import replication as replication_tasks

LOG = logging.getLogger(__name__)

FAULT = 'The instance could not be deleted; try deleting it again.'


def get_flow(driver, broker):
    flow = common.linear_flow('delete-instance')
    flow.add(instance_tasks.MarkFailedOnRevert('delete_failed', FAULT),
             instance_tasks.LoadInstance(),
             guest.StopDatabase(),
             replication_tasks.LoadSourceId(),
             replication_tasks.ForgetReplica(),
             compute.DeleteServer(driver),
             compute.DeleteVolume(driver),
             compute.DeleteServerGroup(driver),
             broker_tasks.DeleteGuestIdentity(broker),
             instance_tasks.MarkDeleted())
    return flow


def run(context, driver, instance_id, notice=None, holder=None,
        broker=None):
    """Delete the instance on this thread (``common.run_now``); returns
    True when its row is deleted.

    :param holder: the lock holder the API recorded (the row's holder
        when None).
    :param broker: the ``BrokerDriver`` (``[guest_broker] driver`` when
        omitted).
    """
    broker = broker or broker_base.load_driver()
    holder = holder or common.row_holder(context, instance_id,
                                         states.DELETING)
    return common.run_now(context, 'delete', instance_id,
                          lambda job: run_job(job, driver, broker),
                          holder=holder, notice=notice)


def run_job(job, driver, broker, stop_event=None):
    """Delete the instance of a recorded workflow (first run or resumed:
    every step is safe to repeat, so a resumed delete runs from the
    top).

    :param job: the ``workflows.Job``; its holder is the API's lock.
    :returns: as ``run``.
    """
    return common.run_held_job(job, states.DELETING, 'Delete', get_flow(driver, broker))
