"""SQL administration of a PostgreSQL server: databases, users, root.

The agent talks to its server as the superuser ``postgres`` over the
instance's unix socket, authenticated by ``peer`` (``config.py``); no
password of the superuser is ever needed by the agent.

Semantics, chosen to stay close to upstream Trove's PostgreSQL guest
while making access real on PostgreSQL 15:

* A database is created owned by ``postgres``, from ``template1`` (or
  ``template0`` when an encoding or locale is asked for). ``character_set``
  becomes ``ENCODING``, ``collate`` becomes ``LC_COLLATE`` and
  ``LC_CTYPE``; a combination the server refuses is a BadValue. PUBLIC's
  default ``CONNECT`` and ``TEMP`` on the new database are revoked, so a
  user reaches only the databases it was granted.
* A user is a role ``WITH LOGIN PASSWORD``; its host is always ``'%'``.
* Granting access is ``GRANT ALL PRIVILEGES ON DATABASE`` plus ``GRANT
  ALL ON SCHEMA public`` in that database (PostgreSQL 15 no longer lets
  PUBLIC create in ``public``), so the user can create tables there.
  Revoking takes both away and ends the user's sessions in that database.
  A user's databases are those where an explicit grant gives it
  ``CONNECT``.
* Deleting a user hands what it owns to ``postgres`` (``REASSIGN OWNED``;
  tables survive their creator, as in MySQL) and drops its privileges
  (``DROP OWNED``) in every database before ``DROP ROLE``.
* Root is a role named ``root``, as upstream's: enabling root creates it
  (or, when it exists, alters it back) ``WITH`` the admin options
  (``ADMIN_OPTIONS``: superuser, creates databases and roles, replication,
  bypasses row security, logs in) and the given password. Disabling it
  takes the login, the superuser and the password away and ends root's
  sessions, but keeps the role, which may own objects. The agent's own
  superuser ``postgres`` never gets a password: TCP logins authenticate
  with ``scram-sha-256``, which a role without one cannot pass, and only
  the agent may use the unix socket (``config.py``). ``root`` is reserved
  like ``postgres``: tenants cannot create, change, delete or see it
  through the users API.

Names come from tenants. Identifiers cannot be sent as query parameters,
so every name is checked against a strict pattern and then quoted as an
identifier (``psycopg.sql.Identifier``); encodings and locales are
checked the same way and sent as quoted literals. Passwords never reach
the server in clear: libpq turns them into SCRAM verifiers on the agent's
side (so no server log can show one), sent as quoted literals.
"""

import contextlib
import re

import psycopg
from psycopg import sql

from trove_lite.common import exception

CONNECT_TIMEOUT = 5
# The agent's own account (socket only, never a password).
SUPERUSER = 'postgres'
# The tenant's superuser, which ``root enable`` creates.
ROOT_USER = 'root'
# What upstream gives root (its PgSqlAdmin.ADMIN_OPTIONS).
ADMIN_OPTIONS = ('SUPERUSER', 'CREATEDB', 'CREATEROLE', 'INHERIT',
                 'REPLICATION', 'BYPASSRLS', 'LOGIN')
MAINTENANCE_DB = 'postgres'
DEFAULT_HOST = '%'
SCHEMA = 'public'

_DATABASE_NAME = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_$\-]{0,62}$')
_USER_NAME = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_$.\-]{0,62}$')
_CHARSET = re.compile(r'^[A-Za-z0-9_]{1,32}$')
_COLLATION = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.@\-]{0,63}$')
RESERVED_DATABASES = frozenset(['postgres', 'template0', 'template1',
                                'os_admin', 'lost+found'])
# PostgreSQL reserves the pg_ prefix and these names for itself.
# The agent's superuser and root are not tenants' users either, nor
# ``os_repl``, the replication account (the replication strategy's).
RESERVED_USERS = frozenset([SUPERUSER, ROOT_USER, 'os_admin', 'os_repl',
                            'public', 'none', 'current_user',
                            'session_user', 'current_role'])
RESERVED_USER_PREFIX = 'pg_'
# SQLSTATE classes of errors a request causes (22 data exception, 42
# syntax error or access rule violation, 0A feature not supported).
REQUEST_ERROR_CLASSES = ('22', '42', '0A')


