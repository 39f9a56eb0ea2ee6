"""SQL administration of a MySQL-family server: databases, users, root.

The agent talks to its server as ``root@localhost`` over the instance's
unix socket (no password: ``skip-name-resolve`` makes that account
unreachable over TCP, and the socket's directory is private to the
server's user).

Names come from tenants. Identifiers cannot be sent as query parameters,
so every database name, charset and collation is checked against a strict
pattern first and then quoted with backticks; user names, hosts and
passwords always travel as parameters (PyMySQL escapes them as string
literals, which is what ``'user'@'host'`` syntax takes).

In a database-level grant ``_`` and ``%`` are wildcards (``GRANT ... ON
`a_b`.*`` also opens ``axb``), so grants name their database with those
characters escaped, and what ``mysql.db`` holds is unescaped when read.

Errors the server raises never leave this module as PyMySQL exceptions:
``Admin`` turns them into ``BadValue`` (the request was wrong: an unknown
character set, a password the server's policy refuses) or ``GuestError``
(anything else), with the server's message and without the statement,
whose parameters may hold passwords.
"""

import contextlib
import re

from oslo_log import log as logging
import pymysql

from trove_lite.common import exception

LOG = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5

_DATABASE_NAME = re.compile(r'^[A-Za-z0-9_$][A-Za-z0-9_$\-]{0,63}$')
_USER_NAME = re.compile(r'^[A-Za-z0-9_$][A-Za-z0-9_$.\-]{0,79}$')
_HOST = re.compile(r'^[A-Za-z0-9%_.:\-]{1,255}$')
_CHARSET = re.compile(r'^[A-Za-z0-9_]{1,64}$')
# Schemas a tenant may neither create nor be granted.
RESERVED_DATABASES = frozenset(['mysql', 'information_schema',
                                'performance_schema', 'sys', 'lost+found'])
# Compared in lower case. ``public`` is MariaDB 11's PUBLIC role; on older
# servers it is reserved too, so that no tenant user is ever hidden.
# ``os_repl`` is the replication account (the replication strategy's).
RESERVED_USERS = frozenset(['root', 'mariadb.sys', 'mysql', 'os_admin',
                            'os_repl', 'public'])
# Accounts list_users never shows: the reserved ones (anonymous accounts,
# User = '', and roles, Host = '', are left out as well). Each of them is
# refused by the validators, so a tenant cannot create a user it would
# not see.
HIDDEN_USERS = RESERVED_USERS
# Schemas list_databases never shows (``#mysql50#`` names are directories
# of the datadir the server does not recognise as databases).
HIDDEN_DATABASES = RESERVED_DATABASES
ROOT_USER = 'root'
# The agent's own account on the socket; nothing here ever touches it.
LOCAL_HOST = 'localhost'
DEFAULT_HOST = '%'
# Server errors that mean the request, not the server, was wrong.
_BAD_REQUEST_ERRORS = {
    1102: 'invalid database name',          # ER_WRONG_DB_NAME
    1115: 'unknown character set',          # ER_UNKNOWN_CHARACTER_SET
    1253: 'collation does not fit',         # ER_COLLATION_CHARSET_MISMATCH
    1273: 'unknown collation',              # ER_UNKNOWN_COLLATION
    1470: 'name too long',                  # ER_WRONG_STRING_LENGTH
    1819: 'password refused by the policy',  # ER_NOT_VALID_PASSWORD
}
_SYNTAX_ERROR = 1064


def _check(pattern, value, what):
    if not isinstance(value, str) or not pattern.match(value):
        raise exception.BadValue(
            message='Invalid %s %r: use letters, digits, "_", "$" and "-" '
                    'only (no quotes, backticks or spaces).' % (what, value))
    return value


def validate_database_name(name):
    """:raises: exception.BadValue unless ``name`` is a plain identifier."""
    _check(_DATABASE_NAME, name, 'database name')
    if name.lower() in RESERVED_DATABASES:
        raise exception.BadValue(
            message='The database name %r is reserved.' % name)
    return name


