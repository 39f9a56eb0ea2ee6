"""MariaDB replication by global transaction ids (GTIDs).

Every MySQL-family instance is configured to be a source (``my.cnf``
has a ``server_id`` of its own, the binary log with what it applies as a
replica, GTID strict mode; ``mysql/config.py``), so that making it one is
a matter of an account and a few global variables, never a restart.

A source (``enable_as_source``) has the replication account ``os_repl``
(reserved: tenants neither see nor create it), whose password is
generated once and kept in the instance's record; each source sets the
account up itself, outside the binary log. Its grants let a replica
stream the binary log and, to seed a new replica without backup storage,
dump the data (``SELECT`` and what ``mariadb-dump`` needs to read views,
triggers and events): an account that can read every transaction of the
binary log learns nothing more from reading the tables.

A new replica is seeded:

* from a snapshot backup (``snapshot`` with ``snapshot_info``): the
  instance's backup strategy (mariabackup) writes it to storage and
  records the GTID position it is consistent with; the replica's
  ``prepare`` restores it like any backup, and ``attach`` starts
  replicating from that position (``gtid_slave_pos``);
* or directly (``snapshot`` without ``snapshot_info``): ``attach`` pipes
  ``mariadb-dump --all-databases --single-transaction --gtid
  --master-data`` of the source, taken over TCP as ``os_repl``, into the
  fresh replica's server; the dump ends by setting the replica's
  ``gtid_slave_pos`` to the position of its snapshot. It is replayed
  with the binary log off (``sql_log_bin = 0``): with strict mode, a
  replica's own GTIDs would clash with its source's.

A replica follows with ``MASTER_USE_GTID = slave_pos`` (what it applied
from its sources); a former source re-pointed at a promoted replica
with ``current_pos`` (what it wrote itself counts too), so that, with
strict mode, a source that committed transactions its successor never
received stops with an error instead of diverging silently. A replica
is ``read_only``: the tenant's accounts cannot write to it (the
replication thread and the agent's root account can).

The role (``replication.json``, ``base.record``) is also written to the
server's configuration (``replication.cnf``, which ``my.cnf`` includes):
a replica's server started again, by a restart or after a crash, comes
back read-only and resumes replicating (MariaDB starts a configured
replica's threads at start-up, from its crash-safe ``gtid_slave_pos``).

Semi-synchronous replication is configuration
(``[<manager>] replication_semi_sync``): a source then commits only
once a replica has received the transaction (wait point ``AFTER_SYNC``),
and replicas acknowledge what they receive.
"""

import contextlib
import os
import re
import subprocess
import time

from oslo_config import cfg
from oslo_log import log as logging
import pymysql

from trove_lite.common import exception
from trove_lite.conf import datastores as datastores_conf
from trove_lite.guestagent import backups
from trove_lite.guestagent.datastores.mysql import admin
from trove_lite.guestagent.datastores.mysql import config
from trove_lite.guestagent.datastores import server
from trove_lite.guestagent.strategies.backup import mysqldump
from trove_lite.guestagent.strategies.replication import base
from trove_lite.guestagent import streams

LOG = logging.getLogger(__name__)

REPL_USER = 'os_repl'
REPL_HOST = '%'
# What the replication account may do: stream the binary log
# (REPLICATION SLAVE), and read everything a direct seeding dumps (with
# --single-transaction, MariaDB gives the dump its binary log position
# without FLUSH TABLES WITH READ LOCK, so no RELOAD; SHOW MASTER STATUS,
# BINLOG MONITOR, is not needed either).
REPL_GRANTS = ('REPLICATION SLAVE', 'SELECT', 'SHOW VIEW', 'TRIGGER',
               'EVENT')
# Seconds between a replica's attempts to reach its source.
CONNECT_RETRY = 2
# Seconds a promoted (or detached) replica may take to apply what it
# received before it stops following.
APPLY_TIMEOUT = 120
# One MASTER_GTID_WAIT must end within the connection's read timeout.
_WAIT_STEP = 20
SLAVE_POS = 'slave_pos'
CURRENT_POS = 'current_pos'
# Record keys.
PASSWORD = base.PASSWORD
SEEDED = 'seeded'

