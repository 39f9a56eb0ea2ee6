"""Tests for name validation and the SQL the agent sends."""

import pymysql
import pytest

from trove_lite.common import exception
from trove_lite.guestagent.datastores.mysql import admin

BAD_NAMES = ['', 'a`b', "a'b", 'a"b', 'a b', 'a;b', 'a\\b', 'a/b', 'x' * 65,
             None, 5, 'db.name']


@pytest.mark.parametrize('name', ['app', 'App_1', 'my-db', 'a$b', 'x' * 64])
def test_good_database_names(name):
    assert admin.validate_database_name(name) == name


@pytest.mark.parametrize('name', BAD_NAMES)
def test_bad_database_names(name):
    with pytest.raises(exception.BadValue):
        admin.validate_database_name(name)


@pytest.mark.parametrize('name', ['mysql', 'INFORMATION_SCHEMA', 'sys'])
def test_reserved_database_names(name):
    with pytest.raises(exception.BadValue):
        admin.validate_database_name(name)


@pytest.mark.parametrize('name', ["a'b", 'a`b', 'a b', '', 'root', 'x' * 81,
                                  'PUBLIC', 'Root', 'mariadb.sys',
                                  'os_repl', 'OS_REPL'])
def test_bad_user_names(name):
    with pytest.raises(exception.BadValue):
        admin.validate_user_name(name)


@pytest.mark.parametrize('host', ['%', '10.0.0.%', 'localhost', '::1',
                                  'db-1.example.com'])
def test_good_hosts(host):
    assert admin.validate_host(host) == host


@pytest.mark.parametrize('host', ["%'", 'a b', '', 'a`'])
def test_bad_hosts(host):
    with pytest.raises(exception.BadValue):
        admin.validate_host(host)


def test_validate_databases_and_users():
    assert admin.validate_databases([
        {'name': 'app', 'character_set': 'utf8mb4',
         'collate': 'utf8mb4_bin'}, {'name': 'b'}]) == [
        {'name': 'app', 'character_set': 'utf8mb4', 'collate': 'utf8mb4_bin'},
        {'name': 'b'}]
    with pytest.raises(exception.BadValue):
        admin.validate_databases([{'name': 'a', 'collate': "x' OR 1"}])
    assert admin.validate_users([
        {'name': 'app', 'password': "p'w", 'databases': [{'name': 'app'}]}
    ]) == [{'name': 'app', 'host': '%', 'password': "p'w",
            'databases': ['app']}]
    with pytest.raises(exception.BadValue):
        admin.validate_users([{'name': 'app', 'password': ''}])
    with pytest.raises(exception.BadValue):
        admin.validate_users([{'name': 'app', 'password': 'p',
                               'databases': [{'name': 'a`'}]}])


def test_quote_identifier():
    assert admin.quote_identifier('app') == '`app`'
    assert admin.quote_identifier('a`b') == '`a``b`'


class Cursor:
    def __init__(self, log, rows):
        self.log = log
        self.rows = rows

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def execute(self, sql, args=None):
        self.log.append((sql, args))

    def fetchall(self):
        return self.rows.pop(0) if self.rows else ()


class Conn:
    def __init__(self, rows=None):
        self.log = []
        self.rows = list(rows or [])

    def cursor(self):
        return Cursor(self.log, self.rows)


def test_create_database_and_user_use_quoting_and_parameters():
    conn = Conn()
    sql = admin.Admin(conn)
    sql.create_database({'name': 'app', 'character_set': 'utf8mb4',
                         'collate': 'utf8mb4_bin'})
    sql.create_user({'name': 'app', 'host': '%', 'password': "s'cret",
                     'databases': ['app']})
    assert conn.log == [
        ('CREATE DATABASE IF NOT EXISTS `app` CHARACTER SET utf8mb4 '
         'COLLATE utf8mb4_bin', None),
        ('CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s',
         ('app', '%', "s'cret")),
        ('GRANT ALL PRIVILEGES ON `app`.* TO %s@%s', ('app', '%')),
    ]