def validate_user_name(name):
    """:raises: exception.BadValue for a malformed or reserved user."""
    _check(_USER_NAME, name, 'user name')
    if name.lower() in RESERVED_USERS:
        raise exception.BadValue(message='The user name %r is reserved.'
                                 % name)
    return name


def validate_host(host):
    """:raises: exception.BadValue for a malformed host pattern."""
    return _check(_HOST, host, 'host')


def validate_charset(value, what='character set'):
    """:raises: exception.BadValue for a malformed charset/collation."""
    return _check(_CHARSET, value, what)


def validate_password(password):
    """:raises: exception.BadValue unless ``password`` is a non-empty
    string.
    """
    if not isinstance(password, str) or not password:
        raise exception.BadValue(message='A password must be a non-empty '
                                         'string.')
    return password


def validate_account(name, host):
    """``(name, host)`` of a user the tenant may manage; ``host`` defaults
    to ``'%'``.

    :raises: exception.BadValue as validate_user_name and validate_host.
    """
    return validate_user_name(name), validate_host(
        DEFAULT_HOST if host is None else host)


def account(name, host):
    """How messages name a user: ``name@host``."""
    return '%s@%s' % (name, host)


def quote_identifier(name):
    """``name`` as a backtick-quoted identifier (after validation)."""
    return '`%s`' % name.replace('`', '``')


def grant_pattern(name):
    """The database-level grant pattern that matches exactly ``name``
    (``_`` and ``%`` are wildcards there).
    """
    return name.replace('\\', '\\\\').replace('_', '\\_').replace(
        '%', '\\%')


def grant_database(pattern):
    """The database a ``mysql.db`` pattern names, with escapes removed."""
    return re.sub(r'\\(.)', r'\1', pattern)


def validate_databases(databases):
    """Check every database of a ``prepare`` or ``create_databases``;
    returns normalised dicts.

    :raises: exception.BadValue.
    """
    if not isinstance(databases, (list, tuple, type(None))):
        raise exception.BadValue(message='Databases must be a list.')
    result = []
    for database in databases or []:
        if not isinstance(database, dict):
            raise exception.BadValue(message='A database must be an object, '
                                             'not %r.' % (database,))
        entry = {'name': validate_database_name(database.get('name'))}
        for key, what in (('character_set', 'character set'),
                          ('collate', 'collation')):
            if database.get(key):
                entry[key] = validate_charset(database[key], what)
        result.append(entry)
    return result


def validate_users(users):
    """Check every user of a ``prepare`` or ``create_users``; returns
    normalised dicts (``databases`` as a list of names).

    :raises: exception.BadValue.
    """
    if not isinstance(users, (list, tuple, type(None))):
        raise exception.BadValue(message='Users must be a list.')
    result = []
    for user in users or []:
        if not isinstance(user, dict):
            raise exception.BadValue(message='A user must be an object, '
                                             'not %r.' % (user,))
        password = user.get('password')
        if not isinstance(password, str) or not password:
            raise exception.BadValue(message='User %r needs a password.'
                                     % user.get('name'))
        databases = user.get('databases') or []
        if not isinstance(databases, (list, tuple)) or not all(
                isinstance(db, dict) for db in databases):
            raise exception.BadValue(
                message="The databases of user %r must be a list of "
                        "{'name': ...} objects." % user.get('name'))
        result.append({
            'name': validate_user_name(user.get('name')),
            'host': validate_host(user.get('host') or DEFAULT_HOST),
            'password': password,
            'databases': [validate_database_name(db.get('name'))
                          for db in databases]})
    return result


