"""Redis replication by ``REPLICAOF``.

Redis replicates by itself: a replica told ``REPLICAOF <host> <port>``
connects, logs in, and either continues the source's stream where it
stopped (``PSYNC`` with its replication id and offset) or receives a
full copy of the data set (an RDB) first. So a new replica needs no
seeding (``seed`` keeps the default, False: the manager starts it with an
empty data set, and ``snapshot`` is ``{'backup': None}``), and a server
re-pointed after a promote catches up from wherever its data is (Redis 7
keeps the previous replication id of a promoted replica, so its former
source and siblings continue partially when their offsets allow it, and
resynchronise fully otherwise).

Accounts. A source (``enable_as_source``) has the replication account
``os_repl`` (``config.REPL_USER``), whose password is generated once and
kept in the instance's record and whose ACL rules let it do what a
replica does (``PING``, ``REPLCONF``, ``PSYNC``/``SYNC``) and nothing
else; a replica logs in with it (``masteruser``/``masterauth``). The
tenant's password (``default``'s) is not the one replicas use, so
``root enable`` on the source never breaks its replication.

ACLs are not replicated, so ``source_info`` carries the SHA-256 hashes of
``default``'s passwords (never a password) and whether root is enabled;
``attach`` gives the replica's ``default`` the same passwords, so the
tenant's credentials work on a replica, and on it after a promote.

NOTE(caveat): that copy is made when a replica attaches. A later ``root
enable``/``disable`` on the source (or on a replica) changes that server
only; the others get the source's password when they attach again
(after a promote, or by a new ``attach_replica``). Likewise a replica
exposes its ``masterauth`` to ``CONFIG GET``, which the tenant may run:
it is the replication account's password, which lets its holder read
what ``default`` already reads, nothing more.

A replica is read-only (``replica-read-only yes``): the tenant's writes
are refused with ``READONLY``; the ACL rules of ``default`` already
refuse it ``REPLICAOF``, ``CONFIG SET`` and ``FAILOVER``.

Fence. A promote fences the source first, so that its replica can catch
up with everything and there are never two writable sources; the fence
must hold until ``attach`` (the source then follows the promoted replica),
``promote``, ``detach`` or ``enable_as_source`` lifts it, a restart
included. ``CLIENT PAUSE WRITE`` expires (and a restart forgets it), and
an ACL change would mix with the tenant's password. So a fenced source
asks for more replicas than any server can have before it takes a write
(``min-replicas-to-write``, ``config.FENCE_MIN_REPLICAS``): Redis refuses
every write command, scripts and transactions included, from anyone,
with ``NOREPLICAS``, while replicas go on streaming (a source keeps
sending them its pings). It is one setting, written to the role
configuration as well, and a server that is a replica ignores it.

The role (``replication.json``, ``base.record``) is written to the
server's configuration too (``replication.conf``, which ``redis.conf``
includes last): ``replicaof``, ``masteruser``, ``masterauth`` and
``replica-read-only`` for a replica, the fence for a fenced source; a
server started again, by a restart or after a crash, comes back in its
role (a replica reconnects and resynchronises by itself).

``state``: ``position`` is a replication offset, an int: the offset of
the source's stream a replica processed (``slave_repl_offset``), a
source's own (``master_repl_offset``). Replicas of one source, and a
replica promoted from them, count in the same stream, so the most
advanced replica has the greatest.

NOTE(caveat): a source that restarts begins a new stream at offset 0
(Redis 7.0 keeps a restarted master's replication id and offset neither
in its AOF nor otherwise) and its replicas resynchronise fully, down to
the new offsets. Until a replica has (its stream is down meanwhile), its
old, greater offset does not compare with the new ones: a promote should
wait for a replica whose stream runs (``running``), and an eject right
after a restart of the source may pick a replica that missed what the
source took since.

``lag`` is the number of seconds since
the replica last heard from its source (``master_last_io_seconds_ago``):
Redis measures no delay of its stream in time, and a source with nothing
to send pings every ``repl-ping-replica-period`` (10 s), so an idle,
healthy replica reads up to that.
"""

import contextlib
import re

from oslo_log import log as logging

from trove_lite.common import exception
from trove_lite.guestagent.datastores.redis import admin
from trove_lite.guestagent.datastores.redis import config
from trove_lite.guestagent.strategies.replication import base

LOG = logging.getLogger(__name__)

REPL_USER = config.REPL_USER
# Record keys.
PASSWORD = base.PASSWORD
FENCED = 'fenced'
# source_info keys of this strategy.
ROOT_HASHES = 'root_password_hashes'
ROOT_ENABLED = 'root_enabled'

