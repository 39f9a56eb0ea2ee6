"""Global system variables of a running MySQL-family server.

A configuration group changes the server's variables twice: in ``my.cnf``
(its overrides layer, for every later start) and live, with ``SET
GLOBAL``, so that the running server need not restart. This module is
the live half: ``apply`` sets a batch of variables over one root
connection, all or nothing.

Variable names cannot travel as query parameters: each is checked
against a strict identifier pattern and quoted with backticks. Values
always travel as parameters (PyMySQL escapes them); ``DEFAULT`` asks for
the server's compiled-in default.

A variable the server cannot change while it runs (error 1238,
``ER_INCORRECT_GLOBAL_LOCAL_VAR``: "is a read only variable") is not an
error: its new value waits in ``my.cnf`` for the next start, and
``apply`` reports it as pending a restart. Any other refusal (a wrong
value or type, an unknown variable) puts back the variables the batch
had already changed and raises ``GuestError`` with the server's message.
"""

import re

from oslo_log import log as logging
import pymysql

from trove_lite.common import exception
from trove_lite.guestagent.datastores.mysql import admin

LOG = logging.getLogger(__name__)

_NAME = re.compile(r'^[A-Za-z_][A-Za-z0-9_]{0,63}$')
READ_ONLY_ERROR = 1238  # ER_INCORRECT_GLOBAL_LOCAL_VAR
# Errors numbered from here on are the client's (a lost connection).
_CLIENT_ERRORS = 2000


class _Default:
    def __repr__(self):
        return 'DEFAULT'


#: The value that sets a variable back to the server's own default.
DEFAULT = _Default()


def validate_name(name):
    """:raises: exception.BadValue unless ``name`` can name a system
    variable (letters, digits and ``_``; dashes are my.cnf's spelling).
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise exception.BadValue(
            message='Invalid configuration parameter name %r: use letters, '
                    'digits and "_" only.' % (name,))
    return name


def sql_value(value):
    """``value`` as SET GLOBAL takes it: a boolean as ``ON``/``OFF``."""
    if isinstance(value, bool):
        return 'ON' if value else 'OFF'
    return value


class Variables:
    """The global variables of the server behind ``conn`` (a PyMySQL
    connection with autocommit on, as root).
    """

    def __init__(self, conn):
        self.conn = conn

    def _execute(self, sql, args, what):
        """Run one statement; its rows.

        :raises: pymysql.err.OperationalError for a read-only variable;
            exception.GuestError for any other failure.
        """
        try:
            with self.conn.cursor() as cursor:
                cursor.execute(sql, args)
                return cursor.fetchall()
        except pymysql.err.MySQLError as err:
            code = err.args[0] if err.args else None
            if code == READ_ONLY_ERROR:
                raise
            LOG.warning('%s failed: %s', what, err)
            if isinstance(err, pymysql.err.InterfaceError) or \
                    not code or code >= _CLIENT_ERRORS:
                raise admin.server_error(err) from None
            text = err.args[1] if len(err.args) > 1 else str(err)
            raise exception.GuestError(
                message='The database server refused %s: %s (error %s).'
                        % (what, text, code)) from None

    def get(self, name):
        """The global value of ``name``.

        :raises: exception.GuestError (an unknown variable: error 1193).
        """
        quoted = admin.quote_identifier(validate_name(name))
        rows = self._execute('SELECT @@GLOBAL.%s' % quoted, None,
                             'to read %s' % name)
        return rows[0][0]

    def set(self, name, value):
        """Set ``name`` to ``value`` (``DEFAULT``: the server's default).

        :returns: False when the server can change it only at a start
            (read-only), True when it is set.
        :raises: exception.GuestError when the server refuses the value.
        """
        quoted = admin.quote_identifier(validate_name(name))
        if value is DEFAULT:
            sql, args = 'SET GLOBAL %s = DEFAULT' % quoted, None
        else:
            sql, args = 'SET GLOBAL %s = %%s' % quoted, (sql_value(value),)
        try:
            self._execute(sql, args, '%s = %r' % (name, value))
        except pymysql.err.MySQLError:
            return False
        return True


def apply(conn, changes):
    """Set each of ``changes`` (``{name: value or DEFAULT}``) live, in
    name order (``character_set_server`` before ``collation_server``,
    which changes it too).

    :returns: the sorted names the server can change only at a start.
    :raises: exception.GuestError when the server refuses one: the
        variables already set get their previous values back first (as
        far as the server takes them).
    """
    variables = Variables(conn)
    names = sorted(changes)
    # Read first: an unknown variable fails here, before anything changed.
    before = {name: variables.get(name) for name in names}
    applied, pending = [], []
    try:
        for name in names:
            if variables.set(name, changes[name]):
                applied.append(name)
            else:
                pending.append(name)
    except exception.GuestError:
        for name in reversed(applied):
            try:
                variables.set(name, before[name])
            except exception.GuestError as err:
                LOG.error('Could not set %s back to %r: %s', name,
                          before[name], err)
        raise
    return pending