def _check(pattern, value, what, allowed):
    if not isinstance(value, str) or not pattern.match(value):
        raise exception.BadValue(
            message='Invalid %s %r: use %s only (no quotes or spaces, at '
                    'most 63 characters).' % (what, value, allowed))
    return value


def validate_database_name(name):
    """:raises: exception.BadValue unless ``name`` is a plain, unreserved
    identifier.
    """
    _check(_DATABASE_NAME, name, 'database name',
           'letters, digits, "_", "$" and "-"')
    if name.lower() in RESERVED_DATABASES:
        raise exception.BadValue(
            message='The database name %r is reserved.' % name)
    return name


def validate_user_name(name):
    """:raises: exception.BadValue for a malformed or reserved user."""
    _check(_USER_NAME, name, 'user name',
           'letters, digits, "_", "$", "." and "-"')
    lowered = name.lower()
    if lowered in RESERVED_USERS or lowered.startswith(RESERVED_USER_PREFIX):
        raise exception.BadValue(message='The user name %r is reserved.'
                                 % name)
    return name


def validate_host(host):
    """PostgreSQL has no per-host accounts: only ``'%'`` (or None).

    :raises: exception.BadValue for any other host.
    """
    if host not in (None, DEFAULT_HOST):
        raise exception.BadValue(
            message='PostgreSQL users have no host; use "%s" (any host), '
                    'not %r.' % (DEFAULT_HOST, host))
    return DEFAULT_HOST


def validate_password(password):
    """:raises: exception.BadValue for an empty or non-string password."""
    if not isinstance(password, str) or not password:
        raise exception.BadValue(message='A password must not be empty.')
    return password


def validate_charset(value, what='character set'):
    """:raises: exception.BadValue for a malformed encoding (``what`` is
    'character set') or locale (any other ``what``).
    """
    if what == 'character set':
        return _check(_CHARSET, value, what, 'letters, digits and "_"')
    return _check(_COLLATION, value, what,
                  'letters, digits, "_", ".", "@" and "-"')


def validate_database(database):
    """A normalised ``{'name', 'character_set'?, 'collate'?}``."""
    if not isinstance(database, dict):
        raise exception.BadValue(message='Invalid database %r.' % database)
    entry = {'name': validate_database_name(database.get('name'))}
    for key, what in (('character_set', 'character set'),
                      ('collate', 'collation')):
        if database.get(key):
            entry[key] = validate_charset(database[key], what)
    return entry


def validate_databases(databases):
    """Check every database of a request; returns normalised dicts."""
    return [validate_database(database) for database in databases or []]


def validate_user(user, password_required=True):
    """A normalised ``{'name', 'host', 'password', 'databases': [name]}``.
    """
    if not isinstance(user, dict):
        raise exception.BadValue(message='Invalid user %r.' % user)
    password = user.get('password')
    if password_required or password is not None:
        try:
            validate_password(password)
        except exception.BadValue:
            raise exception.BadValue(message='User %r needs a password.'
                                     % user.get('name'))
    return {'name': validate_user_name(user.get('name')),
            'host': validate_host(user.get('host')),
            'password': password,
            'databases': [validate_database_name((db or {}).get('name'))
                          for db in user.get('databases') or []]}


def validate_users(users):
    """Check every user of a request; returns normalised dicts."""
    return [validate_user(user) for user in users or []]


AGENT_SESSION_OPTIONS = '-c log_statement=none -c log_min_duration_statement=-1'


def connect(socket_dir, port, dbname=MAINTENANCE_DB,
            timeout=CONNECT_TIMEOUT):
    """A superuser connection over the instance's unix socket.

    :raises: psycopg.OperationalError when the server does not answer.
    """
    # NOTE(logs): the agent's own statements (health checks every few
    # seconds) stay out of the tenant's general log (guest logs).
    return psycopg.connect(host=socket_dir, port=int(port), user=SUPERUSER,
                           dbname=dbname, connect_timeout=timeout,
                           autocommit=True,
                           application_name='trove-lite-guestagent',
                           options=AGENT_SESSION_OPTIONS)


def ping(socket_dir, port, timeout=CONNECT_TIMEOUT):
    """Whether the server answers a query on its socket."""
    try:
        with connect(socket_dir, port, timeout=timeout) as conn:
            return conn.execute('SELECT 1').fetchone() == (1,)
    except (psycopg.Error, OSError):
        return False


