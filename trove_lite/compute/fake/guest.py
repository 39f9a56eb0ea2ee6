"""A fake guest agent on the bus, for tests without a datastore.

``FakeGuest`` listens where a real agent of the instance would
(``guestagent.<instance_id>``) and plays the guest's side of the contract:
``prepare`` answers with a 'healthy' heartbeat to the conductor (or a
fault and 'failed to spawn', or nothing at all), ``restart`` and
``stop_db`` return at once. ``FakeGuestLauncher`` starts one per server
of the fake driver, so create flows run end to end on the in-memory bus.

The databases, users and root of guest API 1.2 go to an in-memory
datastore manager that ``cmd`` hands the launcher (``datastore_factory``;
the ``fake`` datastore's manager), so the API's database and user routes
work against fake guests too; without one those calls raise GuestError.

NOTE(layers): it speaks the guest and conductor contracts through
``common.rpc`` with the topic and versions spelled out, because
``compute`` sits below ``guestagent`` and ``conductor`` and must not
import them. Keep it in step with ``guestagent/rpcapi.py`` and
``conductor/rpcapi.py``.
"""

import threading
import time

from oslo_config import cfg
import oslo_messaging

from trove_lite.common import context
from trove_lite.common import exception
from trove_lite.common import rpc
from trove_lite.common import sealing
from trove_lite.common import service
from trove_lite.compute.local import launcher as agent_launcher
from trove_lite.db.repositories import instances as instance_repo

HEALTHY = 'healthy'
FAILED = 'failed'
SILENT = 'silent'
# The agent exits at once: nothing listens, and the launcher runs nothing.
DEAD = 'dead'


# Guest API 1.2 methods passed to the in-memory datastore as they come.
DATASTORE_METHODS = (
    'list_databases', 'create_databases', 'delete_database', 'list_users',
    'get_user', 'create_users', 'delete_user', 'update_user',
    'change_passwords', 'list_access', 'grant_access', 'revoke_access',
    'enable_root', 'disable_root', 'is_root_enabled')


# The guest API a fake agent speaks unless told otherwise.
API_VERSION = '1.8'


