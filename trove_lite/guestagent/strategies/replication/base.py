"""The interface of a replication strategy plugin.

A strategy knows one way of making one instance's server follow
another's: MariaDB GTID replication, PostgreSQL streaming replication,
Redis ``REPLICAOF``. It is a stevedore plugin of ``[<manager>]
replication_namespace`` (default
``trove_lite.guestagent.strategies.replication``), named by
``[<manager>] replication_strategy``, built as ``Strategy(manager)``;
a strategy someone else installs under that namespace is picked by
configuration alone.

The control plane owns the topology (who follows whom is data in the
infrastructure database); a strategy only carries out on its own server
what the control plane decided, and reports what the server says
(``state``), so that the control plane can show lag, pick the most
advanced replica for a failover and notice a server that disagrees with
the topology. Every method is safe to repeat (a workflow resumed after
its taskmanager died repeats its last step).

Shapes (plain dicts, as they travel over RPC):

``source_info``, what a replica needs to follow a source (the strategy of
the source builds it in ``enable_as_source``; only the same strategy
reads it)::

    {'host': <address replicas connect to>, 'port': <int>,
     'user': <replication account>, 'password': <its password>,
     ...strategy's own keys}

``snapshot``, what a new replica is seeded from (``snapshot``'s
result)::

    {'backup': <a chain entry as in restore_info, or None>,
     ...strategy's own keys (e.g. the GTID position of the backup)}

``state``, what the server says now (``state``; heartbeats carry it)::

    {'role': 'source' | 'replica' | None,
     'source': {'host', 'port'} or None,   # whom a replica follows
     'running': bool,                      # a replica's stream is up
     'lag': seconds (float) or None,       # a replica's delay
     'position': comparable or None,       # how far its data goes
     'error': str or None}                 # why the stream is down

``position`` values of one strategy compare with ``<`` and ``==`` (a
list of ints, an int): the control plane promotes the replica with the
greatest one.
"""

import abc
import json
import os
import re
import secrets
import tempfile

from trove_lite.common import exception

SOURCE = 'source'
REPLICA = 'replica'
_HOST = re.compile(r'^[A-Za-z0-9.:\-]{1,255}$')


def check_endpoint(source_info, user_pattern, password_pattern):
    """``{'host', 'port', 'user', 'password'}`` of a ``source_info``,
    each checked: what every strategy's replica connects with. A strategy
    passes the patterns its server's names and files allow (they end up
    in option files, connection strings, password files).

    :raises: exception.BadValue for one a replica must not use.
    """
    if not isinstance(source_info, dict):
        raise exception.BadValue(message='The replication source must be '
                                         'an object, not %r.' % (source_info,))
    host = source_info.get('host')
    port = source_info.get('port')
    user = source_info.get('user')
    password = source_info.get('password')
    if not isinstance(host, str) or not _HOST.match(host):
        raise exception.BadValue(message='Invalid replication source host '
                                         '%r.' % (host,))
    if isinstance(port, bool) or not isinstance(port, int) or \
            not 0 < port < 65536:
        raise exception.BadValue(message='Invalid replication source port '
                                         '%r.' % (port,))
    if not isinstance(user, str) or not user_pattern.match(user):
        raise exception.BadValue(message='Invalid replication user %r.'
                                 % (user,))
    if not isinstance(password, str) or not password_pattern.match(password):
        raise exception.BadValue(message='The replication source\'s '
                                         'password is missing or invalid.')
    return {'host': host, 'port': port, 'user': user, 'password': password}


#: The record key of the replication account's password, and its size.
PASSWORD = 'password'
PASSWORD_BYTES = 24
#: In the instance directory: what a strategy must remember across
#: restarts of its server and of the agent (the role, whom it follows,
#: the replication account), so that a server started again (by a
#: restart, or by the agent after a crash) comes back in its role.
RECORD_FILE = 'replication.json'


