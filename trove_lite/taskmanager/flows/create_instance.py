"""Create: from the BUILDING row the API made to a healthy instance.

::

    MarkBuildFailedOnRevert   revert: ERROR (server or guest) + fault
    LoadBuildInfo             the row, flavor (driver's), datastore, image
    MakeInstanceKey           the per-instance key, stored on the row
    CreateGuestIdentity       the guest's own broker identity (revert:
                              remove it)
    RenderGuestFiles          guest_info.conf with identity and key
    CreateVolume              revert: delete the volume
    BuildServerSpec           the ServerSpec every driver gets
    CreateServer              revert: delete the server
    SaveServer                server id, addresses, server status
    WaitForAgent              until the agent answers a ping (fails at
                              once when the server no longer runs it)
    Prepare                   guest: set the datastore up (cast)
    WaitForHealthy            until the guest reports healthy
    FinishBuild               BUILDING -> NONE, lock released

The flow takes the unheld lock of the row first (``instances.claim``) as
this host (``resource_locks.new_holder``); a delete may take it over at any
time, and the flow then stops at its next step without marking anything.

NOTE(upgrade): the API creates the row unheld (it does no test-and-set on
a row it inserts) so that a taskmanager of any version can claim it; a
lost cast leaves a BUILDING row that its deadline ends.
"""

from oslo_log import log as logging
from taskflow.patterns import linear_flow

from trove_lite.broker import base as broker_base
from trove_lite.common import states
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import resource_locks
from trove_lite.taskmanager.flows import common
from trove_lite.taskmanager.tasks import broker as broker_tasks
from trove_lite.taskmanager.tasks import compute
from trove_lite.taskmanager.tasks import guest
from trove_lite.taskmanager.tasks import guest_files
from trove_lite.taskmanager.tasks import instances as instance_tasks

LOG = logging.getLogger(__name__)

NOT_RUN = 'The instance is not waiting to be built; nothing was done.'


def get_flow(driver, broker):
    """The create flow for the compute ``driver`` and ``broker`` driver."""
    flow = linear_flow.Flow('create-instance')
    flow.add(instance_tasks.MarkBuildFailedOnRevert(),
             instance_tasks.LoadBuildInfo(driver),
             guest_files.MakeInstanceKey(),
             broker_tasks.CreateGuestIdentity(broker),
             guest_files.RenderGuestFiles(),
             compute.CreateVolume(driver),
             compute.BuildServerSpec(),
             compute.CreateServer(driver),
             instance_tasks.SaveServer(),
             guest.WaitForAgent(driver),
             guest.Prepare(),
             guest.WaitForHealthy(),
             instance_tasks.FinishBuild())
    return flow


def run(context, driver, instance_id, databases, users, root_password,
        stop_event=None, notice=None, broker=None):
    """Build the instance; returns False when the flow failed or did not
    run (True also when a delete took the instance over meanwhile).

    :param broker: the ``BrokerDriver`` (``[guest_broker] driver`` when
        omitted).
    """
    holder = resource_locks.new_holder()
    if not instances.claim(context, instance_id, holder, states.BUILDING):
        LOG.warning('Create of instance %s: it is not an unclaimed BUILDING '
                    'instance; nothing to do', instance_id)
        if notice is not None:
            notice.error(NOT_RUN)
        return False
    LOG.info('Creating instance %s (%s)', instance_id, holder)
    store = {'context': context, 'instance_id': instance_id,
             'holder': holder, 'databases': databases, 'users': users,
             'root_password': root_password, 'stop_event': stop_event,
             'notice': notice}
    broker = broker or broker_base.load_driver()
    return common.run_flow(get_flow(driver, broker), store, 'Create',
                           instance_id)