def test_secure_drops_anonymous_and_remote_root():
    conn = Conn(rows=[[('', 'localhost'), ('root', '127.0.0.1')]])
    admin.Admin(conn).secure()
    statements = [entry for entry in conn.log]
    assert ('DROP USER IF EXISTS %s@%s', ('', 'localhost')) in statements
    assert ('DROP USER IF EXISTS %s@%s', ('root', '127.0.0.1')) in statements
    assert ('DROP DATABASE IF EXISTS `test`', None) in statements


def test_enable_root_is_remote_root_with_password():
    conn = Conn()
    admin.Admin(conn).enable_root('pw')
    assert conn.log[0] == ('CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s',
                           ('root', '%', 'pw'))
    assert all(args is None or 'localhost' not in args
               for _, args in conn.log)


def test_ping_false_without_server(tmp_path):
    assert admin.ping(str(tmp_path / 'nosock'), timeout=1) is False


# -- guest API 1.2 ----------------------------------------------------------

class Server:
    """A scripted root connection.

    ``answers`` maps a fragment of a statement to what it returns: rows,
    a callable of the statement's parameters giving rows, or an exception
    to raise. The first fragment found in a statement answers it; other
    statements return no rows. Every statement is logged.
    """

    def __init__(self, answers=None):
        self.log = []
        self.answers = dict(answers or {})

    def cursor(self):
        return ServerCursor(self)

    def changes(self):
        """The statements that are not SELECTs."""
        return [(sql, args) for sql, args in self.log
                if not sql.startswith('SELECT')]


class ServerCursor(Cursor):
    def __init__(self, server):
        super().__init__(server.log, [])
        self.server = server
        self.result = ()

    def execute(self, sql, args=None):
        self.log.append((sql, args))
        self.result = ()
        for fragment, answer in self.server.answers.items():
            if fragment in sql:
                if isinstance(answer, Exception):
                    raise answer
                self.result = answer(args) if callable(answer) else answer
                return

    def fetchall(self):
        return self.result


SCHEMATA = 'information_schema.SCHEMATA'
USER_EXISTS = 'SELECT 1 FROM mysql.user'
ALL_USERS = 'SELECT User, Host FROM mysql.user'
GRANTS = 'FROM mysql.db'
ROOT_HOSTS = 'SELECT Host FROM mysql.user'


def schemata(*names):
    return [(name, 'utf8mb4', 'utf8mb4_general_ci') for name in names]


def users_exist(*accounts):
    return lambda args: ((1,),) if tuple(args) in accounts else ()


def error(code, text, kind=pymysql.err.OperationalError):
    return kind(code, text)


def test_grant_patterns_match_one_database_only():
    assert admin.grant_pattern('a_b') == 'a\\_b'
    assert admin.grant_pattern('plain-1$') == 'plain-1$'
    for name in ('a_b', 'x__y', 'plain'):
        assert admin.grant_database(admin.grant_pattern(name)) == name
    # What an unescaped grant (an older agent's) names reads the same.
    assert admin.grant_database('a_b') == 'a_b'


def test_list_databases_hides_system_schemas_and_sorts():
    conn = Server({SCHEMATA: schemata(
        'zeta', 'mysql', 'information_schema', 'performance_schema', 'sys',
        '#mysql50#lost+found', 'Alpha', 'beta')})
    assert admin.Admin(conn).list_databases() == [
        {'name': name, 'character_set': 'utf8mb4',
         'collate': 'utf8mb4_general_ci'}
        for name in ('Alpha', 'beta', 'zeta')]


def test_create_databases_keeps_existing_ones():
    conn = Server({SCHEMATA: schemata('old')})
    admin.Admin(conn).create_databases([
        {'name': 'old', 'character_set': 'latin1'},
        {'name': 'new', 'character_set': 'latin1', 'collate': 'latin1_bin'},
        {'name': 'new'}])
    assert conn.changes() == [
        ('CREATE DATABASE IF NOT EXISTS `new` CHARACTER SET latin1 COLLATE '
         'latin1_bin', None)]


@pytest.mark.parametrize('databases', [
    [{'name': 'ok'}, {'name': 'mysql'}], [{'name': 'a`b'}],
    [{'name': 'ok', 'character_set': 'utf8; DROP'}], 'app', ['app']])
def test_create_databases_validates_everything_first(databases):
    conn = Server()
    with pytest.raises(exception.BadValue):
        admin.Admin(conn).create_databases(databases)
    assert conn.changes() == []