class ReplicationStrategy(metaclass=abc.ABCMeta):
    """One way of replicating one datastore.

    :param manager: the instance's datastore manager
        (``datastores.server.ServerManager`` for the real ones): its
        ``paths``, ``port``, ``info`` and helpers.
    """

    #: The plugin's name.
    name = None

    def __init__(self, manager):
        self.manager = manager

    # -- what the instance remembers --------------------------------------

    def recorded(self):
        """What ``record`` saved (``{}`` when nothing was)."""
        try:
            with open(self.manager.path(RECORD_FILE)) as handle:
                return json.load(handle)
        except FileNotFoundError:
            return {}

    def record(self, **values):
        """Merge ``values`` into the record (atomically; a value None
        removes its key). It holds secrets: only the agent reads it.
        """
        saved = self.recorded()
        saved.update(values)
        saved = {key: value for key, value in saved.items()
                 if value is not None}
        target = self.manager.path(RECORD_FILE)
        # NOTE(replication): a temporary file of its own (mode 0600), so
        # that no other writer's rename can take it away.
        fd, temporary = tempfile.mkstemp(
            dir=os.path.dirname(target), prefix=RECORD_FILE + '.')
        try:
            with os.fdopen(fd, 'w') as handle:
                json.dump(saved, handle, sort_keys=True)
            os.replace(temporary, target)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise

    def replication_password(self):
        """The password of the replication account a source gives its
        replicas: generated the first time, recorded before the account
        gets it (a repeat uses the same).
        """
        password = self.recorded().get(PASSWORD)
        if not password:
            password = secrets.token_urlsafe(PASSWORD_BYTES)
            self.record(**{PASSWORD: password})
        return password

    # -- on a source ---------------------------------------------------------

    @abc.abstractmethod
    def enable_as_source(self):
        """Make this running server a source replicas can follow:
        replication account, the settings replication needs, writable.

        :returns: ``source_info``.
        :raises: exception.GuestError when the server cannot be set up.
        """

    def snapshot(self, source_info, snapshot_info):
        """What a new replica is seeded from.

        :param snapshot_info: as ``backups.take_backup``'s ``backup_info``
            (id, storage...), for a strategy that seeds through a backup;
            None when no backup storage is to be used.
        :returns: ``snapshot``; the default seeds nothing (the replica
            pulls its data from the source itself).
        """
        return {'backup': None}

    def fence(self):
        """Refuse the tenant's writes from now on, still as a source: a
        promote fences the source first, so that its replica can catch
        up with everything and there are never two writable sources.
        ``attach`` (the source then follows the promoted replica) or
        ``promote``/``detach`` lift it.

        :raises: exception.DatastoreOperationNotSupported (the default):
            the strategy cannot fence, and a promote is refused.
        """
        raise exception.DatastoreOperationNotSupported(
            operation='fence a replication source (%s)' % self.name,
            datastore=self.manager.info.datastore_manager)

    def remove_replica(self, replica_info):
        """Forget a replica that was deleted or detached (a PostgreSQL
        slot, ...); the default has nothing to forget.

        :param replica_info: ``{'id': <instance id>}``.
        """

    # -- on a replica ----------------------------------------------------------

    def seed(self, source_info, snapshot, run_as):
        """Fill the empty data directory of a new replica, with the server
        stopped, in place of ``_initialise``.

        :returns: whether it seeded; False (the default) lets the manager
            initialise fresh data (or restore ``snapshot['backup']``)
            as for any instance.
        """
        return False

    @abc.abstractmethod
    def attach(self, source_info, snapshot=None):
        """Follow ``source_info`` from now on, read-only.

        On a new replica (``snapshot`` given) it starts where the snapshot
        ends; on a server that was a source or followed another (a
        re-point after a promote) it catches up from wherever its data
        is.
        """

    @abc.abstractmethod
    def promote(self):
        """Stop following; become a writable source.

        :returns: ``source_info`` (as ``enable_as_source``).
        """

    @abc.abstractmethod
    def detach(self):
        """Stop following and forget the source; writable, standalone."""

    @abc.abstractmethod
    def state(self):
        """What the server says about its replication now.

        :returns: ``state`` (see the module's docstring).
        """
