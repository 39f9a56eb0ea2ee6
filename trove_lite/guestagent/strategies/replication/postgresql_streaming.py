"""PostgreSQL streaming replication with a replication slot per replica.

A source (``enable_as_source``) has the replication account ``os_repl``
(reserved: tenants neither see nor create it), whose password is
generated once per instance and kept in the instance's record. The
account may stream the WAL (``REPLICATION``), connect to the maintenance
database to create its replicas' slots, and run the four file functions
``pg_rewind`` needs (``pg_ls_dir``, ``pg_stat_file``,
``pg_read_binary_file``): an account that can copy the whole cluster
with ``BASE_BACKUP`` learns nothing more from reading its files (and,
without ``pg_read_server_files``, it reads nothing outside the data
directory). ``pg_hba.conf`` admits its replication connections over TCP
(``datastores/postgresql/config.py``). Every instance runs with
``wal_log_hints`` so that it can be rewound.

A replica is a hot standby: readable, and the server itself refuses
every write (the tenant's, root's) while it is in recovery. Its role
lives in two files the server reads when it starts, so that a replica
restarted (or started again after a crash) comes back following its
source: ``standby.signal`` in the data directory, and
``replication.conf`` beside ``postgresql.conf`` (which includes it
last): ``primary_conninfo`` without the password (``passfile=``, a
private file of the server's user in ``run/``), ``primary_slot_name``,
``recovery_target_timeline = 'latest'``, and the source's
``max_connections``, ``max_worker_processes``... when they are higher
than the replica's own (a hot standby refuses to run with less than its
source; a source raised afterwards needs its replicas attached again).
``replication.json`` (``base.record``) is what the agent remembers: the
role, the source, the password, whether the source is fenced.

Each replica has a physical replication slot on its source, named from
its instance id (``slot_name``), which it creates there itself (as
``os_repl``) before it streams: the source keeps the WAL the replica has
not received yet, across a restart of either. ``remove_replica`` drops
it (a slot of a deleted replica would keep WAL forever); a replica keeps
none (there are no replicas of replicas).

A new replica is seeded directly (``seed``, in place of ``initdb``):
``pg_basebackup --wal-method=stream --slot`` of the source, over the
replication protocol as ``os_repl``, into its empty data directory,
which then starts as a standby where the copy ends. ``snapshot`` never
stages a backup in storage, even when the control plane offers one: a
restored backup would be started by ``prepare`` as a primary (its role
files are written after the restore) and so diverge from its source at
once, and nothing would hold the WAL written between the backup and the
replica's first connection; the direct copy is gap-free, and reads the
source once, as a backup would.

Switching sources (a promote) is the standard switchover:

* ``fence`` stops the source cleanly and starts it again as a standby
  that follows nobody. A clean shutdown makes the source's WAL senders
  hand everything, the shutdown checkpoint included, to the connected
  replicas before it ends, and the server, in recovery, refuses every
  write from then on (by itself: an ``ALTER SYSTEM SET
  default_transaction_read_only`` would be undone by a tenant's ``SET``
  or ``BEGIN READ WRITE``), while tenants can still read. The replicas
  reconnect to it and stream what they miss; its position (the end of
  its WAL) is what the replica to promote must reach;
* ``promote`` is ``pg_promote()`` (waited for; recovery replays what was
  received first), then a checkpoint (so that ``pg_rewind`` sees the new
  timeline); the server is writable;
* ``attach`` of a former source (fenced or not, or a standalone) stops
  it, runs ``pg_rewind`` from the new source (which does nothing when
  the server wrote nothing its successor lacks, the fenced case, and
  otherwise rewinds what it wrote alone), and starts it as a standby
  that follows the new timeline. When the rewind or the start after it
  fails, the data directory is seeded again from the new source;
* ``attach`` of a replica to another source rewrites its role files and
  reloads (the WAL receiver reconnects to the new source and follows its
  timeline); a restart only when the new source needs higher minimums.

``detach`` promotes and forgets the source: a writable standalone.

``state``'s position is an LSN as an int: on a standby the furthest of
what it received and what it replayed (a promote replays everything
received first), on a source its current WAL position. LSNs only grow
across timeline switches, so the replica whose data goes furthest has
the greatest position.
"""