class FakeGuestEndpoint:
    """The guest agent API (1.2) answered without a datastore server.

    :param datastore: a datastore manager (``DatastoreManager`` interface)
        that keeps databases and users in memory; None when there is none.
    :param api_version: the guest API it speaks and announces: another
        one plays an agent of another release.
    """

    def __init__(self, instance_id, behaviour=HEALTHY, serializer=None,
                 datastore=None, api_version=API_VERSION):
        self.target = oslo_messaging.Target(version=api_version)
        self.instance_id = instance_id
        self.behaviour = behaviour
        self.datastore = datastore
        self.calls = []
        self._conductor = rpc.get_client(cfg.CONF.conductor_queue, '1.0',
                                         serializer=serializer)

    def _report(self, context, method, version='1.1', **kwargs):
        cctxt = rpc.prepare(self._conductor, version)
        rpc.cast(cctxt, context, method, instance_id=self.instance_id,
                 sent=time.time(), **kwargs)

    def heartbeat(self, context, description):
        payload = {'service_status': description, 'agent_version': 'fake',
                   'volume': {'used': 0.1, 'total': 1.0}}
        replication = (self.datastore.replication_state()
                       if self.datastore is not None else None)
        if replication is not None:
            payload['replication'] = replication
        self._report(context, 'heartbeat', payload=payload)

    def rpc_ping(self, context):
        self.calls.append('rpc_ping')
        return rpc.ping_reply('guestagent', self.target.version,
                              instance_id=self.instance_id)

    def prepare(self, context, memory_mb, databases, users,
                root_password=None, volume_size=None, restore_info=None,
                replica_info=None, overrides=None):
        self.calls.append('prepare')
        if self.datastore is not None and self.behaviour == HEALTHY:
            extra = {'restore_info': restore_info} if restore_info else {}
            if replica_info:
                extra['replica_info'] = replica_info
            if overrides is not None:
                extra['overrides'] = overrides
            try:
                self.datastore.prepare(memory_mb, databases, users,
                                       root_password=root_password,
                                       volume_size=volume_size, **extra)
            except Exception as err:
                self._report(context, 'report_fault',
                             message='The datastore could not be set up: '
                                     '%s' % err, details=repr(err))
                self.heartbeat(context, 'failed to spawn')
                return
        if self.behaviour == HEALTHY:
            self.heartbeat(context, 'healthy')
        elif self.behaviour == FAILED:
            self._report(context, 'report_fault',
                         message='The datastore failed to start.',
                         details='fake guest told to fail')
            self.heartbeat(context, 'failed to spawn')

    def restart(self, context):
        self.calls.append('restart')
        if self.datastore is not None:
            # What waited for a restart (a configuration change) is live.
            self.datastore.restart()
        self.heartbeat(context, 'healthy')

    def stop_db(self, context):
        self.calls.append('stop_db')
        if self.datastore is not None:
            self.datastore.stop_db()
        self.heartbeat(context, 'shutdown')

    def upgrade(self, context, datastore_version, server_path=None):
        """Guest API 1.7: the in-memory datastore "runs" another
        version (its data kept); a healthy report follows as after a
        restart.
        """
        self.calls.append('upgrade')
        if self.datastore is not None:
            self.datastore.upgrade(datastore_version, server_path or ())
        self.heartbeat(context, 'healthy')

    def create_backup(self, context, backup_info):
        """Guest API 1.3: the datastore's strategy writes the backup
        (the ``fake`` one streams its in-memory state) on a thread, and
        the outcome goes to the conductor as a real agent's does.
        """
        self.calls.append('create_backup')
        threading.Thread(target=self._backup, args=(context, backup_info),
                         daemon=True).start()

    def _backup(self, context, backup_info):
        backup_id = backup_info['id']

        def report(fields):
            self._report(context, 'update_backup', version='1.3',
                         backup_id=backup_id, fields=fields)
        report({'state': 'BUILDING'})
        try:
            if self.datastore is None:
                raise exception.GuestError(
                    reason='this fake guest has no datastore to back up')
            result = self.datastore.create_backup(backup_info)
        except Exception as err:
            report({'state': 'FAILED', 'message': str(err),
                    'details': repr(err)})
            return
        fields = {'state': 'COMPLETED'}
        fields.update((key, result[key]) for key in (
            'location', 'checksum', 'size', 'backup_type', 'metadata'))
        report(fields)

    # -- replication (guest API 1.4): the datastore's strategy --------------

    def get_replication_snapshot(self, context, snapshot_info=None):
        strategy = self._replication('get_replication_snapshot')
        source_info = strategy.enable_as_source()
        return {'source': source_info,
                'snapshot': strategy.snapshot(source_info, snapshot_info)}

    def attach_replica(self, context, source_info):
        self._replication('attach_replica').attach(source_info)
        self.heartbeat(context, 'healthy')

    def promote_to_replica_source(self, context):
        source_info = self._replication('promote_to_replica_source').promote()
        self.heartbeat(context, 'healthy')
        return source_info

    def fence_replica_source(self, context):
        self._replication('fence_replica_source').fence()

    def detach_replica(self, context):
        self._replication('detach_replica').detach()
        self.heartbeat(context, 'healthy')

    def remove_replica(self, context, replica_id):
        self._replication('remove_replica').remove_replica({'id': replica_id})

    def get_replication_state(self, context):
        return self._replication('get_replication_state').state()

    def _replication(self, method):
        self.calls.append(method)
        if self.datastore is None:
            raise exception.GuestError(
                reason='this fake guest has no datastore for %s' % method)
        return self.datastore.replication()

    def get_filesystem_stats(self, context):
        return {'total': 1.0, 'used': 0.1, 'free': 0.9}

    # -- configuration groups (guest API 1.5) ------------------------------------

    def apply_configuration(self, context, overrides, memory_mb):
        return self._datastore_call('apply_configuration',
                                    overrides=overrides, memory_mb=memory_mb)

    def get_configuration_defaults(self, context, memory_mb):
        return self._datastore_call('configuration_defaults',
                                    memory_mb=memory_mb)

    # -- resize (guest API 1.6) -------------------------------------------------

    def resize_flavor(self, context, memory_mb):
        self.calls.append('resize_flavor')
        if self.datastore is not None:
            self.datastore.resize_flavor(memory_mb)
        self.heartbeat(context, 'healthy')

    def resize_fs(self, context, volume_size):
        self.calls.append('resize_fs')
        if self.datastore is not None:
            self.datastore.resize_fs(volume_size)

    # -- guest logs (guest API 1.8) ----------------------------------------------

    def guest_log_list(self, context):
        self.calls.append('guest_log_list')
        return self._logs().list()

    def guest_log_action(self, context, log_name, **kwargs):
        self.calls.append('guest_log_action')
        return self._logs().action(log_name, **kwargs)

    def _logs(self):
        if self.datastore is None:
            raise exception.GuestError(
                reason='this fake guest has no datastore for guest logs')
        return self.datastore.guest_logs()

    def _datastore_call(self, method, **kwargs):
        self.calls.append(method)
        if self.datastore is None:
            raise exception.GuestError(
                reason='this fake guest has no datastore for %s' % method)
        return getattr(self.datastore, method)(**kwargs)


