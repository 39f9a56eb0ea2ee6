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
"""

import re

import pymysql

from trove_lite.common import exception

CONNECT_TIMEOUT = 5

_DATABASE_NAME = re.compile(r'^[A-Za-z0-9_$][A-Za-z0-9_$\-]{0,63}$')
_USER_NAME = re.compile(r'^[A-Za-z0-9_$][A-Za-z0-9_$.\-]{0,79}$')
_HOST = re.compile(r'^[A-Za-z0-9%_.:\-]{1,255}$')
_CHARSET = re.compile(r'^[A-Za-z0-9_]{1,64}$')
# Schemas a tenant may neither create nor be granted.
RESERVED_DATABASES = frozenset(['mysql', 'information_schema',
                                'performance_schema', 'sys', 'lost+found'])
RESERVED_USERS = frozenset(['root', 'mariadb.sys', 'mysql', 'os_admin'])
DEFAULT_HOST = '%'


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


def quote_identifier(name):
    """``name`` as a backtick-quoted identifier (after validation)."""
    return '`%s`' % name.replace('`', '``')


def validate_databases(databases):
    """Check every database of a ``prepare``; returns normalised dicts."""
    result = []
    for database in databases or []:
        entry = {'name': validate_database_name(database.get('name'))}
        for key, what in (('character_set', 'character set'),
                          ('collate', 'collation')):
            if database.get(key):
                entry[key] = validate_charset(database[key], what)
        result.append(entry)
    return result


def validate_users(users):
    """Check every user of a ``prepare``; returns normalised dicts."""
    result = []
    for user in users or []:
        password = user.get('password')
        if not isinstance(password, str) or not password:
            raise exception.BadValue(message='User %r needs a password.'
                                     % user.get('name'))
        result.append({
            'name': validate_user_name(user.get('name')),
            'host': validate_host(user.get('host') or DEFAULT_HOST),
            'password': password,
            'databases': [validate_database_name(db.get('name'))
                          for db in user.get('databases') or []]})
    return result


def connect(socket_path, timeout=CONNECT_TIMEOUT):
    """A root connection over the instance's unix socket.

    :raises: pymysql.err.OperationalError when the server does not answer.
    """
    return pymysql.connect(unix_socket=socket_path, user='root',
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


class Admin:
    """Administrative SQL over one open root connection.

    :param conn: a PyMySQL connection with autocommit on.
    """

    def __init__(self, conn):
        self.conn = conn

    def _execute(self, sql, args=None):
        with self.conn.cursor() as cursor:
            cursor.execute(sql, args)
            return cursor.fetchall()

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
            self._execute('GRANT ALL PRIVILEGES ON %s.* TO %%s@%%s'
                          % quote_identifier(name),
                          (user['name'], user['host']))

    def enable_root(self, password):
        """Create remote root (``root@'%'``) with ``password``.

        ``root@localhost`` is left as it is: it is the agent's own account
        on the socket.
        """
        self._execute('CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s',
                      ('root', DEFAULT_HOST, password))
        self._execute('ALTER USER %s@%s IDENTIFIED BY %s',
                      ('root', DEFAULT_HOST, password))
        self._execute('GRANT ALL PRIVILEGES ON *.* TO %s@%s WITH GRANT OPTION',
                      ('root', DEFAULT_HOST))