_USER = re.compile(r'^[A-Za-z0-9_$.\-]{1,80}$')
# Anything printable but what would end a quoted value of an option file.
_PASSWORD = re.compile(r'^[^\x00-\x1f\x7f"\\]{1,128}$')
_GTID = re.compile(r'^(\d+-\d+-\d+(,\d+-\d+-\d+)*)?$')


def check_source(source_info):
    """``{'host', 'port', 'user', 'password'}`` of a valid ``source_info``.

    :raises: exception.BadValue for one a replica must not use (the host
        and password also go into a client option file).
    """
    return base.check_endpoint(source_info, _USER, _PASSWORD)


def check_gtid(gtid):
    """``gtid`` (a GTID position: ``domain-server-sequence`` per domain,
    comma separated) without blanks.

    :raises: exception.BadValue when it is not one.
    """
    text = gtid.replace(' ', '') if isinstance(gtid, str) else None
    if text is None or not _GTID.match(text):
        raise exception.BadValue(message='Invalid GTID position %r.'
                                 % (gtid,))
    return text


def position(gtid, *more):
    """The ``state`` position of a GTID position: the sequence numbers of
    its domains, in the order of the domain ids (``'0-1-5,1-2-9'`` is
    ``[5, 9]``; nothing ever logged is ``[]``); with ``more`` positions,
    the greatest sequence number of each domain among them all.

    Replicas of one group log the same domains (every one writes in domain
    0 unless configured otherwise), so the lists compare: the greatest
    belongs to the replica that has the most.
    """
    domains = {}
    for text in (gtid,) + more:
        for item in check_gtid(text or '').split(','):
            if item:
                domain, _server, sequence = item.split('-')
                domains[int(domain)] = max(int(sequence),
                                           domains.get(int(domain), 0))
    return [domains[domain] for domain in sorted(domains)]


def parse_state(role, status, gtid_current_pos):
    """``state`` from what the server says.

    :param role: the recorded role.
    :param status: the row of ``SHOW SLAVE STATUS`` (a dict), or None when
        the server follows no source.
    :param gtid_current_pos: ``@@gtid_current_pos``.
    """
    state = {'role': role, 'source': None, 'running': False, 'lag': None,
             'position': position(gtid_current_pos), 'error': None}
    if status and status.get('Gtid_IO_Pos'):
        # NOTE(failover): what a replica has received counts, not only
        # what it applied: a semi-synchronous source acknowledged a
        # commit once one replica had received it, and a promote applies
        # everything received first. Comparing applied positions could
        # pick a replica that never got that commit.
        state['position'] = position(gtid_current_pos,
                                     status['Gtid_IO_Pos'])
    if not status:
        if role == base.REPLICA:
            state['error'] = 'The server follows no replication source.'
        return state
    state['source'] = {'host': status.get('Master_Host'),
                       'port': int(status.get('Master_Port') or 0)}
    state['running'] = (status.get('Slave_IO_Running') == 'Yes'
                        and status.get('Slave_SQL_Running') == 'Yes')
    lag = status.get('Seconds_Behind_Master')
    state['lag'] = None if lag is None else float(lag)
    if not state['running']:
        state['error'] = (status.get('Last_IO_Error')
                          or status.get('Last_SQL_Error') or None)
    return state


class _Server:
    """SQL of the strategy over one root session (``admin.session``).

    Errors are ours (``admin.server_error``); a statement, which may hold
    the replication password, is never logged or repeated.
    """

    def __init__(self, conn):
        self.conn = conn

    def run(self, sql, args=None, dicts=False):
        cursor_class = pymysql.cursors.DictCursor if dicts else None
        try:
            with self.conn.cursor(cursor_class) as cursor:
                cursor.execute(sql, args)
                return cursor.fetchall()
        except pymysql.err.MySQLError as err:
            LOG.warning('%s... failed: %s', ' '.join(sql.split()[:2]), err)
            raise admin.server_error(err) from None

    def value(self, sql, args=None):
        rows = self.run(sql, args)
        return rows[0][0] if rows else None

    def slave_status(self):
        """The row of ``SHOW SLAVE STATUS``, or None."""
        rows = self.run('SHOW SLAVE STATUS', dicts=True)
        return rows[0] if rows else None

    def set_global(self, name, value):
        self.run('SET GLOBAL %s = %%s' % name, (value,))


