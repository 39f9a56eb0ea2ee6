"""Server side of the guest agent RPC API: the agent's endpoint.

Each public method of ``GuestAgentEndpoint`` is an RPC method of topic
``guestagent.<guest_id>``. The endpoint is the same for every datastore:
it delegates to the datastore manager of its instance
(``guestagent/datastores/<family>/``) and tells the conductor how things
went through the agent's ``StatusReporter`` (status.py).

``prepare`` is a cast: nobody waits for it, so it runs on a thread of its
own (the RPC server's pool must stay free for ``rpc_ping`` and friends)
and reports its outcome as the status *healthy* or *failed to spawn*,
plus a fault on failure. The other methods are calls and answer when done;
the errors a tenant causes (a database that exists, an unknown character
set) reach the caller as themselves and are logged at DEBUG, not as an
ERROR with a traceback (``rpc.tenant_errors_expected``).
"""

import collections
import threading

from oslo_log import log as logging
import oslo_messaging

from trove_lite.common import exception
from trove_lite.common import rpc
from trove_lite.common import states
from trove_lite.guestagent import backups
from trove_lite.guestagent import progress as progress_module

LOG = logging.getLogger(__name__)

# NOTE(versions): must equal rpcapi.GuestAgentAPI.RPC_API_VERSION; the
# version history lives in that class's docstring.
RPC_API_VERSION = '1.8'
SERVICE_NAME = 'guestagent'
PREPARE_FAILED = ('The database server of instance %s could not be set up: '
                  '%s. Delete the instance and create it again; if that '
                  'fails too, ask an administrator to look at its fault '
                  'details.')