def test_create_databases_undoes_its_work_when_refused():
    conn = Server({
        SCHEMATA: schemata(),
        'CREATE DATABASE IF NOT EXISTS `second`':
            error(1115, "Unknown character set: 'nosuch'",
                  pymysql.err.InternalError)})
    with pytest.raises(exception.BadValue) as caught:
        admin.Admin(conn).create_databases([
            {'name': 'first'},
            {'name': 'second', 'character_set': 'nosuch'}])
    assert 'nosuch' in str(caught.value)
    assert conn.changes()[-1] == ('DROP DATABASE IF EXISTS `first`', None)


def test_delete_database_revokes_the_grants_on_it():
    conn = Server({SCHEMATA: schemata('a_b'), GRANTS: [
        ('app', '%', 'a\\_b', 'N'), ('old', '%', 'a_b', 'Y'),
        ('app', '%', 'axb', 'N')]})
    admin.Admin(conn).delete_database('a_b')
    assert conn.changes() == [
        ('DROP DATABASE `a_b`', None),
        ('REVOKE ALL PRIVILEGES ON `a\\_b`.* FROM %s@%s', ('app', '%')),
        ('REVOKE ALL PRIVILEGES ON `a_b`.* FROM %s@%s', ('old', '%')),
        ('REVOKE GRANT OPTION ON `a_b`.* FROM %s@%s', ('old', '%'))]


def test_delete_database_missing_or_reserved():
    conn = Server({SCHEMATA: schemata('other')})
    with pytest.raises(exception.DatabaseNotFound):
        admin.Admin(conn).delete_database('gone')
    with pytest.raises(exception.BadValue):
        admin.Admin(conn).delete_database('mysql')
    # Dropped by someone else between the check and the drop.
    conn = Server({SCHEMATA: schemata('gone'), 'DROP DATABASE':
                   error(1008, "Can't drop database 'gone'")})
    with pytest.raises(exception.DatabaseNotFound):
        admin.Admin(conn).delete_database('gone')


def test_list_users_hides_reserved_anonymous_and_roles():
    conn = Server({
        ALL_USERS: [('zed', '%'), ('root', 'localhost'), ('root', '%'),
                    ('mariadb.sys', 'localhost'), ('mysql', 'localhost'),
                    ('os_admin', 'localhost'), ('PUBLIC', ''),
                    ('os_repl', '%'), ('', 'localhost'), ('a_role', ''), ('app', '10.0.0.%'),
                    ('app', '%')],
        GRANTS: [('app', '%', 'b\\_1', 'N'), ('app', '%', 'a', 'N'),
                 ('root', '%', 'a', 'N')]})
    assert admin.Admin(conn).list_users() == [
        {'name': 'app', 'host': '%',
         'databases': [{'name': 'a'}, {'name': 'b_1'}]},
        {'name': 'app', 'host': '10.0.0.%', 'databases': []},
        {'name': 'zed', 'host': '%', 'databases': []}]


def test_get_user():
    conn = Server({USER_EXISTS: users_exist(('app', '%')),
                   GRANTS: [('app', '%', 'db', 'N')]})
    sql = admin.Admin(conn)
    assert sql.get_user('app', '%') == {'name': 'app', 'host': '%',
                                        'databases': [{'name': 'db'}]}
    assert sql.get_user('app', None)['host'] == '%'
    assert sql.get_user('app', 'localhost') is None
    with pytest.raises(exception.BadValue):
        sql.get_user('root', 'localhost')


def test_create_users_with_grants_passwords_as_parameters():
    conn = Server({USER_EXISTS: users_exist(), SCHEMATA: schemata('a_b')})
    admin.Admin(conn).create_users([
        {'name': 'app', 'password': "pa'ss`", 'host': '10.0.0.%',
         'databases': [{'name': 'a_b'}]}])
    assert conn.changes() == [
        ('CREATE USER %s@%s IDENTIFIED BY %s', ('app', '10.0.0.%', "pa'ss`")),
        ('GRANT ALL PRIVILEGES ON `a\\_b`.* TO %s@%s', ('app', '10.0.0.%'))]
    assert not any("pa'ss" in sql for sql, _ in conn.log)


