"""The SQL of PostgreSQL streaming replication on one server.

What the ``postgresql_streaming`` strategy
(``strategies/replication/postgresql_streaming.py``) asks a server, and
how it names what it keeps there: the replication account and what it
may do, a replica's physical replication slot on its source
(``slot_name``), the end of recovery (``pg_promote``), what a standby
says about its stream (``Server.state_row``), and LSNs as ints
(``lsn``), which only grow, across timeline switches too.

Names and values reach the server as query parameters or quoted
identifiers; a password only as a SCRAM verifier computed here
(``Server.set_account``).
"""

import re
import time

import psycopg
from psycopg import conninfo as pg_conninfo
from psycopg import sql as pg_sql

from trove_lite.common import exception
from trove_lite.guestagent.datastores.postgresql import admin
from trove_lite.guestagent.datastores.postgresql import config
from trove_lite.guestagent.datastores.postgresql import manager as pg_manager

REPL_USER = config.REPLICATION_USER
SLOT_PREFIX = 'trove_'
# Attempts at dropping a slot whose replica keeps reconnecting.
DROP_ATTEMPTS = 10
DROP_RETRY = 0.2
# What the functions pg_rewind runs on its source need (its
# documentation's "rewind_user").
REWIND_FUNCTIONS = ('pg_catalog.pg_ls_dir(text, boolean, boolean)',
                    'pg_catalog.pg_stat_file(text, boolean)',
                    'pg_catalog.pg_read_binary_file(text)',
                    'pg_catalog.pg_read_binary_file(text, bigint, bigint, '
                    'boolean)')

_INSTANCE_ID = re.compile(r'^[A-Za-z0-9_\-]{1,56}$')
_LSN = re.compile(r'^([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})$')


def slot_name(instance_id):
    """The replication slot of the replica ``instance_id`` on its source
    (a slot name is at most 63 of ``[a-z0-9_]``).

    :raises: exception.BadValue for an id that cannot name one.
    """
    if not isinstance(instance_id, str) or not _INSTANCE_ID.match(
            instance_id):
        raise exception.BadValue(message='Invalid replica instance id %r.'
                                 % (instance_id,))
    return SLOT_PREFIX + instance_id.lower().replace('-', '_')


def lsn(text):
    """The int of an LSN (``'16/B374D848'``), None for None.

    :raises: exception.BadValue for text that is not one.
    """
    if text is None:
        return None
    match = _LSN.match(text) if isinstance(text, str) else None
    if match is None:
        raise exception.BadValue(message='Invalid LSN %r.' % (text,))
    return (int(match.group(1), 16) << 32) | int(match.group(2), 16)


def source_of(conninfo):
    """``{'host', 'port'}`` of a ``primary_conninfo``, or None when it is
    empty (a standby that follows nobody).
    """
    if not conninfo:
        return None
    try:
        values = pg_conninfo.conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError:
        return None
    try:
        port = int(values.get('port') or pg_manager.DEFAULT_PORT)
    except ValueError:
        port = None
    return {'host': values.get('host'), 'port': port}