class GuestAgentEndpoint:
    """The guest agent's RPC endpoint for one instance.

    :param instance_id: the instance this agent manages (``guest_id``).
    :param manager: the datastore manager (``datastores.base
        .DatastoreManager``); None for an agent that only answers
        ``rpc_ping`` (the 1.1 methods then raise GuestError).
    :param reporter: the agent's ``status.StatusReporter``; None when
        nothing is reported (tests of ``rpc_ping``).
    """

    target = oslo_messaging.Target(version=RPC_API_VERSION)

    def __init__(self, instance_id, manager=None, reporter=None):
        self.instance_id = instance_id
        self.manager = manager
        self.reporter = reporter
        self._prepare_lock = threading.Lock()
        # NOTE(replication): one change of the instance's replication at
        # a time: two replicas created together ask their source for a
        # snapshot at the same moment, and each makes it a source (its
        # record, its server's settings) first.
        self._replication_lock = threading.Lock()
        self._prepare_thread = None
        self._cancels = {}
        # Backups aborted before their cast arrived (bounded).
        self._aborted = collections.deque(maxlen=256)

    def rpc_ping(self, context):
        """Answer who and what this agent is (API 1.0)."""
        return rpc.ping_reply(SERVICE_NAME, RPC_API_VERSION,
                              instance_id=self.instance_id)

    def prepare(self, context, memory_mb, databases, users,
                root_password=None, volume_size=None, restore_info=None,
                replica_info=None, overrides=None):
        """Set the datastore up in the background (API 1.1, a cast;
        ``restore_info`` 1.3: fill it from a chain of backups first;
        ``replica_info`` 1.4: make it a replica; ``overrides`` 1.5: its
        configuration group's values).

        A second ``prepare`` while one runs is ignored (the control plane
        may repeat a cast it thinks was lost).
        """
        manager = self._manager()
        with self._prepare_lock:
            if self._prepare_thread is not None and \
                    self._prepare_thread.is_alive():
                LOG.warning('prepare of instance %s is already running; '
                            'ignoring another', self.instance_id)
                return
            self._set_status(states.SVC_BUILDING)
            self._prepare_thread = threading.Thread(
                target=self._prepare, name='prepare-%s' % self.instance_id,
                args=(manager, memory_mb, databases, users, root_password,
                      volume_size, restore_info, replica_info, overrides))
            self._prepare_thread.start()

    def wait_for_prepare(self, timeout=None):
        """Wait for a running ``prepare``; returns whether none runs."""
        thread = self._prepare_thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    @rpc.tenant_errors_expected
    def restart(self, context):
        """Restart the datastore; returns when it answers (API 1.1).

        :raises: GuestError when it does not come back.
        """
        manager = self._manager()
        self._set_status(states.SVC_RESTARTING)
        try:
            manager.restart()
        finally:
            self._clear_status()

    @rpc.tenant_errors_expected
    def upgrade(self, context, datastore_version, server_path=None):
        """Run the datastore on another version's binaries, on the same
        data; returns when it answers (API 1.7; ``datastore.upgrade``).

        :raises: GuestError when the new server cannot run the data.
        """
        manager = self._manager()
        # NOTE(upgrade): upstream's service status of an upgrade shares
        # its code with RESTARTING.
        self._set_status(states.SVC_RESTARTING)
        try:
            manager.upgrade(datastore_version, server_path or ())
        finally:
            self._clear_status()

    @rpc.tenant_errors_expected
    def stop_db(self, context):
        """Stop the datastore; returns when it is down (API 1.1)."""
        manager = self._manager()
        try:
            manager.stop_db()
        finally:
            if self.reporter is not None:
                self.reporter.status_changed()

    @rpc.tenant_errors_expected
    def get_filesystem_stats(self, context):
        """``{'total', 'used', 'free'}`` of the volume in GB (API 1.1)."""
        return self._manager().filesystem_stats()

    # -- databases, users, root (API 1.2): straight to the manager ---------

    @rpc.tenant_errors_expected
    def list_databases(self, context):
        return self._manager().list_databases()

    @rpc.tenant_errors_expected
    def create_databases(self, context, databases):
        return self._manager().create_databases(databases)

    @rpc.tenant_errors_expected
    def delete_database(self, context, name):
        return self._manager().delete_database(name)

    @rpc.tenant_errors_expected
    def list_users(self, context):
        return self._manager().list_users()

    @rpc.tenant_errors_expected
    def get_user(self, context, name, host):
        return self._manager().get_user(name, host)

    @rpc.tenant_errors_expected
    def create_users(self, context, users):
        return self._manager().create_users(users)

    @rpc.tenant_errors_expected
    def delete_user(self, context, name, host):
        return self._manager().delete_user(name, host)

    @rpc.tenant_errors_expected
    def update_user(self, context, name, host, attributes):
        return self._manager().update_user(name, host, attributes)

    @rpc.tenant_errors_expected
    def change_passwords(self, context, users):
        return self._manager().change_passwords(users)

    @rpc.tenant_errors_expected
    def list_access(self, context, name, host):
        return self._manager().list_access(name, host)

    @rpc.tenant_errors_expected
    def grant_access(self, context, name, host, databases):
        return self._manager().grant_access(name, host, databases)

    @rpc.tenant_errors_expected
    def revoke_access(self, context, name, host, database):
        return self._manager().revoke_access(name, host, database)

    @rpc.tenant_errors_expected
    def enable_root(self, context, password):
        return self._manager().enable_root(password)

    @rpc.tenant_errors_expected
    def disable_root(self, context):
        return self._manager().disable_root()

    @rpc.tenant_errors_expected
    def is_root_enabled(self, context):
        return self._manager().is_root_enabled()

    # -- backups (API 1.3) ----------------------------------------------------

    def create_backup(self, context, backup_info):
        """Take a backup on a thread of its own (a cast).

        The outcome goes to the conductor (``update_backup``): BUILDING
        once the stream starts, then COMPLETED with where it is stored,
        its checksum and size, or FAILED with why. A cast for a backup
        that is already running is ignored (the control plane repeats one
        it thinks was lost).
        """
        manager = self._manager()
        backup_id = backup_info['id']
        if backup_id in self._aborted:
            LOG.info('Backup %s of instance %s was aborted before it '
                     'started; not taking it', backup_id, self.instance_id)
            return
        if self.reporter is not None and \
                not self.reporter.backup_started(backup_id):
            LOG.warning('Backup %s of instance %s is already running; '
                        'ignoring another request', backup_id,
                        self.instance_id)
            return
        cancel = self._cancels.setdefault(backup_id, threading.Event())
        thread = threading.Thread(
            target=self._backup, name='backup-%s' % backup_id,
            args=(manager, backup_info, cancel), daemon=True)
        thread.start()

    def abort_backup(self, context, backup_id):
        """Stop a backup being taken (API 1.3, a cast): its tool is
        stopped and whatever it stored removed; the FAILED report that
        follows is ignored by a conductor whose backup is being deleted.
        Nothing happens for a backup this agent is not taking.
        """
        cancel = self._cancels.get(backup_id)
        if cancel is None:
            LOG.info('Backup %s of instance %s is not running here; it '
                     'will not be taken', backup_id, self.instance_id)
            self._aborted.append(backup_id)
            return
        LOG.info('Aborting backup %s of instance %s', backup_id,
                 self.instance_id)
        cancel.set()

    def _backup(self, manager, backup_info, cancel=None):
        backup_id = backup_info['id']
        LOG.info('Backup %s of instance %s starts', backup_id,
                 self.instance_id)
        try:
            self._update_backup(backup_id, {'state': 'BUILDING'})
            try:
                result = backups.take_backup(
                    manager, backup_info,
                    self._progress('backup', backup_id, 'backup'),
                    cancel=cancel)
            except Exception as err:
                LOG.exception('Backup %s of instance %s failed', backup_id,
                              self.instance_id)
                self._update_backup(backup_id, {
                    'state': 'FAILED', 'message': _summary(err),
                    'details': '%s: %s' % (type(err).__name__, err)})
                return
            LOG.info('Backup %s of instance %s is stored at %s (%s bytes)',
                     backup_id, self.instance_id, result['location'],
                     result['size'])
            fields = {'state': 'COMPLETED'}
            fields.update((key, result[key]) for key in (
                'location', 'checksum', 'size', 'backup_type', 'metadata'))
            self._update_backup(backup_id, fields)
        finally:
            self._cancels.pop(backup_id, None)
            if self.reporter is not None:
                self.reporter.backup_ended(backup_id)

    def _update_backup(self, backup_id, fields):
        if self.reporter is not None:
            self.reporter.update_backup(backup_id, fields)

    def _progress(self, kind, resource_id, operation):
        if self.reporter is None:
            return None
        return progress_module.ProgressReporter(self.reporter, kind,
                                                resource_id, operation)

    # -- replication (API 1.4) ------------------------------------------------
    #
    # Calls: the control plane's workflow waits for each step. The
    # strategy does the work (``manager.replication()``); a datastore
    # without one refuses with DatastoreOperationNotSupported.

    @rpc.tenant_errors_expected
    def get_replication_snapshot(self, context, snapshot_info=None):
        """Become a source; ``{'source', 'snapshot'}`` for a new
        replica (a backup in storage when ``snapshot_info`` asks for one).
        """
        strategy = self._manager().replication()
        with self._replication_lock:
            source_info = strategy.enable_as_source()
            snapshot = strategy.snapshot(source_info, snapshot_info)
        return {'source': source_info, 'snapshot': snapshot}

    @rpc.tenant_errors_expected
    def attach_replica(self, context, source_info):
        with self._replication_lock:
            self._manager().replication().attach(source_info)
        self._replication_changed()

    @rpc.tenant_errors_expected
    def promote_to_replica_source(self, context):
        with self._replication_lock:
            source_info = self._manager().replication().promote()
        self._replication_changed()
        return source_info

    @rpc.tenant_errors_expected
    def fence_replica_source(self, context):
        with self._replication_lock:
            self._manager().replication().fence()

    @rpc.tenant_errors_expected
    def detach_replica(self, context):
        with self._replication_lock:
            self._manager().replication().detach()
        self._replication_changed()

    @rpc.tenant_errors_expected
    def remove_replica(self, context, replica_id):
        with self._replication_lock:
            self._manager().replication().remove_replica({'id': replica_id})

    @rpc.tenant_errors_expected
    def get_replication_state(self, context):
        return self._manager().replication().state()

    # -- configuration groups (API 1.5) ------------------------------------------

    @rpc.tenant_errors_expected
    def apply_configuration(self, context, overrides, memory_mb):
        """Make ``overrides`` the instance's configuration overrides;
        ``{'pending_restart': [names]}``.
        """
        return self._manager().apply_configuration(overrides, memory_mb)

    @rpc.tenant_errors_expected
    def get_configuration_defaults(self, context, memory_mb):
        return self._manager().configuration_defaults(memory_mb)

    # -- resize (API 1.6) --------------------------------------------------------

    @rpc.tenant_errors_expected
    def resize_flavor(self, context, memory_mb):
        """Re-tune the datastore for a flavor of ``memory_mb`` MB and
        restart it; returns when it answers again.
        """
        manager = self._manager()
        self._set_status(states.SVC_RESTARTING)
        try:
            manager.resize_flavor(memory_mb)
        finally:
            self._clear_status()

    @rpc.tenant_errors_expected
    def resize_fs(self, context, volume_size):
        """Grow the volume's filesystem to its device (``volume_size``
        GB); returns when the datastore answers on it.
        """
        self._manager().resize_fs(volume_size)
        if self.reporter is not None:
            self.reporter.status_changed()

    # -- guest logs (API 1.8) ------------------------------------------------

    @rpc.tenant_errors_expected
    def guest_log_list(self, context):
        """``[{'name', 'type', 'status', 'published', 'pending'}]``."""
        return self._manager().guest_logs().list()

    @rpc.tenant_errors_expected
    def guest_log_action(self, context, log_name, enable=False,
                         disable=False, publish=False, discard=False,
                         publication=None, long_query_time=None):
        """Enable, disable, discard and publish one log, as asked; the
        log as ``guest_log_list`` shows it. ``publication`` says where
        (``guest_logs.Publication``), for a publish or discard.
        """
        return self._manager().guest_logs().action(
            log_name, enable=enable, disable=disable, publish=publish,
            discard=discard, publication=publication,
            long_query_time=long_query_time)

    def _replication_changed(self):
        if self.reporter is not None:
            self.reporter.status_changed()

    # -- helpers ---------------------------------------------------------------

    def _manager(self):
        if self.manager is None:
            raise exception.GuestError(
                message='The agent of instance %s has no datastore manager '
                        '([guest] datastore_manager is not set).'
                        % self.instance_id)
        return self.manager

    def _prepare(self, manager, memory_mb, databases, users, root_password,
                 volume_size, restore_info=None, replica_info=None,
                 overrides=None):
        LOG.info('Preparing instance %s%s', self.instance_id,
                 ' as a replica' if replica_info else
                 ' from a backup' if restore_info else '')
        try:
            kwargs = {'restore_info': restore_info} if restore_info else {}
            if replica_info:
                kwargs['replica_info'] = replica_info
            if overrides is not None:
                kwargs['overrides'] = overrides
            manager.prepare(memory_mb, databases, users,
                            root_password=root_password,
                            volume_size=volume_size, **kwargs)
        except Exception as err:
            LOG.exception('prepare of instance %s failed', self.instance_id)
            self._prepare_failed(manager, err)
            return
        LOG.info('Instance %s is prepared', self.instance_id)
        # From now on the datastore speaks for itself (healthy, as it just
        # answered the manager).
        self._clear_status()

    def _prepare_failed(self, manager, err):
        summary = _summary(err)
        try:
            # NOTE(cleanup): a failed create must leave no process behind.
            manager.stop_db()
        except Exception:
            LOG.exception('Cannot stop the datastore of instance %s after '
                          'a failed prepare', self.instance_id)
        if self.reporter is not None:
            self.reporter.report_fault(
                PREPARE_FAILED % (self.instance_id, summary),
                '%s: %s' % (type(err).__name__, err))
        self._set_status(states.SVC_FAILED)

    def _set_status(self, status):
        if self.reporter is not None:
            self.reporter.set_status(status)

    def _clear_status(self):
        if self.reporter is not None:
            self.reporter.clear_status()


def _summary(err):
    """The first line of an error's message, for a tenant's fault."""
    lines = str(err).strip().splitlines()
    return lines[0].rstrip('.') if lines else type(err).__name__
