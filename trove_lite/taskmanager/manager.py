"""Server side of the taskmanager RPC API.

Each public method of ``Manager`` is an RPC method of the taskmanager
topic. The workflows themselves are flows under ``taskmanager/flows``, one
module per operation; they run as recorded workflows
(``taskmanager.workflows``) on ``FlowRunner``'s bounded pool of native
threads, so the RPC dispatcher is never blocked by a create that waits
minutes for its guest, and a flow outlives the taskmanager that started
it.
"""

from concurrent import futures
import threading

from oslo_config import cfg
from oslo_log import log as logging
import oslo_messaging
from oslo_service.backend import base as service_base

from trove_lite.broker import base as broker_base
from trove_lite.common import rpc
from trove_lite.common import states
from trove_lite.common import status_events
from trove_lite.compute import base as compute_base
from trove_lite.db.repositories import workflows as workflow_repo
from trove_lite.db import resource_kinds
from trove_lite.taskmanager.flows import common
from trove_lite.taskmanager.flows import create_backup
from trove_lite.taskmanager.flows import create_instance
from trove_lite.taskmanager.flows import delete_backup
from trove_lite.taskmanager.flows import delete_instance
from trove_lite.taskmanager.flows import replication as replication_flows
from trove_lite.taskmanager.flows import resize_instance
from trove_lite.taskmanager.flows import restart_instance
from trove_lite.taskmanager.flows import update_access
from trove_lite.taskmanager.flows import upgrade_instance
from trove_lite.taskmanager import workflows

LOG = logging.getLogger(__name__)

# NOTE(versions): must equal rpcapi.TaskManagerAPI.RPC_API_VERSION; the
# version history lives in that class's docstring.
RPC_API_VERSION = '1.10'
SERVICE_NAME = 'taskmanager'

INSTANCE = resource_kinds.INSTANCE.name
BACKUP = resource_kinds.BACKUP.name
# The operations a workflow record names.
CREATE = 'create'
DELETE = 'delete'
RESTART = 'restart'
PROMOTE = 'promote'
EJECT = 'eject'
DETACH = 'detach'
RESIZE_VOLUME = 'resize_volume'
RESIZE_FLAVOR = 'resize_flavor'
UPDATE_ACCESS = 'update_access'
UPGRADE = 'upgrade'


class FlowRunner(service_base.ServiceBase):
    """A bounded pool of threads running flows, as a service.

    ``stop`` tells running flows to stop waiting (``stop_event``) and
    drops the queued ones (their instances' deadlines settle them);
    ``wait`` waits for the running ones.

    :param workers: threads (``[taskmanager] flow_workers`` if None).
    """

    def __init__(self, workers=None):
        self.stop_event = threading.Event()
        self._workers = workers
        self._pool = None
        self._lock = threading.Lock()

    def _get_pool(self):
        with self._lock:
            if self._pool is None:
                self._pool = futures.ThreadPoolExecutor(
                    max_workers=(self._workers
                                 or cfg.CONF.taskmanager.flow_workers),
                    thread_name_prefix='flow')
            return self._pool

    def start(self):
        self._get_pool()

    def submit(self, description, func, *args, **kwargs):
        """Run ``func(*args, **kwargs)`` on a pool thread.

        :returns: the Future, or None when the runner is stopping.
        """
        if self.stop_event.is_set():
            LOG.warning('Not running %s: the taskmanager is stopping',
                        description)
            return None
        try:
            future = self._get_pool().submit(func, *args, **kwargs)
        except RuntimeError:
            LOG.warning('Not running %s: the pool is shut down', description)
            return None
        future.add_done_callback(lambda f: self._done(description, f))
        return future

    @staticmethod
    def _done(description, future):
        if future.cancelled():
            LOG.warning('%s was dropped at shutdown', description)
        elif future.exception() is not None:
            LOG.error('%s raised: %s', description, future.exception())

    def stop(self):
        self.stop_event.set()
        # NOTE(shutdown): flows waiting for a guest look at stop_event when
        # woken; without this they would sleep out their poll interval.
        status_events.wake_all()
        with self._lock:
            pool = self._pool
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def wait(self):
        with self._lock:
            pool = self._pool
        if pool is not None:
            pool.shutdown(wait=True)

    def reset(self):
        """Nothing to reset."""