class Server:
    """The replication SQL over one connection (autocommit).

    :param conn: a psycopg connection, as the superuser on the
        instance's own server, or as the replication account on a
        source (``ensure_slot`` only).
    """

    # One look at everything ``state`` needs.
    STATE = (
        'SELECT pg_is_in_recovery() AS in_recovery, '
        'CASE WHEN pg_is_in_recovery() THEN NULL '
        ' ELSE pg_current_wal_lsn()::text END AS current_lsn, '
        'pg_last_wal_receive_lsn()::text AS receive_lsn, '
        'pg_last_wal_replay_lsn()::text AS replay_lsn, '
        'CASE WHEN pg_last_wal_receive_lsn() IS NULL '
        '  OR pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0 '
        ' ELSE GREATEST(0, EXTRACT(EPOCH FROM now() '
        '  - pg_last_xact_replay_timestamp()))::float8 END AS lag, '
        '(SELECT status FROM pg_stat_wal_receiver) AS receiver, '
        "current_setting('primary_conninfo') AS conninfo")

    def __init__(self, conn):
        self.conn = conn

    def _rows(self, query, args=None):
        cursor = self.conn.execute(query, args)
        return cursor.fetchall() if cursor.description else []

    def _value(self, query, args=None):
        rows = self._rows(query, args)
        return rows[0][0] if rows else None

    def in_recovery(self):
        return bool(self._value('SELECT pg_is_in_recovery()'))

    def state_row(self):
        cursor = self.conn.execute(self.STATE)
        names = [column.name for column in cursor.description]
        return dict(zip(names, cursor.fetchone()))

    def settings(self, names):
        """``{name: int}`` of the server's current ``names``."""
        return {name: int(value) for name, value in self._rows(
            'SELECT name, setting FROM pg_settings WHERE name = ANY(%s)',
            (sorted(names),))}

    def reload(self):
        self._rows('SELECT pg_reload_conf()')

    def promote(self, timeout):
        """End recovery (``pg_promote``, waited for), then checkpoint.

        :returns: whether it ended within ``timeout`` seconds.
        """
        if not self._value('SELECT pg_promote(true, %s)', (int(timeout),)):
            return False
        # NOTE(rewind): the control file names the new timeline only
        # after a checkpoint; pg_rewind of a former source reads it.
        self._rows('CHECKPOINT')
        return True

    def set_account(self, password):
        """The replication account with ``password`` and what it may do."""
        verifier = self.conn.pgconn.encrypt_password(
            password.encode('utf-8'), REPL_USER.encode('utf-8'),
            b'scram-sha-256').decode('ascii')
        statement = pg_sql.SQL('{} ROLE {} WITH LOGIN REPLICATION '
                               'NOSUPERUSER NOCREATEDB NOCREATEROLE '
                               'PASSWORD {}')
        user = pg_sql.Identifier(REPL_USER)
        exists = self._value('SELECT 1 FROM pg_roles WHERE rolname = %s',
                             (REPL_USER,))
        try:
            self._rows(statement.format(
                pg_sql.SQL('ALTER' if exists else 'CREATE'), user,
                pg_sql.Literal(verifier)))
        except psycopg.errors.DuplicateObject:
            # NOTE(race): created since we looked.
            self._rows(statement.format(pg_sql.SQL('ALTER'), user,
                                        pg_sql.Literal(verifier)))
        self._rows(pg_sql.SQL('GRANT CONNECT ON DATABASE {} TO {}').format(
            pg_sql.Identifier(admin.MAINTENANCE_DB), user))
        for function in REWIND_FUNCTIONS:
            self._rows(pg_sql.SQL('GRANT EXECUTE ON FUNCTION {} TO {}').format(
                pg_sql.SQL(function), user))

    def ensure_slot(self, name):
        """Create the physical slot ``name`` (reserving WAL now) unless it
        exists.
        """
        if self._value('SELECT 1 FROM pg_replication_slots '
                       'WHERE slot_name = %s', (name,)):
            return
        try:
            self._rows('SELECT pg_create_physical_replication_slot(%s, true)',
                       (name,))
        except psycopg.errors.DuplicateObject:
            pass

    def slots(self):
        """The names of the strategy's slots on this server."""
        return [row[0] for row in self._rows(
            'SELECT slot_name FROM pg_replication_slots '
            "WHERE slot_type = 'physical' AND slot_name LIKE %s",
            (SLOT_PREFIX.replace('_', '\\_') + '%',))]

    def drop_slot(self, name):
        """Drop the slot ``name`` (ending the replica's stream that holds
        it); a missing one is dropped already.

        :raises: exception.GuestError when its replica keeps it busy.
        """
        for _ in range(DROP_ATTEMPTS):
            rows = self._rows('SELECT active_pid FROM pg_replication_slots '
                              'WHERE slot_name = %s', (name,))
            if not rows:
                return
            if rows[0][0] is not None:
                self._rows('SELECT pg_terminate_backend(%s)', (rows[0][0],))
            try:
                self._rows('SELECT pg_drop_replication_slot(%s)', (name,))
                return
            except psycopg.errors.UndefinedObject:
                return
            except psycopg.errors.ObjectInUse:
                time.sleep(DROP_RETRY)
        raise exception.GuestError(
            message='The replication slot %s stays in use; try again.'
                    % name)