def connect(socket_path, timeout=CONNECT_TIMEOUT):
    """A root connection over the instance's unix socket.

    :raises: pymysql.err.OperationalError when the server does not answer.
    """
    # NOTE(latency): PyMySQL 1.2 tries TLS unless told not to, and builds
    # a default SSL context (the system's CA bundle, ~20 ms) for every
    # connection; on a unix socket TLS protects nothing.
    return pymysql.connect(unix_socket=socket_path, user='root',
                           ssl_disabled=True,
                           autocommit=True, connect_timeout=timeout,
                           read_timeout=timeout * 6,
                           write_timeout=timeout * 6)


def ping(socket_path, timeout=CONNECT_TIMEOUT):
    """Whether the server answers a query on its socket."""
    try:
        conn = connect(socket_path, timeout)
    except (pymysql.err.MySQLError, OSError):
        return False
    try:
        with conn.cursor() as cursor:
            cursor.execute('SELECT 1')
            return cursor.fetchone() == (1,)
    except (pymysql.err.MySQLError, OSError):
        return False
    finally:
        conn.close()


@contextlib.contextmanager
def session(socket_path, timeout=CONNECT_TIMEOUT):
    """An ``Admin`` on a fresh root connection, closed afterwards.

    :raises: exception.GuestError when the server does not answer (the
        details, which name the socket's path, go to the log only).
    """
    try:
        conn = connect(socket_path, timeout)
    except (pymysql.err.MySQLError, OSError) as err:
        LOG.warning('Cannot connect to the server on %s: %s',
                    socket_path, err)
        raise exception.GuestError(
            message='The database server of this instance does not accept '
                    'connections; check that it is running (restart the '
                    'instance if it is not) and try again.')
    try:
        yield Admin(conn)
    finally:
        conn.close()


def server_error(err, errors=None):
    """The exception of ours that a PyMySQL error becomes.

    :param errors: ``{server error number: exception}`` for the errors
        the caller expects (a missing database, an existing user).
    """
    code = err.args[0] if err.args else None
    text = err.args[1] if len(err.args) > 1 else str(err)
    if errors and code in errors:
        return errors[code]
    if code in _BAD_REQUEST_ERRORS:
        return exception.BadValue(
            message='The database server refused the request (%s): %s'
                    % (_BAD_REQUEST_ERRORS[code], text))
    if code == _SYNTAX_ERROR:
        # NOTE(secrets): the server quotes the statement, which may hold
        # a password; say nothing of it.
        return exception.GuestError(
            message='The database server could not parse a statement of '
                    'the agent (error 1064); this is a bug in trove_lite.')
    # Client-side errors (2000 and up), and InterfaceError(0, ''), which
    # is how PyMySQL reports a connection it already closed.
    if isinstance(err, pymysql.err.InterfaceError) or (
            isinstance(err, pymysql.err.OperationalError)
            and (not code or code >= 2000)):
        return exception.GuestError(
            message='Lost the connection to the database server (%s); '
                    'check that it is running and try again.'
                    % (text or 'connection closed'))
    return exception.GuestError(
        message='The database server failed the request: %s (error %s).'
                % (text, code))


def _visible_database(name):
    return (name.lower() not in HIDDEN_DATABASES
            and not name.startswith('#mysql50#'))


def _visible_user(name, host):
    # MariaDB keeps roles in mysql.user with an empty Host.
    return bool(name) and bool(host) and \
        name.lower() not in HIDDEN_USERS