class MariaDBGTIDReplication(base.ReplicationStrategy):
    """GTID replication of a MariaDB server (``mysql/manager.py``)."""

    name = 'mariadb_gtid'

    @contextlib.contextmanager
    def _session(self):
        with admin.session(self.manager.paths.socket) as sql:
            yield _Server(sql.conn)

    def _semi_sync(self):
        """``(enabled, timeout in ms)`` from ``[<manager>]``."""
        options = datastores_conf.options_for(
            cfg.CONF, self.manager.info.datastore_manager)
        if options is None or not options.replication_semi_sync:
            return False, None
        return True, options.replication_semi_sync_timeout

    def _write_role_config(self):
        """Render the recorded role into ``replication.cnf`` (what the
        server reads when it starts again).
        """
        semi_sync, timeout = self._semi_sync()
        recorded = self.recorded()
        settings = config.replication(recorded.get('role'), semi_sync,
                                      timeout,
                                      fenced=bool(recorded.get('fenced')))
        server.write_file(self.manager.paths.replication_cnf, config.render(
            settings, header=config.REPLICATION_HEADER))

    def _source_info(self, password):
        return {'host': self.manager.info.bind_host or '127.0.0.1',
                'port': self.manager.port, 'user': REPL_USER,
                'password': password}

    # -- on a source ---------------------------------------------------------

    def enable_as_source(self):
        password = self.replication_password()
        semi_sync, timeout = self._semi_sync()
        with self._session() as sql:
            # NOTE(semi-sync): the account is this server's own business
            # (each source sets it up when it becomes one), not a
            # transaction to replicate; and a semi-synchronous source
            # without a replica yet would wait for an acknowledgement.
            sql.run('SET SESSION sql_log_bin = 0')
            sql.run('CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s',
                    (REPL_USER, REPL_HOST, password))
            sql.run('ALTER USER %s@%s IDENTIFIED BY %s',
                    (REPL_USER, REPL_HOST, password))
            sql.run('GRANT %s ON *.* TO %%s@%%s' % ', '.join(REPL_GRANTS),
                    (REPL_USER, REPL_HOST))
            self._source_settings(sql, semi_sync, timeout)
        self.record(role=base.SOURCE, source=None, fenced=None)
        self._write_role_config()
        LOG.info('Instance %s is a replication source%s',
                 self.manager.info.guest_id,
                 ' (semi-synchronous)' if semi_sync else '')
        return self._source_info(password)

    def fence(self):
        """``read_only`` on, still a source (before a promote); it
        stays across a restart until the instance follows the promoted
        replica (``attach``) or is a source again.
        """
        with self._session() as sql:
            sql.set_global('read_only', 'ON')
        self.record(fenced=True)
        self._write_role_config()
        LOG.info('Instance %s is fenced: read-only',
                 self.manager.info.guest_id)

    @staticmethod
    def _source_settings(sql, semi_sync, timeout):
        if semi_sync:
            sql.set_global('rpl_semi_sync_master_wait_point', 'AFTER_SYNC')
            if timeout is not None:
                sql.set_global('rpl_semi_sync_master_timeout', timeout)
        sql.set_global('rpl_semi_sync_master_enabled',
                       'ON' if semi_sync else 'OFF')
        sql.set_global('rpl_semi_sync_slave_enabled', 'OFF')
        sql.set_global('read_only', 'OFF')

    def snapshot(self, source_info, snapshot_info):
        """A backup through the instance's backup strategy with the GTID
        position it is consistent with, or nothing (the replica's
        ``attach`` then dumps the source itself).
        """
        if snapshot_info is None:
            return {'backup': None}
        result = backups.take_backup(self.manager, snapshot_info)
        gtid = (result.get('metadata') or {}).get('gtid')
        if gtid is None:
            raise exception.DatastoreOperationNotSupported(
                operation='seeding a replica from a backup by %s, which '
                          'records no GTID position' % (
                              result['metadata'].get('strategy')),
                datastore=self.manager.info.datastore_manager)
        backup = dict(result, id=snapshot_info['id'],
                      storage=snapshot_info['storage'])
        return {'backup': backup, 'gtid': check_gtid(gtid)}

    # -- on a replica ----------------------------------------------------------

    def attach(self, source_info, snapshot=None):
        source = check_source(source_info)
        recorded = self.recorded()
        semi_sync, _timeout = self._semi_sync()
        new_replica = snapshot is not None
        gtid = None
        if new_replica and snapshot.get('backup'):
            gtid = check_gtid(snapshot.get('gtid'))
        with self._session() as sql:
            if self._following(sql, source, recorded, semi_sync):
                # A repeat: (re)start what stopped, keep what runs.
                sql.set_global('read_only', 'ON')
                sql.run('START SLAVE')
                return
            self._stop_following(sql, reset=False)
            if new_replica and not recorded.get(SEEDED):
                if gtid is None:
                    self._seed_by_dump(source)
                else:
                    sql.set_global('gtid_slave_pos', gtid)
                self.record(**{SEEDED: True})
            # NOTE(gtid): a new replica or one re-pointed starts from what
            # it applied as a replica; a former source (or standalone)
            # from what it has, its own transactions included.
            if new_replica or recorded.get('role') == base.REPLICA:
                use_gtid = SLAVE_POS
            else:
                use_gtid = CURRENT_POS
            sql.set_global('rpl_semi_sync_master_enabled', 'OFF')
            sql.set_global('rpl_semi_sync_slave_enabled',
                           'ON' if semi_sync else 'OFF')
            sql.set_global('read_only', 'ON')
            sql.run('CHANGE MASTER TO MASTER_HOST = %%s, MASTER_PORT = %%s, '
                    'MASTER_USER = %%s, MASTER_PASSWORD = %%s, '
                    'MASTER_CONNECT_RETRY = %%s, MASTER_USE_GTID = %s'
                    % use_gtid,
                    (source['host'], source['port'], source['user'],
                     source['password'], CONNECT_RETRY))
            sql.run('START SLAVE')
        self.record(role=base.REPLICA, source=source, fenced=None)
        self._write_role_config()
        LOG.info('Instance %s follows %s:%s (from its %s)',
                 self.manager.info.guest_id, source['host'], source['port'],
                 use_gtid)

    @staticmethod
    def _following(sql, source, recorded, semi_sync):
        """Whether an earlier ``attach`` to ``source`` (with the same
        semi-synchronous setting) holds on the server.
        """
        if recorded.get('role') != base.REPLICA or \
                recorded.get('source') != source:
            return False
        status = sql.slave_status()
        return bool(status) and (
            status.get('Master_Host'), int(status.get('Master_Port') or 0),
            status.get('Master_User')) == (
                source['host'], source['port'], source['user']) and \
            bool(sql.value('SELECT @@GLOBAL.rpl_semi_sync_slave_enabled')) \
            == semi_sync

    def _seed_by_dump(self, source):
        """Replay a dump of ``source``, taken over TCP as the replication
        account, into this (fresh, running) server.

        :raises: exception.GuestError naming the tool that failed.
        """
        paths = self.manager.paths
        options = os.path.join(paths.rundir, 'seed-client.cnf')
        fd = os.open(options, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as handle:
            handle.write('[client]\nhost = %s\nport = %d\nuser = %s\n'
                         'password = "%s"\n' % (
                             source['host'], source['port'], source['user'],
                             source['password']))
        dump_args = [mysqldump.find(mysqldump.DUMP_BINARIES),
                     '--defaults-file=%s' % options, '--all-databases',
                     '--single-transaction', '--gtid', '--master-data=1',
                     '--routines', '--events', '--triggers',
                     '--flush-privileges', '--hex-blob',
                     '--default-character-set=utf8mb4',
                     # NOTE(gtid): the dump sets the replica's position
                     # (SET GLOBAL gtid_slave_pos) itself; the source's
                     # table of its own would overwrite it.
                     '--ignore-table=mysql.gtid_slave_pos']
        replay_args = [mysqldump.find(mysqldump.CLIENT_BINARIES),
                       '--defaults-file=%s' % paths.my_cnf, '--user=root',
                       '--socket=%s' % paths.socket,
                       '--default-character-set=utf8mb4', '--binary-mode',
                       '--init-command=SET SESSION sql_log_bin = 0']
        LOG.info('Seeding instance %s from a dump of %s:%s',
                 self.manager.info.guest_id, source['host'], source['port'])
        try:
            dump = streams.Tool(dump_args, 'mariadb-dump (of the source)',
                                stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                cwd=paths.instance_dir)
            try:
                replay = streams.Tool(
                    replay_args, 'mariadb (replaying the source\'s dump)',
                    stdin=dump.stdout, stdout=subprocess.DEVNULL,
                    cwd=paths.instance_dir)
                # The replay holds the pipe now: a replay that dies makes
                # the dump fail on its next write.
                dump.stdout.close()
                try:
                    replayed = replay.wait()
                    dumped = dump.wait()
                    # The dump's failure explains the replay's.
                    if dumped != 0:
                        raise dump.error(dumped)
                    if replayed != 0:
                        raise replay.error(replayed)
                finally:
                    replay.close()
            finally:
                dump.close()
        finally:
            os.unlink(options)

    def _stop_following(self, sql, reset, apply_timeout=APPLY_TIMEOUT):
        """Stop the replica's threads; with ``reset``, first apply what
        was received (a promoted replica must lose nothing its source
        committed) and forget the source.
        """
        status = sql.slave_status()
        if not status:
            return
        if reset:
            sql.run('STOP SLAVE IO_THREAD')
            self._apply_received(sql, apply_timeout)
        sql.run('STOP SLAVE')
        if reset:
            sql.run('RESET SLAVE ALL')

    def _apply_received(self, sql, timeout):
        """Wait until the SQL thread applied every transaction the IO
        thread received (``Gtid_IO_Pos``), for at most ``timeout``
        seconds.
        """
        status = sql.slave_status() or {}
        received = status.get('Gtid_IO_Pos') or ''
        if status.get('Slave_SQL_Running') != 'Yes':
            if received:
                LOG.warning('Instance %s stops following with its SQL '
                            'thread stopped (%s); what it received and did '
                            'not apply (up to %s) is lost',
                            self.manager.info.guest_id,
                            status.get('Last_SQL_Error') or 'no error',
                            received)
            return
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if sql.value('SELECT MASTER_GTID_WAIT(%s, %s)',
                         (received, max(0.1, min(_WAIT_STEP, left)))) == 0:
                return
            if time.monotonic() >= deadline:
                raise exception.GuestError(
                    message='Instance %s did not apply what it received '
                            'from its source (up to %s) within %s seconds; '
                            'try again.' % (self.manager.info.guest_id,
                                            received, timeout))

    def promote(self):
        with self._session() as sql:
            self._stop_following(sql, reset=True)
        self.record(source=None)
        return self.enable_as_source()

    def detach(self):
        with self._session() as sql:
            self._stop_following(sql, reset=True)
            sql.set_global('rpl_semi_sync_master_enabled', 'OFF')
            sql.set_global('rpl_semi_sync_slave_enabled', 'OFF')
            sql.set_global('read_only', 'OFF')
        self.record(role=None, source=None, fenced=None)
        self._write_role_config()
        LOG.info('Instance %s follows no source any more',
                 self.manager.info.guest_id)

    def state(self):
        role = self.recorded().get('role')
        with self._session() as sql:
            status = sql.slave_status()
            gtid = sql.value('SELECT @@GLOBAL.gtid_current_pos')
        return parse_state(role, status, gtid)