def _delegate(method):
    def call(self, context, **kwargs):
        return self._datastore_call(method, **kwargs)
    call.__name__ = method
    call.__doc__ = 'Guest API 1.2 ``%s``, in memory.' % method
    return call


for _method in DATASTORE_METHODS:
    setattr(FakeGuestEndpoint, _method, _delegate(_method))


class FakeGuest:
    """A fake agent of one instance: ``start``/``stop``/``wait``."""

    def __init__(self, instance_id, behaviour=HEALTHY, key=None,
                 datastore=None, api_version=API_VERSION):
        serializer = (sealing.GuestSerializer(instance_id, key) if key
                      else None)
        self.endpoint = FakeGuestEndpoint(instance_id, behaviour, serializer,
                                          datastore, api_version)
        self.service = service.RPCService(
            'guestagent.%s' % instance_id, instance_id, self.endpoint,
            serializer=serializer)

    def start(self):
        self.service.start()

    def stop(self):
        self.service.stop()

    def wait(self):
        self.service.wait()


class FakeGuestLauncher(agent_launcher.AgentLauncher):
    """Starts a ``FakeGuest`` per instance.

    :param behaviour: HEALTHY, FAILED, SILENT or DEAD, for every guest.
    :param datastore_factory: ``datastore_factory(instance_id)`` returns
        the in-memory datastore of a new guest; none when omitted.
    :param api_version: the guest API every guest speaks.
    """

    def __init__(self, behaviour=HEALTHY, datastore_factory=None,
                 api_version=API_VERSION):
        self.behaviour = behaviour
        self.api_version = api_version
        self.datastore_factory = datastore_factory
        self.guests = {}
        self._lock = threading.Lock()

    def start(self, instance_id, guest_info_path):
        if self.behaviour == DEAD:
            return
        with self._lock:
            if instance_id in self.guests:
                return
            key = instance_repo.key_of(context.get_admin_context(),
                                       instance_id)
            datastore = (self.datastore_factory(instance_id)
                         if self.datastore_factory else None)
            guest = FakeGuest(instance_id, self.behaviour, key, datastore,
                              self.api_version)
            guest.start()
            self.guests[instance_id] = guest

    def stop(self, instance_id):
        with self._lock:
            guest = self.guests.pop(instance_id, None)
        if guest is not None:
            guest.stop()
            guest.wait()

    def running(self, instance_id):
        with self._lock:
            return instance_id in self.guests

    def stop_all(self):
        for instance_id in list(self.guests):
            self.stop(instance_id)