@pytest.mark.parametrize('users, error_class', [
    ([{'name': 'new', 'password': 'p'}, {'name': 'app', 'password': 'p'}],
     exception.UserAlreadyExists),
    ([{'name': 'new', 'password': 'p', 'databases': [{'name': 'gone'}]}],
     exception.DatabaseNotFound),
    ([{'name': 'new', 'password': 'p'}, {'name': 'new', 'password': 'q'}],
     exception.BadValue),
    ([{'name': 'new', 'password': ''}], exception.BadValue),
    ([{'name': 'mysql', 'password': 'p'}], exception.BadValue),
    ([{'name': 'new', 'password': 'p', 'databases': ['db']}],
     exception.BadValue),
])
def test_create_users_checks_all_before_creating_any(users, error_class):
    conn = Server({USER_EXISTS: users_exist(('app', '%')),
                   SCHEMATA: schemata('db')})
    with pytest.raises(error_class):
        admin.Admin(conn).create_users(users)
    assert conn.changes() == []


def test_create_users_undoes_its_work_when_refused():
    conn = Server({USER_EXISTS: users_exist(), SCHEMATA: schemata(),
                   'CREATE USER': _refuse_second})
    with pytest.raises(exception.BadValue) as caught:
        admin.Admin(conn).create_users([{'name': 'a', 'password': 'good'},
                                        {'name': 'b', 'password': 'weak'}])
    assert 'policy' in str(caught.value)
    assert conn.changes()[-1] == ('DROP USER IF EXISTS %s@%s', ('a', '%'))


def _refuse_second(args):
    if args[0] == 'b':
        raise error(1819, 'Your password does not satisfy the current '
                          'policy requirements')
    return ()


def test_delete_user():
    conn = Server({USER_EXISTS: users_exist(('app', '%'))})
    admin.Admin(conn).delete_user('app', '%')
    assert conn.changes() == [('DROP USER %s@%s', ('app', '%'))]
    with pytest.raises(exception.UserNotFound) as caught:
        admin.Admin(conn).delete_user('app', 'localhost')
    assert 'app@localhost' in str(caught.value)


def test_update_user_password_then_rename():
    conn = Server({USER_EXISTS: users_exist(('app', '%'))})
    admin.Admin(conn).update_user('app', '%', {'name': 'web',
                                               'host': '10.%',
                                               'password': 'new'})
    assert conn.changes() == [
        ('ALTER USER %s@%s IDENTIFIED BY %s', ('app', '%', 'new')),
        ('RENAME USER %s@%s TO %s@%s', ('app', '%', 'web', '10.%'))]
    conn = Server({USER_EXISTS: users_exist(('app', '%'))})
    admin.Admin(conn).update_user('app', '%', {})
    admin.Admin(conn).update_user('app', '%', {'name': 'app'})
    assert conn.changes() == []


@pytest.mark.parametrize('name, attributes, error_class', [
    ('app', {'name': 'taken'}, exception.UserAlreadyExists),
    ('app', {'name': 'root'}, exception.BadValue),
    ('app', {'host': "x'"}, exception.BadValue),
    ('app', {'password': ''}, exception.BadValue),
    ('app', {'databases': []}, exception.BadValue),
    ('app', 'name', exception.BadValue),
    ('ghost', {'password': 'p'}, exception.UserNotFound),
])
def test_update_user_refusals_change_nothing(name, attributes, error_class):
    conn = Server({USER_EXISTS: users_exist(('app', '%'), ('taken', '%'))})
    with pytest.raises(error_class):
        admin.Admin(conn).update_user(name, '%', attributes)
    assert conn.changes() == []


def test_change_passwords_checks_every_user_first():
    conn = Server({USER_EXISTS: users_exist(('a', '%'), ('b', 'h'))})
    with pytest.raises(exception.UserNotFound):
        admin.Admin(conn).change_passwords([
            {'name': 'a', 'host': '%', 'password': 'p'},
            {'name': 'ghost', 'host': '%', 'password': 'p'}])
    assert conn.changes() == []
    admin.Admin(conn).change_passwords([
        {'name': 'a', 'host': '%', 'password': 'p1'},
        {'name': 'b', 'host': 'h', 'password': 'p2'}])
    assert conn.changes() == [
        ('ALTER USER %s@%s IDENTIFIED BY %s', ('a', '%', 'p1')),
        ('ALTER USER %s@%s IDENTIFIED BY %s', ('b', 'h', 'p2'))]


