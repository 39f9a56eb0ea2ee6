"""Client side of the guest agent RPC API.

The control plane talks to the agent of one instance through
``GuestAgentAPI(context, instance_id)``: topic ``guestagent.<instance_id>``,
server ``<instance_id>`` (upstream's names, so the queues match).

This is the contract that must survive mixed versions: guests are upgraded
last, or never, so a new control plane must keep speaking to old agents.
Every method names the version it needs, ``[upgrade_levels] guestagent``
caps what is sent, and a method an old agent does not know checks
``can_send_version`` and falls back or refuses with a clear error.
"""

from trove_lite.common import exception
from trove_lite.common import key_storage
from trove_lite.common import rpc
from trove_lite.common import sealing
from trove_lite import conf

CONF = conf.CONF

TOPIC_PREFIX = 'guestagent'


def topic_for(instance_id):
    """The RPC topic of the agent of ``instance_id``."""
    return '%s.%s' % (TOPIC_PREFIX, instance_id)


def for_instance(context, instance):
    """The client of the agent of ``instance`` (its infra DB row), sealing
    with the instance's key.
    """
    return GuestAgentAPI(context, instance.id,
                         key=key_storage.decrypt(instance.encrypted_key))


class GuestAgentAPI:
    """Client side of the guest agent RPC API.

    API version history:

    |    1.0 - Initial version: rpc_ping.
    |    1.1 - prepare, restart, stop_db, get_filesystem_stats.
    |    1.2 - databases, users, access and root: list_databases,
    |          create_databases, delete_database, list_users, get_user,
    |          create_users, delete_user, update_user, change_passwords,
    |          list_access, grant_access, revoke_access, enable_root,
    |          disable_root, is_root_enabled (all calls, so that errors
    |          reach the tenant).
    |    1.3 - create_backup and abort_backup (casts); prepare takes
    |          ``restore_info``.
    |    1.4 - replication: get_replication_snapshot, attach_replica,
    |          promote_to_replica_source, fence_replica_source,
    |          detach_replica, remove_replica, get_replication_state
    |          (calls); prepare takes
    |          ``replica_info``.
    |    1.5 - configuration groups: apply_configuration,
    |          get_configuration_defaults (calls); prepare takes
    |          ``overrides``.
    |    1.6 - resize: resize_flavor (the datastore re-tuned for the new
    |          flavor's memory and restarted) and resize_fs (the volume's
    |          filesystem grown to the device the compute driver grew),
    |          both calls.
    |    1.7 - upgrade (a call): run the datastore on another version's
    |          binaries, on the same data.
    |    1.8 - guest logs: guest_log_list and guest_log_action (calls).

    Bump ``RPC_API_VERSION`` (here and in ``service.GuestAgentEndpoint``)
    for every change, add the new version to this history, and send new or
    changed methods with that version.

    :param context: the request context every message carries.
    :param instance_id: the instance whose agent is addressed.
    :param key: the instance's key; everything sent to the agent is
        sealed with it (``common.sealing``), and an agent with a key
        refuses anything else.
    """

    # NOTE(versions): must equal service.RPC_API_VERSION.
    RPC_API_VERSION = '1.8'
    BASE_VERSION = '1.0'
    SERVICE_NAME = 'guestagent'
    # Release names accepted in [upgrade_levels] guestagent.
    VERSION_ALIASES = {}

    def __init__(self, context, instance_id, key=None):
        self.context = context
        self.instance_id = instance_id
        serializer = (sealing.GuestSerializer(instance_id, key) if key
                      else None)
        self.client = rpc.get_client(
            topic_for(instance_id), self.BASE_VERSION,
            version_cap=rpc.version_cap('guestagent', self.VERSION_ALIASES),
            server=instance_id, serializer=serializer)

    def rpc_ping(self, timeout=None):
        """Ask the agent who it is.

        :returns: ``{'service', 'host', 'version', 'rpc_api_version',
            'instance_id'}``.
        :raises: RPCTimeout when the agent does not answer within
            ``timeout`` seconds (``agent_call_low_timeout`` when None).
        """
        return self._call('rpc_ping', '1.0',
                          timeout or CONF.agent_call_low_timeout)

    def prepare(self, memory_mb, databases, users, root_password=None,
                volume_size=None, restore_info=None, replica_info=None,
                overrides=None):
        """Initialise and start the datastore, then create the initial
        databases and users (a cast: the agent reports progress through
        heartbeats and failure through ``report_fault``).

        :param databases: ``[{'name', 'character_set'?, 'collate'?}]``.
        :param users: ``[{'name', 'password', 'host'?, 'databases':
            [{'name'}]}]``.
        :param restore_info: fill the datastore from a chain of backups
            first (``guestagent.backups.restore``); needs API 1.3.
        :param replica_info: make the instance a replica
            (``{'source', 'snapshot'}`` of ``get_replication_snapshot``);
            needs API 1.4.
        :param overrides: the configuration group's values; needs API
            1.5.
        :raises: GuestAPIIncompatible when a restore is asked of an
            agent older than 1.3 (it would build an empty datastore), a
            replica of one older than 1.4, or a configuration group of
            one older than 1.5.
        """
        kwargs = dict(memory_mb=memory_mb, databases=databases, users=users,
                      root_password=root_password, volume_size=volume_size)
        if overrides is not None:
            self._require('1.5', 'apply a configuration group')
            cctxt = rpc.prepare(self.client, '1.5')
            kwargs['overrides'] = overrides
            for key, value in (('replica_info', replica_info),
                               ('restore_info', restore_info)):
                if value is not None:
                    kwargs[key] = value
        elif replica_info is not None:
            self._require('1.4', 'build a replica')
            cctxt = rpc.prepare(self.client, '1.4')
            kwargs['replica_info'] = replica_info
            if restore_info is not None:
                kwargs['restore_info'] = restore_info
        elif restore_info is not None:
            self._require('1.3', 'restore a backup')
            cctxt = rpc.prepare(self.client, '1.3')
            kwargs['restore_info'] = restore_info
        else:
            cctxt = rpc.prepare(self.client, '1.1')
        rpc.cast(cctxt, self.context, 'prepare', **kwargs)

    def create_backup(self, backup_info):
        """Take a backup in the background (API 1.3, a cast): the agent
        reports its start, progress and outcome to the conductor
        (``update_backup``, ``report_progress``), and names it in every
        heartbeat while it runs.

        :param backup_info: ``{'id', 'instance_id', 'backup_type',
            'storage', 'parent'}`` (``guestagent.backups.take_backup``).
        """
        self._require('1.3', 'take a backup')
        cctxt = rpc.prepare(self.client, '1.3')
        rpc.cast(cctxt, self.context, 'create_backup',
                 backup_info=backup_info)

    def restart(self):
        """Restart the datastore; returns when it is up again."""
        return self._call('restart', '1.1', CONF.agent_call_high_timeout)

    def upgrade(self, datastore_version, server_path, timeout=None):
        """Run the datastore on the binaries of ``datastore_version``
        (in ``server_path``; PATH's when empty), on the same data;
        returns when it answers (API 1.7). Also how a failed upgrade is
        undone: the old version again.

        :raises: GuestAPIIncompatible for an agent older than 1.7;
            GuestError when the new server cannot run the data.
        """
        self._require('1.7', 'upgrade the datastore')
        return self._call('upgrade', '1.7',
                          timeout or CONF.agent_call_high_timeout,
                          datastore_version=datastore_version,
                          server_path=list(server_path or ()))

    def stop_db(self):
        """Stop the datastore; returns when it is down."""
        return self._call('stop_db', '1.1', CONF.agent_call_low_timeout)

    def get_filesystem_stats(self):
        """``{'total', 'used', 'free'}`` of the data volume, in GB."""
        return self._call('get_filesystem_stats', '1.1',
                          CONF.agent_call_low_timeout)

    # -- databases, users, root (1.2) ------------------------------------
    # Shapes as in ``datastores.base.DatastoreManager``. Listing and
    # reading use the low timeout; anything that changes the server may
    # wait on locks held by the tenant's own sessions and uses the high one.

    def list_databases(self):
        return self._call('list_databases', '1.2',
                          CONF.agent_call_low_timeout)

    def create_databases(self, databases):
        return self._call('create_databases', '1.2',
                          CONF.agent_call_high_timeout, databases=databases)

    def delete_database(self, name):
        return self._call('delete_database', '1.2',
                          CONF.agent_call_high_timeout, name=name)

    def list_users(self):
        return self._call('list_users', '1.2', CONF.agent_call_low_timeout)

    def get_user(self, name, host):
        return self._call('get_user', '1.2', CONF.agent_call_low_timeout,
                          name=name, host=host)

    def create_users(self, users):
        return self._call('create_users', '1.2',
                          CONF.agent_call_high_timeout, users=users)

    def delete_user(self, name, host):
        return self._call('delete_user', '1.2', CONF.agent_call_high_timeout,
                          name=name, host=host)

    def update_user(self, name, host, attributes):
        return self._call('update_user', '1.2', CONF.agent_call_high_timeout,
                          name=name, host=host, attributes=attributes)

    def change_passwords(self, users):
        return self._call('change_passwords', '1.2',
                          CONF.agent_call_high_timeout, users=users)

    def list_access(self, name, host):
        return self._call('list_access', '1.2', CONF.agent_call_low_timeout,
                          name=name, host=host)

    def grant_access(self, name, host, databases):
        return self._call('grant_access', '1.2',
                          CONF.agent_call_high_timeout, name=name,
                          host=host, databases=databases)

    def revoke_access(self, name, host, database):
        return self._call('revoke_access', '1.2',
                          CONF.agent_call_high_timeout, name=name,
                          host=host, database=database)

    def enable_root(self, password):
        return self._call('enable_root', '1.2', CONF.agent_call_high_timeout,
                          password=password)

    def disable_root(self):
        return self._call('disable_root', '1.2',
                          CONF.agent_call_high_timeout)

    def is_root_enabled(self):
        return self._call('is_root_enabled', '1.2',
                          CONF.agent_call_low_timeout)

    def abort_backup(self, backup_id):
        """Stop a backup the agent is taking and remove what it stored
        (API 1.3, a cast; nothing happens for one it is not taking).
        """
        self._require('1.3', 'abort a backup')
        cctxt = rpc.prepare(self.client, '1.3')
        rpc.cast(cctxt, self.context, 'abort_backup', backup_id=backup_id)

    # -- replication (1.4) -------------------------------------------------
    # Shapes as in ``guestagent.strategies.replication.base``. A snapshot
    # may stream a whole backup: it waits as long as a backup may take.

    def get_replication_snapshot(self, snapshot_info=None, timeout=None):
        """Make the instance a replication source and say what a new
        replica is seeded from.

        :param snapshot_info: a ``backup_info`` for a strategy that seeds
            through a backup in storage; None to seed without one.
        :param timeout: seconds to wait (default
            ``agent_replication_snapshot_timeout``: a snapshot may stream a
            whole backup; without one, the high call timeout is plenty).
        :returns: ``{'source': source_info, 'snapshot': snapshot}`` (what
            ``prepare`` of the replica takes as ``replica_info``).
        """
        return self._replication_call(
            'get_replication_snapshot',
            timeout or CONF.agent_replication_snapshot_timeout,
            snapshot_info=snapshot_info)

    def attach_replica(self, source_info):
        """Make the instance follow ``source_info`` (read-only)."""
        return self._replication_call('attach_replica',
                                      CONF.agent_call_high_timeout,
                                      source_info=source_info)

    def promote_to_replica_source(self):
        """Stop following; become a writable source.

        :returns: its ``source_info``.
        """
        return self._replication_call('promote_to_replica_source',
                                      CONF.agent_call_high_timeout)

    def fence_replica_source(self):
        """Refuse the tenant's writes, still as a source (before a
        promote).
        """
        return self._replication_call('fence_replica_source',
                                      CONF.agent_call_high_timeout)

    def detach_replica(self):
        """Stop following and forget the source; writable."""
        return self._replication_call('detach_replica',
                                      CONF.agent_call_high_timeout)

    def remove_replica(self, replica_id):
        """On a source: forget the replica ``replica_id``."""
        return self._replication_call('remove_replica',
                                      CONF.agent_call_high_timeout,
                                      replica_id=replica_id)

    def get_replication_state(self):
        """What the server says about its replication now (``state``)."""
        return self._replication_call('get_replication_state',
                                      CONF.agent_call_low_timeout)

    def apply_configuration(self, overrides, memory_mb):
        """Make ``overrides`` (the whole set; ``{}`` detaches) the
        instance's configuration overrides, live where the server allows.

        :returns: ``{'pending_restart': [names]}``.
        """
        self._require('1.5', 'apply a configuration group')
        return self._call('apply_configuration', '1.5',
                          CONF.agent_call_high_timeout, overrides=overrides,
                          memory_mb=memory_mb)

    def get_configuration_defaults(self, memory_mb):
        """The parameters the instance's server has without overrides."""
        self._require('1.5', 'show the configuration defaults')
        return self._call('get_configuration_defaults', '1.5',
                          CONF.agent_call_low_timeout, memory_mb=memory_mb)

    def resize_flavor(self, memory_mb):
        """Re-tune the datastore for a flavor of ``memory_mb`` MB (the
        flavor layer of its configuration) and restart it; returns when
        it answers again.

        :raises: GuestAPIIncompatible for an agent older than 1.6.
        """
        self._require('1.6', 'resize the flavor')
        return self._call('resize_flavor', '1.6',
                          CONF.agent_call_high_timeout, memory_mb=memory_mb)

    def resize_fs(self, volume_size):
        """Grow the volume's filesystem to its device (which the compute
        driver extended to ``volume_size`` GB), stopping the datastore
        meanwhile when the filesystem cannot grow mounted.

        :raises: GuestAPIIncompatible for an agent older than 1.6.
        """
        self._require('1.6', 'resize the volume')
        return self._call('resize_fs', '1.6', CONF.agent_call_high_timeout,
                          volume_size=volume_size)

    # -- guest logs (1.8) ----------------------------------------------------

    def guest_log_list(self):
        """Every log of the datastore: ``[{'name', 'type', 'status',
        'published', 'pending'}]``.

        :raises: GuestAPIIncompatible for an agent older than 1.8.
        """
        self._require('1.8', 'list guest logs')
        return self._call('guest_log_list', '1.8',
                          CONF.agent_call_low_timeout)

    def guest_log_action(self, log_name, enable=False, disable=False,
                         publish=False, discard=False, publication=None,
                         long_query_time=None):
        """Enable, disable, discard, publish log ``log_name`` as asked;
        returns it as ``guest_log_list`` shows it.

        :param publication: ``{'storage', 'prefix', 'metafile', 'limit',
            'expiry'}`` for a publish or discard (``guestagent.guest_logs
            .Publication``).
        :param long_query_time: milliseconds, for an enable of a slow
            query log.
        :raises: GuestAPIIncompatible for an agent older than 1.8.
        """
        self._require('1.8', 'act on a guest log')
        return self._call('guest_log_action', '1.8',
                          CONF.agent_call_high_timeout, log_name=log_name,
                          enable=bool(enable), disable=bool(disable),
                          publish=bool(publish), discard=bool(discard),
                          publication=publication,
                          long_query_time=long_query_time)

    def _replication_call(self, method, timeout, **kwargs):
        self._require('1.4', method)
        return self._call(method, '1.4', timeout, **kwargs)

    def _require(self, version, method):
        if not self.client.can_send_version(version):
            raise exception.GuestAPIIncompatible(
                uuid=self.instance_id, method=method,
                version=self.client.version_cap or 'an older version',
                needed=version)

    def _call(self, method, version, timeout, **kwargs):
        cctxt = rpc.prepare(self.client, version, timeout=timeout)
        return rpc.call(cctxt, self.context, method, self._service(),
                        **kwargs)

    def _service(self):
        return 'the guest agent of instance %s' % self.instance_id
