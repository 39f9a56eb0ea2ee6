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

from trove_lite.common import exception

SOURCE = 'source'
REPLICA = 'replica'
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
        fd = os.open(target + '.tmp', os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                     0o600)
        with os.fdopen(fd, 'w') as handle:
            json.dump(saved, handle, sort_keys=True)
        os.replace(target + '.tmp', target)

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