def test_access_grant_and_revoke():
    conn = Server({USER_EXISTS: users_exist(('app', '%')),
                   SCHEMATA: schemata('a_b', 'c', 'd'),
                   GRANTS: [('app', '%', 'c', 'N'), ('app', '%', 'a\\_b',
                                                     'N')]})
    sql = admin.Admin(conn)
    assert sql.list_access('app', '%') == [{'name': 'a_b'}, {'name': 'c'}]
    with pytest.raises(exception.DatabaseNotFound):
        sql.grant_access('app', '%', ['d', 'gone'])
    with pytest.raises(exception.BadValue):
        sql.grant_access('app', '%', 'd')
    with pytest.raises(exception.DatabaseNotFound) as caught:
        sql.revoke_access('app', '%', 'd')
    assert 'no access' in str(caught.value)
    assert conn.changes() == []
    sql.grant_access('app', '%', ['d'])
    sql.revoke_access('app', '%', 'a_b')
    assert conn.changes() == [
        ('GRANT ALL PRIVILEGES ON `d`.* TO %s@%s', ('app', '%')),
        ('REVOKE ALL PRIVILEGES ON `a\\_b`.* FROM %s@%s', ('app', '%'))]
    for call in (lambda: sql.list_access('ghost', '%'),
                 lambda: sql.grant_access('ghost', '%', ['d']),
                 lambda: sql.revoke_access('ghost', '%', 'd')):
        with pytest.raises(exception.UserNotFound):
            call()


def test_root_enable_disable_and_status():
    conn = Server({ROOT_HOSTS: [('%',), ('10.1.1.1',)]})
    sql = admin.Admin(conn)
    assert sql.enable_root('pw') == {'name': 'root', 'password': 'pw'}
    assert sql.is_root_enabled() is True
    sql.disable_root()
    assert ('DROP USER IF EXISTS %s@%s', ('root', '%')) in conn.changes()
    assert ('DROP USER IF EXISTS %s@%s', ('root', '10.1.1.1')) in \
        conn.changes()
    assert all(args is None or 'localhost' not in args
               for sql_, args in conn.changes())
    root_query = [args for sql_, args in conn.log if ROOT_HOSTS in sql_][0]
    assert root_query == ('root', 'localhost')
    assert admin.Admin(Server({ROOT_HOSTS: []})).is_root_enabled() is False
    with pytest.raises(exception.BadValue):
        sql.enable_root('')
    with pytest.raises(exception.BadValue):
        sql.enable_root(None)


@pytest.mark.parametrize('err, error_class, text', [
    (error(1115, "Unknown character set: 'x'", pymysql.err.InternalError),
     exception.BadValue, "Unknown character set: 'x'"),
    (error(1253, 'COLLATION is not valid'), exception.BadValue,
     'collation does not fit'),
    (error(1205, 'Lock wait timeout exceeded'), exception.GuestError,
     'Lock wait timeout exceeded (error 1205)'),
    (error(2013, 'Lost connection to server during query'),
     exception.GuestError, 'Lost the connection'),
    (pymysql.err.InterfaceError(0, ''), exception.GuestError,
     'Lost the connection'),
])
def test_server_errors_become_ours(err, error_class, text):
    conn = Server({SCHEMATA: err})
    with pytest.raises(error_class) as caught:
        admin.Admin(conn).list_databases()
    assert text in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_a_syntax_error_does_not_echo_the_statement():
    conn = Server({'ALTER USER': error(
        1064, "You have an error near 'sekrit'",
        pymysql.err.ProgrammingError),
        USER_EXISTS: users_exist(('app', '%'))})
    with pytest.raises(exception.GuestError) as caught:
        admin.Admin(conn).change_passwords([{'name': 'app', 'host': '%',
                                             'password': 'sekrit'}])
    assert 'sekrit' not in str(caught.value)
    assert '1064' in str(caught.value)


def test_session_without_server_is_a_guest_error(tmp_path):
    socket_path = str(tmp_path / 'nosock')
    with pytest.raises(exception.GuestError) as caught:
        with admin.session(socket_path, timeout=1):
            pass
    assert socket_path not in str(caught.value)
    assert 'running' in str(caught.value)