import contextlib
import os
import re
import subprocess

from oslo_log import log as logging
import psycopg
from psycopg import conninfo as pg_conninfo

from trove_lite.common import exception
from trove_lite.guestagent.datastores.postgresql import admin
from trove_lite.guestagent.datastores.postgresql import config
from trove_lite.guestagent.datastores.postgresql import manager as pg_manager
from trove_lite.guestagent.datastores import process
from trove_lite.guestagent.datastores import server
from trove_lite.guestagent.strategies.backup import pg_basebackup
from trove_lite.guestagent.strategies.replication import base
from trove_lite.guestagent.strategies.replication import postgresql_server

LOG = logging.getLogger(__name__)

REPL_USER = config.REPLICATION_USER
CONNECT_TIMEOUT = 10
# Seconds pg_promote() may take (it replays what was received first).
PROMOTE_TIMEOUT = 120
# Seconds a copy of the source (or a rewind) may take.
SEED_TIMEOUT = 6 * 3600
REWIND_TIMEOUT = 3600
BASEBACKUP_BINARY = 'pg_basebackup'
REWIND_BINARY = 'pg_rewind'
TOOLS_LOG = 'replication.log'
# Record keys.
PASSWORD = base.PASSWORD
FENCED = 'fenced'
# A hot standby needs at least its source's values of these (and
# PostgreSQL 15's defaults when the configuration says nothing).
MINIMUMS = {'max_connections': 100, 'max_worker_processes': 8,
            'max_wal_senders': 10, 'max_prepared_transactions': 0,
            'max_locks_per_transaction': 64}
_MAX_SETTING = 2 ** 31

_USER = re.compile(r'^[A-Za-z0-9_]{1,63}$')
# Anything printable: it goes into a password file, one line.
_PASSWORD = re.compile(r'^[^\x00-\x1f\x7f]{1,128}$')


def check_source(source_info):
    """``{'host', 'port', 'user', 'password'}`` of a valid ``source_info``.

    :raises: exception.BadValue for one a replica must not use (they go
        into a connection string and a password file).
    """
    return base.check_endpoint(source_info, _USER, _PASSWORD)


def check_minimums(source_info):
    """The source's ``{parameter: int}`` of ``MINIMUMS`` (``source_info``'s
    ``settings``; ``{}`` without).

    :raises: exception.BadValue for an unknown parameter or a value that
        is not a small non-negative int.
    """
    settings = source_info.get('settings') or {}
    if not isinstance(settings, dict):
        raise exception.BadValue(message='Invalid replication source '
                                         'settings %r.' % (settings,))
    for name, value in settings.items():
        if name not in MINIMUMS or isinstance(value, bool) or \
                not isinstance(value, int) or not 0 <= value < _MAX_SETTING:
            raise exception.BadValue(message='Invalid replication source '
                                             'setting %r = %r.'
                                             % (name, value))
    return dict(settings)


def passfile_line(source):
    """The line of a libpq password file for ``source``."""
    def escape(value):
        return str(value).replace('\\', '\\\\').replace(':', '\\:')
    return '%s:%s:*:%s:%s\n' % (escape(source['host']), source['port'],
                                escape(source['user']),
                                escape(source['password']))