class Admin:
    """Administrative SQL over one open root connection.

    The methods of guest API 1.2 (``list_databases`` ...
    ``is_root_enabled``) take what the RPC call carried, validate it
    themselves and check every precondition before they change anything;
    they raise only exceptions of ours (see ``datastores.base``).

    :param conn: a PyMySQL connection with autocommit on.
    """

    def __init__(self, conn):
        self.conn = conn

    def _execute(self, sql, args=None, errors=None):
        """Run one statement; returns its rows.

        :param errors: ``{server error number: exception to raise}``.
        :raises: what ``server_error`` makes of a server error.
        """
        try:
            with self.conn.cursor() as cursor:
                cursor.execute(sql, args)
                return cursor.fetchall()
        except pymysql.err.MySQLError as err:
            # NOTE(secrets): the statement's parameters may hold passwords;
            # only its first words are logged.
            LOG.warning('%s... failed: %s', ' '.join(sql.split()[:2]), err)
            raise server_error(err, errors) from None

    def secure(self):
        """Drop what a fresh install leaves open: anonymous accounts, root
        accounts other than the local one (and remote root, which
        ``enable_root`` creates on purpose), and the ``test`` database.
        """
        rows = self._execute(
            "SELECT User, Host FROM mysql.user WHERE User = '' OR "
            "(User = 'root' AND Host NOT IN ('localhost', %s))",
            (DEFAULT_HOST,))
        for user, host in rows:
            self._execute('DROP USER IF EXISTS %s@%s', (user, host))
        self._execute('DROP DATABASE IF EXISTS `test`')
        self._execute(
            "DELETE FROM mysql.db WHERE Db = 'test' OR Db LIKE 'test\\_%'")
        self._execute('FLUSH PRIVILEGES')

    def create_database(self, database):
        """``CREATE DATABASE IF NOT EXISTS`` for a validated entry."""
        sql = 'CREATE DATABASE IF NOT EXISTS %s' % quote_identifier(
            database['name'])
        if database.get('character_set'):
            sql += ' CHARACTER SET %s' % database['character_set']
        if database.get('collate'):
            sql += ' COLLATE %s' % database['collate']
        self._execute(sql)

    def create_user(self, user):
        """Create a validated user (keeping one that exists) and grant it
        everything on its databases.
        """
        self._execute('CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s',
                      (user['name'], user['host'], user['password']))
        for name in user['databases']:
            self._grant(user['name'], user['host'], name)

    # -- databases (guest API 1.2) -------------------------------------------

    def _schemata(self):
        """``{name: (character set, collation)}`` of every schema."""
        rows = self._execute(
            'SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, '
            'DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA')
        return {name: (charset, collation)
                for name, charset, collation in rows}

    def list_databases(self):
        schemata = self._schemata()
        return [{'name': name, 'character_set': schemata[name][0],
                 'collate': schemata[name][1]}
                for name in sorted(schemata) if _visible_database(name)]

    def create_databases(self, databases):
        """Create the databases that do not exist yet.

        When the server refuses one (an unknown character set), the ones
        this call created are dropped again before the error is raised.
        """
        entries = validate_databases(databases)
        existing = set(self._schemata())
        created = []
        try:
            for entry in entries:
                if entry['name'] in existing:
                    continue
                self.create_database(entry)
                existing.add(entry['name'])
                created.append(entry['name'])
        except exception.TroveLiteError:
            for name in created:
                self._drop_quietly('DROP DATABASE IF EXISTS %s'
                                   % quote_identifier(name))
            raise

    def delete_database(self, name):
        """Drop a database and the database-level grants on it, so that a
        database created later under the same name is not open to the
        users of this one.
        """
        validate_database_name(name)
        missing = exception.DatabaseNotFound(name=name)
        if name not in self._schemata():
            raise missing
        self._execute('DROP DATABASE %s' % quote_identifier(name),
                      errors={1008: missing})  # ER_DB_DROP_EXISTS
        for user, host, pattern, grant_option in self._grant_rows():
            if grant_database(pattern) == name:
                self._revoke(user, host, pattern, grant_option)

    # -- users (guest API 1.2) -----------------------------------------------

    def _grant_rows(self, name=None, host=None):
        """``(user, host, pattern, grant option?)`` of the database-level
        grants (of one user when ``name`` is given).
        """
        sql = 'SELECT User, Host, Db, Grant_priv FROM mysql.db'
        args = None
        if name is not None:
            sql += ' WHERE User = %s AND Host = %s'
            args = (name, host)
        return [(user, host_, db, grant == 'Y')
                for user, host_, db, grant in self._execute(sql, args)]

    def _user_exists(self, name, host):
        return bool(self._execute(
            'SELECT 1 FROM mysql.user WHERE User = %s AND Host = %s',
            (name, host)))

    def _existing_user(self, name, host):
        """Validated ``(name, host)`` of a user that exists.

        :raises: exception.BadValue; exception.UserNotFound.
        """
        name, host = validate_account(name, host)
        if not self._user_exists(name, host):
            raise exception.UserNotFound(name=account(name, host))
        return name, host

    def _access(self, name, host):
        return [{'name': database} for database in sorted(set(
            grant_database(pattern)
            for _, _, pattern, _ in self._grant_rows(name, host)))]

    def _check_databases_exist(self, names):
        schemata = self._schemata()
        for name in names:
            if name not in schemata:
                raise exception.DatabaseNotFound(name=name)

    def _grant(self, name, host, database):
        self._execute('GRANT ALL PRIVILEGES ON %s.* TO %%s@%%s'
                      % quote_identifier(grant_pattern(database)),
                      (name, host))

    def _revoke(self, name, host, pattern, grant_option):
        target = quote_identifier(pattern)
        self._execute('REVOKE ALL PRIVILEGES ON %s.* FROM %%s@%%s' % target,
                      (name, host))
        if grant_option:
            self._execute('REVOKE GRANT OPTION ON %s.* FROM %%s@%%s'
                          % target, (name, host))

    def _drop_quietly(self, sql, args=None):
        """Undo part of a failed request; the request's error wins."""
        try:
            self._execute(sql, args)
        except exception.TroveLiteError:
            pass

    def list_users(self):
        access = {}
        for user, host, pattern, _ in self._grant_rows():
            access.setdefault((user, host), set()).add(
                grant_database(pattern))
        users = sorted(
            (user, host) for user, host in self._execute(
                'SELECT User, Host FROM mysql.user')
            if _visible_user(user, host))
        return [{'name': user, 'host': host,
                 'databases': [{'name': database} for database in
                               sorted(access.get((user, host), ()))]}
                for user, host in users]

    def get_user(self, name, host):
        name, host = validate_account(name, host)
        if not self._user_exists(name, host):
            return None
        return {'name': name, 'host': host,
                'databases': self._access(name, host)}

    def create_users(self, users):
        """Create users with their grants, all or none: every user is
        checked to be new and every database to exist first, and the users
        this call created are dropped again if the server refuses one.
        """
        entries = validate_users(users)
        seen = set()
        for entry in entries:
            key = (entry['name'], entry['host'])
            if key in seen:
                raise exception.BadValue(message='User %s is listed twice.'
                                         % account(*key))
            seen.add(key)
            if self._user_exists(*key):
                raise exception.UserAlreadyExists(name=account(*key))
        self._check_databases_exist(
            [name for entry in entries for name in entry['databases']])
        created = []
        try:
            for entry in entries:
                key = (entry['name'], entry['host'])
                self._execute(
                    'CREATE USER %s@%s IDENTIFIED BY %s',
                    key + (entry['password'],),
                    errors={1396: exception.UserAlreadyExists(
                        name=account(*key))})  # ER_CANNOT_USER
                created.append(key)
                for database in entry['databases']:
                    self._grant(entry['name'], entry['host'], database)
        except exception.TroveLiteError:
            for key in created:
                self._drop_quietly('DROP USER IF EXISTS %s@%s', key)
            raise

    def delete_user(self, name, host):
        name, host = self._existing_user(name, host)
        self._execute('DROP USER %s@%s', (name, host), errors={
            1396: exception.UserNotFound(name=account(name, host))})

    def update_user(self, name, host, attributes):
        """Change the password first (the server's password policy may
        refuse it), then rename: ``RENAME USER`` carries the grants.
        """
        name, host = self._existing_user(name, host)
        attributes = attributes or {}
        if not isinstance(attributes, dict):
            raise exception.BadValue(message='User attributes must be an '
                                             'object.')
        unknown = sorted(set(attributes) - {'name', 'host', 'password'})
        if unknown:
            raise exception.BadValue(
                message='Unknown user attributes: %s; only name, host and '
                        'password can change.' % ', '.join(unknown))
        new_name = attributes.get('name')
        new_name = name if new_name is None else validate_user_name(new_name)
        new_host = attributes.get('host')
        new_host = host if new_host is None else validate_host(new_host)
        password = attributes.get('password')
        if password is not None:
            validate_password(password)
        renamed = (new_name, new_host) != (name, host)
        taken = exception.UserAlreadyExists(name=account(new_name, new_host))
        if renamed and self._user_exists(new_name, new_host):
            raise taken
        if password is not None:
            self._execute('ALTER USER %s@%s IDENTIFIED BY %s',
                          (name, host, password))
        if renamed:
            self._execute('RENAME USER %s@%s TO %s@%s',
                          (name, host, new_name, new_host),
                          errors={1396: taken})

    def change_passwords(self, users):
        if not isinstance(users, (list, tuple)):
            raise exception.BadValue(message='Users must be a list.')
        changes = []
        for user in users:
            if not isinstance(user, dict):
                raise exception.BadValue(message='A user must be an object, '
                                                 'not %r.' % (user,))
            key = validate_account(user.get('name'), user.get('host'))
            changes.append(key + (validate_password(user.get('password')),))
        for name, host, _ in changes:
            self._existing_user(name, host)
        for change in changes:
            self._execute('ALTER USER %s@%s IDENTIFIED BY %s', change)

    def list_access(self, name, host):
        return self._access(*self._existing_user(name, host))

    def grant_access(self, name, host, databases):
        name, host = self._existing_user(name, host)
        if not isinstance(databases, (list, tuple)):
            raise exception.BadValue(message='Databases must be a list of '
                                             'names.')
        names = [validate_database_name(database) for database in databases]
        self._check_databases_exist(names)
        for database in names:
            self._grant(name, host, database)

    def revoke_access(self, name, host, database):
        name, host = self._existing_user(name, host)
        validate_database_name(database)
        rows = [row for row in self._grant_rows(name, host)
                if grant_database(row[2]) == database]
        if not rows:
            raise exception.DatabaseNotFound(
                message='User %s has no access to database %s.'
                        % (account(name, host), database))
        for _, _, pattern, grant_option in rows:
            self._revoke(name, host, pattern, grant_option)

    # -- root (guest API 1.2) ------------------------------------------------

    def enable_root(self, password):
        """Create remote root (``root@'%'``) with ``password``, or give the
        existing one that password.

        ``root@localhost`` is left as it is: it is the agent's own account
        on the socket.

        :returns: ``{'name': 'root', 'password': password}``.
        """
        validate_password(password)
        self._execute('CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s',
                      (ROOT_USER, DEFAULT_HOST, password))
        self._execute('ALTER USER %s@%s IDENTIFIED BY %s',
                      (ROOT_USER, DEFAULT_HOST, password))
        self._execute('GRANT ALL PRIVILEGES ON *.* TO %s@%s WITH GRANT OPTION',
                      (ROOT_USER, DEFAULT_HOST))
        return {'name': ROOT_USER, 'password': password}

    def _remote_root_hosts(self):
        return [host for (host,) in self._execute(
            'SELECT Host FROM mysql.user WHERE User = %s AND Host <> %s',
            (ROOT_USER, LOCAL_HOST))]

    def disable_root(self):
        """Drop every root account but ``root@localhost``: ``root@'%'``
        and any other a root session created.
        """
        for host in self._remote_root_hosts():
            self._execute('DROP USER IF EXISTS %s@%s', (ROOT_USER, host))

    def is_root_enabled(self):
        """Whether a root account other than ``root@localhost`` exists."""
        return bool(self._remote_root_hosts())
