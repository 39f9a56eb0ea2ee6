"""Create: from the BUILDING row the API made to a healthy instance.

::

    MarkBuildFailedOnRevert   revert: ERROR (server or guest) + fault
    (ResetPartialBuild)       a resumed create only: see below
    LoadBuildInfo             the row, flavor (driver's), datastore, image
    MakeInstanceKey           the per-instance key, stored on the row
    CreateGuestIdentity       the guest's own broker identity (revert:
                              remove it)
    RenderGuestFiles          guest_info.conf with identity and key
    CreateVolume              revert: delete the volume
    EnsureServerGroup         the locality's server group (made for a
                              new group; revert: delete one made here)
    BuildServerSpec           the ServerSpec every driver gets
    CreateServer              revert: delete the server
    SaveServer                server id, addresses, server status
    WaitForAgent              until the agent answers a ping (fails at
                              once when the server no longer runs it)
    LoadRestoreInfo           the backup chain to restore from, if any
    LoadReplicaInfo           a replica: its source's snapshot (the source
                              guest makes it, through backup storage
                              when the datastore has a backup strategy)
    Prepare                   guest: set the datastore up (cast)
    WaitForHealthy            until the guest reports healthy
    RemoveSnapshot            a replica's seeding snapshot, once used
    FinishBuild               BUILDING -> NONE, lock released

The flow takes the unheld lock of the row first (``instances.claim``) as
this host (``resource_locks.new_holder``); a delete may take it over at any
time, and the flow then stops at its next step without marking anything.

NOTE(upgrade): the API creates the row unheld (it does no test-and-set on
a row it inserts) so that a taskmanager of any version can claim it.

Run as a recorded workflow (``run_job``), a create survives its
taskmanager: the workflow is resumed by the next one from its last
completed step. Past ``SaveServer`` the server exists and is the
instance's: the resumed flow reloads what the build needs and goes on
waiting for the agent (``Prepare`` is safe to repeat). Before it, what a
dead run left half made (a server that was being created, a volume, a
broker identity) cannot be trusted: ``ResetPartialBuild`` removes it and
the build starts again from the top, within the same build deadline.
"""

from oslo_log import log as logging

from trove_lite.broker import base as broker_base
from trove_lite.common import states
from trove_lite.db.repositories import instances
from trove_lite.taskmanager.flows import common
from trove_lite.taskmanager.tasks import backups as backup_tasks
from trove_lite.taskmanager.tasks import broker as broker_tasks
from trove_lite.taskmanager.tasks import compute
from trove_lite.taskmanager.tasks import guest
from trove_lite.taskmanager.tasks import guest_files
from trove_lite.taskmanager.tasks import instances as instance_tasks
from trove_lite.taskmanager.tasks import replication as replication_tasks

LOG = logging.getLogger(__name__)

NOT_RUN = 'The instance is not waiting to be built; nothing was done.'


def get_flow(driver, broker, reset=False):
    """The create flow for the compute ``driver`` and ``broker`` driver.

    :param reset: first remove what a dead run left half made
        (``ResetPartialBuild``): the flow of a resumed create that had not
        saved its server.
    """
    flow = common.linear_flow('rebuild-instance' if reset
                              else 'create-instance')
    flow.add(instance_tasks.MarkBuildFailedOnRevert())
    if reset:
        flow.add(instance_tasks.ResetPartialBuild(driver, broker))
    flow.add(instance_tasks.LoadBuildInfo(driver),
             guest_files.MakeInstanceKey(),
             broker_tasks.CreateGuestIdentity(broker),
             guest_files.RenderGuestFiles(),
             compute.CreateVolume(driver),
             compute.EnsureServerGroup(driver),
             compute.BuildServerSpec(),
             compute.CreateServer(driver),
             instance_tasks.SaveServer(),
             guest.WaitForAgent(driver),
             backup_tasks.LoadRestoreInfo(),
             replication_tasks.LoadReplicaInfo(),
             guest.Prepare(),
             guest.WaitForHealthy(),
             replication_tasks.RemoveSnapshot(),
             instance_tasks.FinishBuild())
    return flow


# The step after which the server is the instance's: a resumed create
# goes on from there instead of building again.
SERVER_SAVED = 'SaveServer'


def server_saved(step):
    """Whether a run that completed ``step`` had saved the server."""
    steps = [common.step_name(atom.name) for atom in get_flow(None, None)]
    return step in steps and steps.index(step) >= steps.index(SERVER_SAVED)


def get_resume_flow(driver):
    """The rest of a create whose server was saved: take the server over
    (its agent may have died with the taskmanager that started it), wait
    for the agent, prepare (again: it is safe to repeat), wait for
    healthy, finish.
    """
    flow = common.linear_flow('resume-create-instance')
    flow.add(instance_tasks.MarkBuildFailedOnRevert(),
             instance_tasks.LoadBuildInfo(driver),
             compute.AdoptServer(driver),
             guest.WaitForAgent(driver),
             backup_tasks.LoadRestoreInfo(),
             replication_tasks.LoadReplicaInfo(),
             guest.Prepare(),
             guest.WaitForHealthy(),
             replication_tasks.RemoveSnapshot(),
             instance_tasks.FinishBuild())
    return flow


def run_job(job, driver, broker, stop_event=None):
    """Build (or go on building) the instance of a recorded workflow.

    :param job: the ``workflows.Job``; its arguments are the create's
        ``databases``, ``users`` and ``root_password``, and ``backup_id``
        (with ``auth_token`` for Swift behind Keystone) for a restore.
    :returns: as ``run``.
    """
    context = job.context
    instance_id = job.resource_id
    notice = job.notice()
    holder = job.take_lock((instances.claim, instances.hand_over),
                           states.BUILDING)
    if holder is None:
        LOG.info('Create of instance %s: it is no longer a BUILDING '
                 'instance of this workflow; nothing to do', instance_id)
        if not job.resumed:
            notice.error(NOT_RUN)
        return False
    if not job.resumed:
        flow = get_flow(driver, broker)
    elif server_saved(job.step):
        flow = get_resume_flow(driver)
    else:
        flow = get_flow(driver, broker, reset=True)
    LOG.info('%s instance %s (%s)', 'Resuming the create of' if job.resumed
             else 'Creating', instance_id, holder)
    arguments = job.arguments
    store = {'context': context, 'instance_id': instance_id,
             'holder': holder, 'databases': arguments.get('databases'),
             'users': arguments.get('users'),
             'root_password': arguments.get('root_password'),
             'backup_id': arguments.get('backup_id'),
             'replica_of': arguments.get('replica_of'),
             'auth_token': arguments.get('auth_token'),
             'stop_event': stop_event, 'notice': notice}
    return common.run_flow(flow, store, 'Create', instance_id, job=job)


def run(context, driver, instance_id, databases, users, root_password,
        stop_event=None, notice=None, broker=None):
    """Build the instance on this thread (``common.run_now``); returns
    False when the flow failed or did not run (True also when a delete
    took the instance over meanwhile).

    :param broker: the ``BrokerDriver`` (``[guest_broker] driver`` when
        omitted).
    """
    broker = broker or broker_base.load_driver()
    return common.run_now(
        context, 'create', instance_id,
        lambda job: run_job(job, driver, broker, stop_event),
        arguments={'databases': databases, 'users': users,
                   'root_password': root_password}, notice=notice)