def parse_state(role, row):
    """``state`` from what the server says.

    :param role: the recorded role.
    :param row: ``postgresql_server.Server.state_row()``:
        ``in_recovery``, ``current_lsn`` (a source's), ``receive_lsn``,
        ``replay_lsn``, ``lag`` (seconds), ``receiver`` (the WAL
        receiver's status or None), ``conninfo`` (``primary_conninfo``).
    """
    state = {'role': role, 'source': None, 'running': False, 'lag': None,
             'position': None, 'error': None}
    if not row['in_recovery']:
        state['position'] = postgresql_server.lsn(row['current_lsn'])
        if role == base.REPLICA:
            state['error'] = ('The server is not in recovery: it follows '
                              'no replication source.')
        return state
    # NOTE(failover): what a standby has received counts, not only what
    # it replayed: a promote replays everything received first.
    positions = [postgresql_server.lsn(row[key])
                 for key in ('receive_lsn', 'replay_lsn')
                 if row[key] is not None]
    state['position'] = max(positions) if positions else None
    state['source'] = postgresql_server.source_of(row['conninfo'])
    if state['source'] is None:
        if role == base.REPLICA:
            state['error'] = 'The standby has no replication source.'
        return state
    state['running'] = row['receiver'] == 'streaming'
    if state['running']:
        lag = row['lag']
        state['lag'] = None if lag is None else max(float(lag), 0.0)
    else:
        state['error'] = (
            'The standby does not stream from %s:%s (WAL receiver: %s); '
            'the server\'s log says why.' % (
                state['source']['host'], state['source']['port'],
                row['receiver'] or 'not running'))
    return state