_USER = re.compile(r'^[A-Za-z0-9_.\-]{1,80}$')
# Printable, no blank: what redis.conf and an AUTH take without surprise.
_PASSWORD = re.compile(r'^[\x21-\x7e]{1,128}$')
_HASH = re.compile(r'^[0-9a-f]{64}$')
# How many passwords ``default`` may have (the agent gives it one).
_MAX_HASHES = 16


def check_source(source_info):
    """``{'host', 'port', 'user', 'password', 'root_password_hashes',
    'root_enabled'}`` of a valid ``source_info``.

    :raises: exception.BadValue for one a replica must not use (the host
        and password also go into ``replication.conf``).
    """
    checked = base.check_endpoint(source_info, _USER, _PASSWORD)
    hashes = source_info.get(ROOT_HASHES)
    enabled = source_info.get(ROOT_ENABLED)
    if not isinstance(hashes, list) or not 0 < len(hashes) <= _MAX_HASHES \
            or not all(isinstance(item, str) and _HASH.match(item)
                       for item in hashes):
        raise exception.BadValue(message='The replication source\'s root '
                                         'password hashes are missing or '
                                         'invalid.')
    if not isinstance(enabled, bool):
        raise exception.BadValue(message='Invalid root state %r of the '
                                         'replication source.' % (enabled,))
    return dict(checked, **{ROOT_HASHES: list(hashes),
                            ROOT_ENABLED: enabled})


def _link(source):
    """What of ``source`` the server's replication link uses."""
    return {key: source[key] for key in ('host', 'port', 'user', 'password')}


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def parse_state(role, replication):
    """``state`` from what the server says.

    :param role: the recorded role.
    :param replication: ``INFO replication`` as a dict of strings.
    """
    following = replication.get('role') == 'slave'
    offset = replication.get('slave_repl_offset' if following
                             else 'master_repl_offset')
    state = {'role': role, 'source': None, 'running': False, 'lag': None,
             'position': _int(offset), 'error': None}
    if not following:
        if role == base.REPLICA:
            state['error'] = 'The server follows no replication source.'
        return state
    host = replication.get('master_host')
    port = _int(replication.get('master_port'), 0)
    state['source'] = {'host': host, 'port': port}
    state['running'] = replication.get('master_link_status') == 'up'
    if state['running']:
        seconds = _int(replication.get('master_last_io_seconds_ago'), -1)
        state['lag'] = float(seconds) if seconds >= 0 else None
    else:
        reason = 'The replication link to %s:%s is down' % (host, port)
        if replication.get('master_sync_in_progress') == '1':
            reason += ' (a full synchronisation is in progress)'
        else:
            down = _int(replication.get('master_link_down_since_seconds'),
                        -1)
            if down >= 0:
                reason += ' (for %d seconds)' % down
        state['error'] = reason + '.'
    if role != base.REPLICA:
        state['error'] = ('The server follows %s:%s, but its recorded role '
                          'is %s.' % (host, port, role or 'none'))
    return state


class _Server:
    """The commands the strategy sends its server (as ``os_admin``)."""

    def __init__(self, conn, describe):
        self.conn = conn
        self._describe = describe

    def run(self, *args):
        try:
            return self.conn.command(*args)
        except admin.ReplyError as err:
            LOG.warning('%s failed: %s', ' '.join(map(str, args[:2])), err)
            raise exception.GuestError(
                message='redis-server refused %s: %s (%s)' % (
                    ' '.join(map(str, args[:2])), err, self._describe))

    def set_config(self, name, value):
        self.run('CONFIG', 'SET', name, value)

    def replication(self):
        """``INFO replication`` as a dict of strings."""
        try:
            return admin.info(self.conn, 'replication')
        except admin.ReplyError as err:
            raise exception.GuestError(
                message='redis-server refused INFO: %s (%s)'
                        % (err, self._describe))

    def follow(self, host, port):
        self.run('REPLICAOF', host, port)

    def stop_following(self):
        self.run('REPLICAOF', 'NO', 'ONE')

    def lift_fence(self):
        self.set_config('min-replicas-to-write', 0)


