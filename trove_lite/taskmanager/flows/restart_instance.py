"""Restart the datastore (the API set REBOOTING and took the lock).

::

    MarkFailedOnRevert(restart_failed)  revert: ERROR + fault
    (LoadInstance, AdoptServer)         with a driver: an agent that died
                                        is started again first
    SetServiceStatus(RESTARTING)
    RestartDatabase                     guest call, returns when up
    WaitForHealthy                      until the guest's report is stored
                                        (LOST when a delete took over)
    FinishTask(restart_done)            REBOOTING -> NONE, lock released;
                                        nothing once LOST

The instance stays in REBOOT until the guest's healthy report is stored,
so that ACTIVE means what it means after a create: the datastore takes
database and user requests.
"""

from oslo_log import log as logging

from trove_lite.common import states
from trove_lite.taskmanager.flows import common
from trove_lite.taskmanager.tasks import compute
from trove_lite.taskmanager.tasks import guest
from trove_lite.taskmanager.tasks import instances as instance_tasks

LOG = logging.getLogger(__name__)

FAULT = 'The database could not be restarted; try again, or delete the ' \
    'instance.'


def get_flow(driver=None):
    """The restart flow; with the compute ``driver``, the server is taken
    over first (a local driver starts an agent that died, so that a
    restart is what brings a killed agent back).
    """
    flow = common.linear_flow('restart-instance')
    flow.add(instance_tasks.MarkFailedOnRevert('restart_failed', FAULT))
    if driver is not None:
        flow.add(instance_tasks.LoadInstance(), compute.AdoptServer(driver))
    flow.add(instance_tasks.SetServiceStatus(states.SVC_RESTARTING),
             guest.RestartDatabase(),
             guest.WaitForHealthy(),
             instance_tasks.FinishTask('restart_done'))
    return flow


def run(context, instance_id, notice=None, holder=None, driver=None):
    """Restart the datastore on this thread (``common.run_now``); returns
    False when it failed or did not run (True also when a delete took the
    instance over meanwhile: the flow then stops, as LOST, without
    marking anything).

    :param holder: the lock holder the API recorded (the row's holder
        when None).
    :param driver: the compute driver, to take the server over first.
    """
    holder = holder or common.row_holder(context, instance_id,
                                         states.REBOOTING)
    return common.run_now(context, 'restart', instance_id,
                          lambda job: run_job(job, driver=driver),
                          holder=holder, notice=notice)


def run_job(job, stop_event=None, driver=None):
    """Restart the instance of a recorded workflow (first run or resumed:
    every step is safe to repeat, so a resumed restart runs from the
    top).

    :param job: the ``workflows.Job``; its holder is the API's lock.
    :returns: as ``run``.
    """
    return common.run_held_job(job, states.REBOOTING, 'Restart',
                               get_flow(driver))