def _ident(name):
    return sql.Identifier(name)


class Admin:
    """Administrative SQL over superuser connections.

    :param connect: ``connect(dbname)`` -> a psycopg connection with
        autocommit on; the maintenance database's connection is opened
        at once and kept, others are opened per operation.
    """

    def __init__(self, connect):
        self._connect = connect
        self.conn = connect(MAINTENANCE_DB)

    def close(self):
        self.conn.close()

    def _execute(self, query, args=None):
        cursor = self.conn.execute(query, args)
        return cursor.fetchall() if cursor.description else []

    @contextlib.contextmanager
    def _in_database(self, name):
        conn = self._connect(name)
        try:
            yield conn
        finally:
            conn.close()

    def _verifier(self, name, password):
        """The SCRAM verifier of ``password`` (computed by libpq here)."""
        return self.conn.pgconn.encrypt_password(
            password.encode('utf-8'), name.encode('utf-8'),
            b'scram-sha-256').decode('ascii')

    def _terminate(self, user, database=None):
        """End the sessions of ``user`` (in ``database``)."""
        query = ('SELECT pg_terminate_backend(pid) FROM pg_stat_activity '
                 'WHERE usename = %s AND pid <> pg_backend_pid()')
        args = [user]
        if database is not None:
            query += ' AND datname = %s'
            args.append(database)
        self._execute(query, args)

    # -- set-up ----------------------------------------------------------

    def secure(self):
        """Let nobody but the superuser connect to the maintenance and
        template databases (PUBLIC may by default).
        """
        for name in (MAINTENANCE_DB, 'template1'):
            self._execute(sql.SQL(
                'REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC'
            ).format(_ident(name)))

    # -- databases ---------------------------------------------------------

    def database_exists(self, name):
        return bool(self._execute(
            'SELECT 1 FROM pg_database WHERE datname = %s', (name,)))

    def list_databases(self):
        rows = self._execute(
            'SELECT datname, pg_encoding_to_char(encoding), datcollate '
            'FROM pg_database WHERE NOT datistemplate AND datallowconn '
            'AND datname <> ALL(%s) ORDER BY datname',
            (sorted(RESERVED_DATABASES),))
        return [{'name': name, 'character_set': charset, 'collate': collate}
                for name, charset, collate in rows]

    def create_database(self, database):
        """Create a validated database unless it exists.

        :raises: exception.BadValue when the server refuses its encoding or
            locale.
        """
        name = database['name']
        if self.database_exists(name):
            return False
        query = sql.SQL('CREATE DATABASE {}').format(_ident(name))
        options = []
        if database.get('character_set'):
            options.append(sql.SQL('ENCODING {}').format(
                sql.Literal(database['character_set'])))
        if database.get('collate'):
            options.append(sql.SQL('LC_COLLATE {0} LC_CTYPE {0}').format(
                sql.Literal(database['collate'])))
        if options:
            # NOTE(encoding): template1 may hold data in the cluster's
            # encoding; only template0 can be copied into another one.
            query = sql.SQL(' ').join(
                [query, sql.SQL('TEMPLATE template0')] + options)
        try:
            self._execute(query)
        except psycopg.errors.DuplicateDatabase:
            return False
        except psycopg.Error as err:
            # Data exceptions, rule violations (unknown encoding or
            # locale, a locale that does not fit the encoding), features
            # the server lacks: the request's fault, not the server's.
            if (err.sqlstate or '')[:2] not in REQUEST_ERROR_CLASSES:
                raise
            raise exception.BadValue(
                message='Cannot create database %r: %s' % (
                    name, err.diag.message_primary or err))
        self._execute(sql.SQL(
            'REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC'
        ).format(_ident(name)))
        # NOTE(pg15): before PostgreSQL 15 PUBLIC may create in schema
        # public; take that away everywhere so access means the same on
        # every version (a no-op on 15).
        with self._in_database(name) as conn:
            conn.execute(sql.SQL('REVOKE CREATE ON SCHEMA {} FROM PUBLIC')
                         .format(_ident(SCHEMA)))
        return True

    def drop_database(self, name):
        """Drop ``name``, ending its sessions first.

        :raises: exception.DatabaseNotFound.
        """
        if not self.database_exists(name):
            raise exception.DatabaseNotFound(name=name)
        self._execute(
            'SELECT pg_terminate_backend(pid) FROM pg_stat_activity '
            'WHERE datname = %s AND pid <> pg_backend_pid()', (name,))
        query = sql.SQL('DROP DATABASE IF EXISTS {}').format(_ident(name))
        if self.conn.info.server_version >= 130000:
            # Sessions opened between the terminate and the drop.
            query = sql.SQL('{} WITH (FORCE)').format(query)
        self._execute(query)

    # -- users -----------------------------------------------------------

    def role_exists(self, name):
        """Whether any role (login or not) is called ``name``."""
        return bool(self._execute(
            'SELECT 1 FROM pg_roles WHERE rolname = %s', (name,)))

    _USERS = (
        'SELECT r.rolname, COALESCE(array_agg(g.datname ORDER BY g.datname)'
        ' FILTER (WHERE g.datname IS NOT NULL), ARRAY[]::name[]) '
        'FROM pg_roles r LEFT JOIN ('
        ' SELECT d.datname, a.grantee FROM pg_database d,'
        '  aclexplode(d.datacl) a'
        ' WHERE a.privilege_type = %s AND NOT d.datistemplate'
        '  AND d.datname <> ALL(%s)) g ON g.grantee = r.oid '
        'WHERE r.rolcanlogin AND r.rolname NOT LIKE %s '
        'AND r.rolname <> ALL(%s) ')
    _USERS_ORDER = 'GROUP BY r.rolname ORDER BY r.rolname'

    def _users(self, name=None):
        where = 'AND r.rolname = %s ' if name is not None else ''
        args = ['CONNECT', sorted(RESERVED_DATABASES), 'pg\\_%',
                sorted(RESERVED_USERS)]
        if name is not None:
            args.append(name)
        rows = self._execute(self._USERS + where + self._USERS_ORDER, args)
        return [{'name': role, 'host': DEFAULT_HOST,
                 'databases': [{'name': db} for db in databases]}
                for role, databases in rows]

    def list_users(self):
        return self._users()

    def get_user(self, name):
        """The login role ``name`` as a user dict, or None."""
        found = self._users(name)
        return found[0] if found else None

    def require_user(self, name):
        """:raises: exception.UserNotFound unless ``name`` is a user."""
        user = self.get_user(name)
        if user is None:
            raise exception.UserNotFound(name=name)
        return user

    def require_databases(self, names):
        """:raises: exception.DatabaseNotFound for the first missing one."""
        for name in names:
            if not self.database_exists(name):
                raise exception.DatabaseNotFound(name=name)

    def create_user(self, user, keep_existing=False):
        """Create a validated user and grant it its databases.

        :param keep_existing: leave an existing role as it is (but grant
            it the databases) instead of refusing.
        :raises: exception.UserAlreadyExists; exception.DatabaseNotFound.
        """
        name = user['name']
        self.require_databases(user['databases'])
        if self.role_exists(name):
            if not keep_existing:
                raise exception.UserAlreadyExists(name=name)
        else:
            self._execute(sql.SQL('CREATE ROLE {} WITH LOGIN PASSWORD {}')
                          .format(_ident(name), sql.Literal(
                              self._verifier(name, user['password']))))
        for database in user['databases']:
            self.grant(name, database)

    def set_password(self, name, password):
        self._execute(sql.SQL('ALTER ROLE {} WITH PASSWORD {}').format(
            _ident(name), sql.Literal(self._verifier(name, password))))

    def rename_user(self, name, new_name):
        """:raises: exception.UserAlreadyExists when ``new_name`` is
        taken.
        """
        if self.role_exists(new_name):
            raise exception.UserAlreadyExists(name=new_name)
        self._execute(sql.SQL('ALTER ROLE {} RENAME TO {}').format(
            _ident(name), _ident(new_name)))

    def drop_user(self, name):
        """Hand the user's objects to the superuser, drop its privileges
        in every database, then the role.
        """
        self._terminate(name)
        databases = [row[0] for row in self._execute(
            'SELECT datname FROM pg_database WHERE datallowconn '
            'ORDER BY datname')]
        owned = sql.SQL('REASSIGN OWNED BY {0} TO {1}; DROP OWNED BY {0}'
                        ).format(_ident(name), _ident(SUPERUSER))
        for database in databases:
            with self._in_database(database) as conn:
                conn.execute(owned)
        self._execute(sql.SQL('DROP ROLE {}').format(_ident(name)))

    # -- access ----------------------------------------------------------

    def grant(self, name, database):
        """Full access for ``name`` to ``database`` and its schema
        ``public``.
        """
        self._execute(sql.SQL('GRANT ALL PRIVILEGES ON DATABASE {} TO {}')
                      .format(_ident(database), _ident(name)))
        with self._in_database(database) as conn:
            if conn.execute('SELECT 1 FROM pg_namespace WHERE nspname = %s',
                            (SCHEMA,)).fetchone():
                conn.execute(sql.SQL('GRANT ALL ON SCHEMA {} TO {}').format(
                    _ident(SCHEMA), _ident(name)))

    def revoke(self, name, database):
        """Take ``name``'s access to ``database`` away and end its
        sessions there.
        """
        self._execute(sql.SQL('REVOKE ALL PRIVILEGES ON DATABASE {} FROM {}')
                      .format(_ident(database), _ident(name)))
        with self._in_database(database) as conn:
            if conn.execute('SELECT 1 FROM pg_namespace WHERE nspname = %s',
                            (SCHEMA,)).fetchone():
                conn.execute(sql.SQL('REVOKE ALL ON SCHEMA {} FROM {}')
                             .format(_ident(SCHEMA), _ident(name)))
        self._terminate(name, database)

    # -- root --------------------------------------------------------------

    def enable_root(self, password):
        """Create the role ``root`` with the admin options and
        ``password``, or give an existing one both back.

        :returns: ``{'name': 'root', 'password': password}``.
        """
        options = sql.SQL(' ').join(sql.SQL(option)
                                    for option in ADMIN_OPTIONS)
        verifier = sql.Literal(self._verifier(ROOT_USER, password))
        statement = sql.SQL('{} ROLE {} WITH {} PASSWORD {}')
        created = False
        if not self.role_exists(ROOT_USER):
            try:
                self._execute(statement.format(
                    sql.SQL('CREATE'), _ident(ROOT_USER), options, verifier))
                created = True
            except psycopg.errors.DuplicateObject:
                # NOTE(race): created since we looked; alter it instead.
                pass
        if not created:
            self._execute(statement.format(
                sql.SQL('ALTER'), _ident(ROOT_USER), options, verifier))
        return {'name': ROOT_USER, 'password': password}

    def disable_root(self):
        """Take root's login, superuser and password away, then end its
        sessions (the login goes first, so none can start in between).
        The role stays: it may own objects. A no-op without the role.
        """
        if not self.role_exists(ROOT_USER):
            return
        self._execute(sql.SQL(
            'ALTER ROLE {} WITH NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE '
            'NOREPLICATION NOBYPASSRLS PASSWORD NULL').format(
                _ident(ROOT_USER)))
        self._terminate(ROOT_USER)

    def is_root_enabled(self):
        """Whether ``root`` can log in now: it exists, logs in, has a
        password and is a superuser.
        """
        rows = self._execute(
            'SELECT rolcanlogin AND rolsuper AND rolpassword IS NOT NULL '
            'FROM pg_authid WHERE rolname = %s', (ROOT_USER,))
        return bool(rows and rows[0][0])

    # -- configuration (configuration groups) ------------------------------

    def conf_load_time(self):
        """When the server (as this session sees it) last read its
        configuration files.
        """
        return self._execute('SELECT pg_conf_load_time()')[0][0]

    def reload(self):
        """Tell the server to read its configuration files again
        (``pg_reload_conf``; the server does it soon after, not before
        this returns).
        """
        self._execute('SELECT pg_reload_conf()')

    def pending_restart(self, names):
        """Those of ``names`` whose value in the configuration files
        differs from the running one and needs a restart (as this
        session's last read of the files found).

        :returns: a sorted list.
        """
        rows = self._execute(
            'SELECT name FROM pg_settings WHERE pending_restart AND '
            'name = ANY(%s) ORDER BY name', (list(names),))
        return [row[0] for row in rows]

    def restart_parameters(self, names):
        """Those of ``names`` that only a restart changes (context
        ``postmaster``).

        :returns: a sorted list.
        """
        rows = self._execute(
            "SELECT name FROM pg_settings WHERE context = 'postmaster' AND "
            'name = ANY(%s) ORDER BY name', (list(names),))
        return [row[0] for row in rows]