class PostgreSQLStreamingReplication(base.ReplicationStrategy):
    """Streaming replication of a PostgreSQL server
    (``postgresql/manager.py``).
    """

    name = 'postgresql_streaming'

    @contextlib.contextmanager
    def _session(self):
        """A ``postgresql_server.Server`` on this instance's server (as
        the superuser).

        :raises: exception.GuestError (``manager._admin``).
        """
        with self.manager._admin() as sql:
            yield postgresql_server.Server(sql.conn)

    @contextlib.contextmanager
    def _source_session(self, source):
        """A ``postgresql_server.Server`` on ``source``, as its
        replication account.

        :raises: exception.GuestError when it cannot be reached or
            refuses.
        """
        try:
            conn = psycopg.connect(
                host=source['host'], port=source['port'],
                user=source['user'], password=source['password'],
                dbname=admin.MAINTENANCE_DB, connect_timeout=CONNECT_TIMEOUT,
                autocommit=True, application_name='trove-lite-guestagent')
        except psycopg.Error as err:
            raise exception.GuestError(
                message='Instance %s cannot reach its replication source '
                        '%s:%s: %s' % (self.manager.info.guest_id,
                                       source['host'], source['port'],
                                       str(err).strip()))
        try:
            yield postgresql_server.Server(conn)
        except psycopg.Error as err:
            raise exception.GuestError(
                message='The replication source %s:%s of instance %s '
                        'failed: %s' % (source['host'], source['port'],
                                        self.manager.info.guest_id,
                                        str(err).strip()))
        finally:
            conn.close()

    def _slot(self):
        return postgresql_server.slot_name(self.manager.info.guest_id)

    # -- the role's files ----------------------------------------------------

    def _conninfo(self, source, **extra):
        """A libpq connection string to ``source`` without its password
        (it is in the instance's password file).
        """
        return pg_conninfo.make_conninfo(
            host=source['host'], port=str(source['port']),
            user=source['user'], passfile=self.manager.paths.passfile,
            application_name=self._slot(), connect_timeout=CONNECT_TIMEOUT,
            **extra)

    def _write_passfile(self, source, run_as):
        server.write_file(self.manager.paths.passfile, passfile_line(source),
                          0o600, run_as)

    def _raised_minimums(self, minimums):
        """Those of the source's ``minimums`` above the instance's own
        values (its ``postgresql.conf``, else PostgreSQL's defaults).
        """
        try:
            with open(self.manager.paths.conf) as handle:
                own = config.parse(handle.read())
        except FileNotFoundError:
            own = {}
        raised = {}
        for name, value in minimums.items():
            try:
                mine = int(own.get(name, '').strip("'"))
            except ValueError:
                mine = MINIMUMS[name]
            if value > mine:
                raised[name] = value
        return raised

    def _write_role_config(self, standby, source=None, minimums=None):
        """The role's files: ``replication.conf`` and, for a standby,
        ``standby.signal``.

        :param standby: whether the server runs in recovery (a replica, a
            fenced source).
        :param source: whom a replica follows (None: nobody).
        """
        paths = self.manager.paths
        settings = {}
        if standby:
            settings = config.replication(
                primary_conninfo=self._conninfo(source) if source else None,
                slot=self._slot() if source else None,
                minimums=self._raised_minimums(minimums or {}))
        server.write_file(paths.replication_conf, config.render(
            settings, header=config.REPLICATION_HEADER))
        if standby:
            server.write_file(paths.standby_signal, '', 0o600,
                              self.manager._run_as())
        else:
            process.remove(paths.standby_signal)

    # -- the tools ---------------------------------------------------------

    def _tools_log(self):
        return os.path.join(self.manager.paths.logdir, TOOLS_LOG)

    def _run_tool(self, binary_name, args, timeout, run_as):
        """Run a PostgreSQL client tool as the server's user, its output
        appended to ``log/replication.log``.

        :returns: whether it succeeded.
        :raises: exception.GuestError when it is not installed.
        """
        binary = pg_manager.find_binary(binary_name)
        if binary is None:
            raise exception.GuestError(
                message='%s is not installed on this host (apt-get install '
                        '%s).' % (binary_name, pg_basebackup.TOOL_PACKAGE))
        log = self._tools_log()
        with open(log, 'ab') as output:
            code = process.run_to_end(
                [binary] + args, timeout, stdin=subprocess.DEVNULL,
                stdout=output, stderr=output,
                cwd=self.manager.paths.instance_dir,
                env=self.manager._server_env(), **server.user_args(run_as))
        if code != 0:
            LOG.warning('%s for instance %s failed (%s); last lines of %s:\n'
                        '%s', binary_name, self.manager.info.guest_id, code,
                        log, process.tail(log))
        return code == 0

    def _reset_auto_conf(self, run_as):
        """The source's ``ALTER SYSTEM`` settings (copied with its data)
        are not this instance's.
        """
        server.write_file(os.path.join(self.manager.paths.datadir,
                                       pg_basebackup.AUTO_CONF),
                          pg_basebackup.AUTO_CONF_TEXT, 0o600, run_as)

    def _copy_source(self, source, run_as):
        """Fill the (stopped) instance's emptied data directory with a copy
        of ``source`` through this replica's slot.

        :raises: exception.GuestError when the copy fails.
        """
        manager = self.manager
        process.empty_directory(manager.volume.path)
        manager.volume.ensure(run_as)
        LOG.info('Seeding instance %s from %s:%s (pg_basebackup)',
                 manager.info.guest_id, source['host'], source['port'])
        if not self._run_tool(BASEBACKUP_BINARY, [
                '--pgdata=%s' % manager.paths.datadir, '--format=plain',
                '--wal-method=stream', '--slot=%s' % self._slot(),
                '--checkpoint=fast', '--no-manifest', '--no-password',
                '--label=trove_lite replica %s' % manager.info.guest_id,
                '--dbname=%s' % self._conninfo(source)],
                SEED_TIMEOUT, run_as):
            raise exception.GuestError(
                message='pg_basebackup of the replication source %s:%s '
                        'into instance %s failed. Last lines of %s:\n%s' % (
                            source['host'], source['port'],
                            manager.info.guest_id, self._tools_log(),
                            process.tail(self._tools_log())))
        os.chmod(manager.paths.datadir, manager.DIR_MODE)
        self._reset_auto_conf(run_as)

    def _rewind(self, source, run_as):
        """``pg_rewind`` the stopped server onto ``source``'s timeline.

        :returns: whether its data can follow ``source`` now.
        """
        LOG.info('Rewinding instance %s onto %s:%s (pg_rewind)',
                 self.manager.info.guest_id, source['host'], source['port'])
        if not self._run_tool(REWIND_BINARY, [
                '--target-pgdata=%s' % self.manager.paths.datadir,
                '--source-server=%s' % self._conninfo(
                    source, dbname=admin.MAINTENANCE_DB)],
                REWIND_TIMEOUT, run_as):
            return False
        self._reset_auto_conf(run_as)
        return True

    # -- on a source ---------------------------------------------------------

    def _source_info(self, password, settings):
        return {'host': self.manager.info.bind_host or '127.0.0.1',
                'port': self.manager.port, 'user': REPL_USER,
                'password': password, 'settings': settings}

    def enable_as_source(self):
        """The replication account, writable (a fenced source is promoted:
        its fence is lifted).

        :raises: exception.GuestError for a replica (promote it instead).
        """
        recorded = self.recorded()
        password = self.replication_password()
        with self.manager._lock:
            with self._session() as sql:
                if sql.in_recovery():
                    if recorded.get('role') == base.REPLICA:
                        raise exception.GuestError(
                            message='Instance %s follows a replication '
                                    'source; promote it instead.'
                                    % self.manager.info.guest_id)
                    self._end_recovery(sql)
                sql.set_account(password)
                settings = sql.settings(MINIMUMS)
            self.record(role=base.SOURCE, source=None, fenced=None)
            self._write_role_config(standby=False)
            with self._session() as sql:
                sql.reload()
        LOG.info('Instance %s is a replication source',
                 self.manager.info.guest_id)
        return self._source_info(password, settings)

    def fence(self):
        """The source starts again as a standby that follows nobody (see
        the module's docstring); it stays one across restarts until it
        follows the promoted replica (``attach``) or is a source again
        (``enable_as_source``, ``promote``, ``detach``). A replica is
        read-only already.
        """
        if self.recorded().get('role') == base.REPLICA:
            LOG.info('Instance %s is a replica: read-only already',
                     self.manager.info.guest_id)
            return
        with self.manager._lock:
            self.record(**{FENCED: True})
            self._write_role_config(standby=True)
            with self._session() as sql:
                fenced = sql.in_recovery()
                if fenced:
                    # A repeat, or a standby that followed someone.
                    sql.reload()
            if not fenced:
                self.manager.restart()
        LOG.info('Instance %s is fenced: a standby of nobody, read-only',
                 self.manager.info.guest_id)

    def snapshot(self, source_info, snapshot_info):
        """Nothing to restore, even with ``snapshot_info``: a new replica
        copies its source itself (``seed``; the module's docstring says
        why).
        """
        return {'backup': None}

    def remove_replica(self, replica_info):
        """Drop the replica's slot (its WAL is no longer kept)."""
        slot = postgresql_server.slot_name((replica_info or {}).get('id'))
        with self._session() as sql:
            sql.drop_slot(slot)
        LOG.info('Instance %s dropped the replication slot %s',
                 self.manager.info.guest_id, slot)

    # -- on a replica ----------------------------------------------------------

    def seed(self, source_info, snapshot, run_as):
        """A copy of the source through the replica's own slot, which
        then starts as a standby.

        :raises: exception.BadValue for an invalid ``source_info``;
            exception.GuestError when the source cannot be copied.
        """
        source = check_source(source_info)
        minimums = check_minimums(source_info)
        with self._source_session(source) as sql:
            sql.ensure_slot(self._slot())
        self._write_passfile(source, run_as)
        self._copy_source(source, run_as)
        self._write_role_config(standby=True, source=source,
                                minimums=minimums)
        self.record(role=base.REPLICA, source=source, fenced=None)
        return True

    def attach(self, source_info, snapshot=None):
        """Follow ``source_info``: a replica re-pointed online, anything
        else (a former source, fenced or not, a standalone) rewound onto
        the source's timeline or seeded again.

        :raises: exception.BadValue for an invalid ``source_info``;
            exception.GuestError when the source cannot be reached or
            copied.
        """
        source = check_source(source_info)
        minimums = check_minimums(source_info)
        recorded = self.recorded()
        with self.manager._lock:
            with self._session() as sql:
                standby = sql.in_recovery()
            with self._source_session(source) as sql:
                sql.ensure_slot(self._slot())
            self._write_passfile(source, self.manager._run_as())
            if standby and recorded.get('role') == base.REPLICA:
                self._repoint(source, minimums)
            else:
                self._rejoin(source, minimums)
            # NOTE(slots): a former source's slots were its replicas';
            # they follow the new source now, and a slot nobody uses
            # would keep WAL here forever.
            with self._session() as sql:
                for slot in sql.slots():
                    sql.drop_slot(slot)
        self.record(role=base.REPLICA, source=source, fenced=None)
        LOG.info('Instance %s follows %s:%s', self.manager.info.guest_id,
                 source['host'], source['port'])

    def _repoint(self, source, minimums):
        """A running standby follows ``source`` from now on: a reload
        (the WAL receiver reconnects), a restart when a minimum rises.
        """
        self._write_role_config(standby=True, source=source,
                                minimums=minimums)
        raised = self._raised_minimums(minimums)
        with self._session() as sql:
            current = sql.settings(raised)
            if all(current.get(name, 0) >= value
                   for name, value in raised.items()):
                sql.reload()
                return
        self.manager.restart()

    def _rejoin(self, source, minimums):
        """Stop the server, rewind it onto ``source``'s timeline (seed it
        again when that fails) and start it as a standby of ``source``.
        """
        manager = self.manager
        run_as = manager._run_as()
        manager.stop_db()
        rewound = self._rewind(source, run_as)
        if rewound:
            self._write_role_config(standby=True, source=source,
                                    minimums=minimums)
            try:
                manager.start_db()
                return
            except exception.GuestError as err:
                LOG.warning('Instance %s does not start as a standby of '
                            '%s:%s after its rewind (%s); seeding it again',
                            manager.info.guest_id, source['host'],
                            source['port'], err)
                manager.stop_db()
        else:
            LOG.warning('Instance %s cannot be rewound onto %s:%s; seeding '
                        'it again (what only it had is lost)',
                        manager.info.guest_id, source['host'],
                        source['port'])
        self._copy_source(source, run_as)
        self._write_role_config(standby=True, source=source,
                                minimums=minimums)
        manager.start_db()

    def _end_recovery(self, sql):
        """:raises: exception.GuestError when the promotion does not end
        within ``PROMOTE_TIMEOUT``.
        """
        if not sql.promote(PROMOTE_TIMEOUT):
            raise exception.GuestError(
                message='Instance %s did not finish its promotion within %s '
                        'seconds; try again.' % (self.manager.info.guest_id,
                                                 PROMOTE_TIMEOUT))

    def promote(self):
        with self.manager._lock:
            with self._session() as sql:
                if sql.in_recovery():
                    self._end_recovery(sql)
            self.record(source=None)
        return self.enable_as_source()

    def detach(self):
        with self.manager._lock:
            with self._session() as sql:
                if sql.in_recovery():
                    self._end_recovery(sql)
            self.record(role=None, source=None, fenced=None)
            self._write_role_config(standby=False)
            process.remove(self.manager.paths.passfile)
            with self._session() as sql:
                sql.reload()
        LOG.info('Instance %s follows no source any more',
                 self.manager.info.guest_id)

    def state(self):
        role = self.recorded().get('role')
        with self._session() as sql:
            row = sql.state_row()
        return parse_state(role, row)