class RedisReplicaOf(base.ReplicationStrategy):
    """``REPLICAOF`` replication of a Redis server (``redis/manager.py``).
    """

    name = 'redis_replicaof'

    @contextlib.contextmanager
    def _session(self):
        """A ``_Server`` over the agent's connection.

        :raises: exception.GuestError when the server does not let its
            agent in, refuses a command or breaks the connection.
        """
        describe = 'instance %s' % self.manager.info.guest_id
        with self.manager._admin() as conn:
            try:
                yield _Server(conn, describe)
            except admin.ReplyError as err:
                raise exception.GuestError(
                    message='redis-server refused a command: %s (%s)'
                            % (err, describe))
            except (admin.ProtocolError, OSError) as err:
                raise exception.GuestError(
                    message='The connection to redis-server broke: %s (%s)'
                            % (err, describe))

    def _write_role_config(self):
        """Render the recorded role into ``replication.conf`` (what the
        server reads when it starts again).
        """
        recorded = self.recorded()
        self.manager.write_replication_config(config.replication(
            recorded.get('role'), recorded.get('source'),
            fenced=bool(recorded.get(FENCED))))

    # -- on a source ---------------------------------------------------------

    def enable_as_source(self):
        password = self.replication_password()
        with self._session() as redis:
            admin.set_account(redis.conn, REPL_USER, password,
                              config.REPL_RULES)
            redis.lift_fence()
        self.record(role=base.SOURCE, source=None, **{FENCED: None})
        self._write_role_config()
        LOG.info('Instance %s is a replication source',
                 self.manager.info.guest_id)
        return {'host': self.manager.info.bind_host or '127.0.0.1',
                'port': self.manager.port, 'user': REPL_USER,
                'password': password,
                ROOT_HASHES: self.manager.root_password_hashes(),
                ROOT_ENABLED: self.manager.is_root_enabled()}

    def fence(self):
        """Refuse every write (``NOREPLICAS``), still a source, until
        ``attach``, ``promote``, ``detach`` or ``enable_as_source``; it
        stays across a restart (``min-replicas-to-write`` in
        ``replication.conf``; see the module's docstring for why not
        ``CLIENT PAUSE``).
        """
        # NOTE(fence): recorded and written first, so that a server that
        # restarts meanwhile comes back fenced.
        self.record(**{FENCED: True})
        self._write_role_config()
        with self._session() as redis:
            redis.set_config('min-replicas-to-write', config.FENCE_MIN_REPLICAS)
        LOG.info('Instance %s is fenced: it refuses writes',
                 self.manager.info.guest_id)

    # -- on a replica ----------------------------------------------------------

    def attach(self, source_info, snapshot=None):
        """Follow ``source_info`` (a new replica, or a server that was a
        source or followed another); Redis seeds or catches up by itself.
        The replica's ``default`` then gets the source's passwords.
        """
        source = check_source(source_info)
        link = _link(source)
        with self._session() as redis:
            redis.set_config('masteruser', link['user'])
            redis.set_config('masterauth', link['password'])
            redis.set_config('replica-read-only', 'yes')
            replication = redis.replication()
            if replication.get('role') != 'slave' or (
                    replication.get('master_host'),
                    _int(replication.get('master_port'))) != (
                        link['host'], link['port']):
                redis.follow(link['host'], link['port'])
            elif self.recorded().get('source') != link:
                # NOTE(repeat): REPLICAOF to the source it follows changes
                # nothing; a link that logged in with another account
                # reconnects (and continues where it was) with this one.
                redis.run('CLIENT', 'KILL', 'TYPE', 'master')
            # NOTE(fence): lifted once the server is a replica (read-only),
            # never before: a fenced source must not take a write between.
            redis.lift_fence()
        self.record(role=base.REPLICA, source=link, **{FENCED: None})
        self._write_role_config()
        self.manager.copy_root(source[ROOT_HASHES], source[ROOT_ENABLED])
        LOG.info('Instance %s follows %s:%s', self.manager.info.guest_id,
                 link['host'], link['port'])

    def _stop_following(self, redis):
        """``REPLICAOF NO ONE``; writable; the source's account is
        forgotten.
        """
        redis.stop_following()
        redis.lift_fence()
        redis.set_config('masteruser', '')
        redis.set_config('masterauth', '')

    def promote(self):
        """Stop following (what the replica processed is its data; a
        promote fenced the source and waited for the replica to reach
        its position first) and become a writable source.
        """
        with self._session() as redis:
            self._stop_following(redis)
        self.record(source=None)
        return self.enable_as_source()

    def detach(self):
        with self._session() as redis:
            self._stop_following(redis)
        self.record(role=None, source=None, **{FENCED: None})
        self._write_role_config()
        LOG.info('Instance %s follows no source any more',
                 self.manager.info.guest_id)

    def state(self):
        role = self.recorded().get('role')
        with self._session() as redis:
            replication = redis.replication()
        return parse_state(role, replication)