class Manager:
    """The taskmanager's RPC endpoint.

    Every workflow it runs is a recorded one (``taskmanager.workflows``):
    a cast from an API of 1.5 or later names the workflow the API
    recorded; an older API's cast is recorded here first. Either way the
    ``WorkflowEngine`` claims the record and runs it, so what a
    taskmanager starts, another can finish.

    :param driver: the ``ComputeDriver``; ``[DEFAULT] compute_driver`` is
        loaded at the first workflow when omitted.
    :param runner: the ``FlowRunner`` (a private one when omitted).
    :param broker: the ``BrokerDriver`` of guest identities;
        ``[guest_broker] driver`` is loaded at the first workflow when
        omitted.
    :ivar engine: the ``WorkflowEngine`` (a service: its thread claims
        what no cast started and renews the leases).
    """

    target = oslo_messaging.Target(version=RPC_API_VERSION)

    def __init__(self, driver=None, runner=None, broker=None):
        self._driver = driver
        self._broker = broker
        self._runner = runner or FlowRunner()
        self._driver_lock = threading.Lock()
        self.engine = workflows.WorkflowEngine(self._runner, {
            (INSTANCE, CREATE): self._run_create,
            (INSTANCE, DELETE): self._run_delete,
            (INSTANCE, RESTART): self._run_restart,
            (INSTANCE, PROMOTE): self._run_promote,
            (INSTANCE, EJECT): self._run_eject,
            (INSTANCE, DETACH): self._run_detach,
            (INSTANCE, RESIZE_VOLUME): self._run_resize_volume,
            (INSTANCE, RESIZE_FLAVOR): self._run_resize_flavor,
            (INSTANCE, UPDATE_ACCESS): self._run_update_access,
            (INSTANCE, UPGRADE): self._run_upgrade,
            (BACKUP, CREATE): self._run_backup,
            (BACKUP, DELETE): self._run_delete_backup,
        })

    def _get_driver(self):
        with self._driver_lock:
            if self._driver is None:
                self._driver = compute_base.load_driver()
            return self._driver

    def _get_broker(self):
        with self._driver_lock:
            if self._broker is None:
                self._broker = broker_base.load_driver()
            return self._broker

    # -- the flows of each recorded operation -------------------------------

    def _run_create(self, job, stop_event):
        return create_instance.run_job(job, self._get_driver(),
                                       self._get_broker(), stop_event)

    def _run_delete(self, job, stop_event):
        return delete_instance.run_job(job, self._get_driver(),
                                       self._get_broker(), stop_event)

    def _run_restart(self, job, stop_event):
        return restart_instance.run_job(job, stop_event, self._get_driver())

    def _run_resize_volume(self, job, stop_event):
        return resize_instance.run_volume_job(job, self._get_driver(),
                                              stop_event)

    def _run_resize_flavor(self, job, stop_event):
        return resize_instance.run_flavor_job(job, self._get_driver(),
                                              stop_event)

    @staticmethod
    def _run_promote(job, stop_event):
        return replication_flows.run_promote(job, stop_event)

    @staticmethod
    def _run_eject(job, stop_event):
        return replication_flows.run_eject(job, stop_event)

    @staticmethod
    def _run_detach(job, stop_event):
        return replication_flows.run_detach(job, stop_event)

    def _run_update_access(self, job, stop_event):
        return update_access.run_job(job, self._get_driver(), stop_event)

    @staticmethod
    def _run_upgrade(job, stop_event):
        return upgrade_instance.run_job(job, stop_event)

    @staticmethod
    def _run_backup(job, stop_event):
        return create_backup.run_job(job, stop_event)

    @staticmethod
    def _run_delete_backup(job, stop_event):
        return delete_backup.run_job(job, stop_event)

    def _start(self, context, operation, instance_id, workflow_id,
               holder=None, arguments=None, notification=None):
        """Run the recorded ``workflow_id``; record one first when the
        API sent none (an API older than 1.5).
        """
        if workflow_id is None:
            workflow_id = workflow_repo.record(
                context, INSTANCE, instance_id, operation, holder=holder,
                arguments=arguments,
                request_context=context,
                notification=notification)
        if not self.engine.run(workflow_id):
            LOG.info('%s of %s: workflow %s is already running or done',
                     operation, instance_id, workflow_id)

    # -- RPC -----------------------------------------------------------------

    def rpc_ping(self, context):
        """Answer who and what this taskmanager is (API 1.0)."""
        return rpc.ping_reply(SERVICE_NAME, RPC_API_VERSION)

    def create_instance(self, context, instance_id, databases=None,
                        users=None, root_password=None, notification=None,
                        workflow_id=None):
        """Build an instance the API created in BUILDING (API 1.1;
        ``notification`` 1.2; ``workflow_id`` 1.5, with which the other
        arguments are read from the record).
        """
        LOG.info('create_instance %s received', instance_id)
        self._start(context, CREATE, instance_id, workflow_id,
                    arguments={'databases': databases, 'users': users,
                               'root_password': root_password},
                    notification=notification)

    def delete_instance(self, context, instance_id, notification=None,
                        holder=None, workflow_id=None):
        """Delete an instance the API set DELETING (API 1.1;
        ``notification`` 1.2; ``holder`` 1.3; ``workflow_id`` 1.5).
        """
        LOG.info('delete_instance %s received', instance_id)
        self._start(context, DELETE, instance_id, workflow_id,
                    holder=holder or common.row_holder(
                        context, instance_id, states.DELETING),
                    notification=notification)

    def restart(self, context, instance_id, notification=None, holder=None,
                workflow_id=None):
        """Restart the datastore of an instance set REBOOTING (API 1.1;
        ``notification`` 1.2; ``holder`` 1.3; ``workflow_id`` 1.5).
        """
        LOG.info('restart %s received', instance_id)
        self._start(context, RESTART, instance_id, workflow_id,
                    holder=holder or common.row_holder(
                        context, instance_id, states.REBOOTING),
                    notification=notification)

    def create_backup(self, context, backup_id, workflow_id):
        """Take the backup the API created in NEW (API 1.6): run its
        recorded workflow.
        """
        LOG.info('create_backup %s received', backup_id)
        self._run_recorded('create_backup', backup_id, workflow_id)

    def delete_backup(self, context, backup_id, workflow_id):
        """Delete a backup (and its children) the API set DELETING
        (API 1.6): run its recorded workflow.
        """
        LOG.info('delete_backup %s received', backup_id)
        self._run_recorded('delete_backup', backup_id, workflow_id)

    def promote_to_replica_source(self, context, instance_id, workflow_id):
        """Promote a replica (API 1.7): run its recorded workflow."""
        LOG.info('promote_to_replica_source %s received', instance_id)
        self._run_recorded('promote', instance_id, workflow_id)

    def eject_replica_source(self, context, instance_id, workflow_id):
        """Eject a lost source (API 1.7): run its recorded workflow."""
        LOG.info('eject_replica_source %s received', instance_id)
        self._run_recorded('eject', instance_id, workflow_id)

    def detach_replica(self, context, instance_id, workflow_id):
        """Detach a replica (API 1.7): run its recorded workflow."""
        LOG.info('detach_replica %s received', instance_id)
        self._run_recorded('detach', instance_id, workflow_id)

    def resize_volume(self, context, instance_id, workflow_id):
        """Grow the volume of an instance the API set RESIZING (API 1.8):
        run its recorded workflow.
        """
        LOG.info('resize_volume %s received', instance_id)
        self._run_recorded(RESIZE_VOLUME, instance_id, workflow_id)

    def resize_flavor(self, context, instance_id, workflow_id):
        """Change the flavor of an instance the API set RESIZING (API
        1.8): run its recorded workflow.
        """
        LOG.info('resize_flavor %s received', instance_id)
        self._run_recorded(RESIZE_FLAVOR, instance_id, workflow_id)

    def update_access(self, context, instance_id, workflow_id):
        """Change who may reach an instance (API 1.9): run its recorded
        workflow.
        """
        LOG.info('update_access %s received', instance_id)
        self._run_recorded(UPDATE_ACCESS, instance_id, workflow_id)

    def upgrade(self, context, instance_id, workflow_id):
        """Upgrade the datastore version of an instance (API 1.10): run
        its recorded workflow.
        """
        LOG.info('upgrade %s received', instance_id)
        self._run_recorded('upgrade', instance_id, workflow_id)

    def _run_recorded(self, operation, resource_id, workflow_id):
        if not self.engine.run(workflow_id):
            LOG.info('%s of %s: workflow %s is already running or done',
                     operation, resource_id, workflow_id)

    def status_changed(self, context, instance_id):
        """A conductor stored a report that changed the status of
        ``instance_id``: wake the workflows of this process waiting for it
        (API 1.4, a fanout cast; nothing is read or written).
        """
        status_events.changed(instance_id)
