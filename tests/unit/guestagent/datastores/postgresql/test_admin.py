"""Tests for name validation and the SQL the agent sends to PostgreSQL."""

import psycopg
import pytest

from trove_lite.common import exception
from trove_lite.guestagent.datastores.postgresql import admin

BAD_NAMES = ['', 'a"b', "a'b", 'a`b', 'a b', 'a;b', 'a\\b', 'a/b', 'x' * 64,
             None, 5, '-x']


@pytest.mark.parametrize('name', ['app', 'App_1', 'my-db', 'a$b', 'x' * 63])
def test_good_database_names(name):
    assert admin.validate_database_name(name) == name


@pytest.mark.parametrize('name', BAD_NAMES + ['db.name'])
def test_bad_database_names(name):
    with pytest.raises(exception.BadValue):
        admin.validate_database_name(name)


@pytest.mark.parametrize('name', ['postgres', 'template0', 'Template1',
                                  'os_admin'])
def test_reserved_database_names(name):
    with pytest.raises(exception.BadValue):
        admin.validate_database_name(name)


@pytest.mark.parametrize('name', ['app', 'app.user', 'a-b', 'x' * 63])
def test_good_user_names(name):
    assert admin.validate_user_name(name) == name


@pytest.mark.parametrize('name', BAD_NAMES + [
    'postgres', 'root', 'Root', 'os_admin', 'os_repl', 'OS_REPL',
    'pg_monitor', 'PG_x', 'public', 'none', 'current_user'])
def test_bad_and_reserved_user_names(name):
    with pytest.raises(exception.BadValue):
        admin.validate_user_name(name)


def test_hosts():
    assert admin.validate_host('%') == '%'
    assert admin.validate_host(None) == '%'
    for host in ['localhost', '10.0.0.%', '', "%'"]:
        with pytest.raises(exception.BadValue):
            admin.validate_host(host)


def test_charsets_and_collations():
    assert admin.validate_charset('UTF8') == 'UTF8'
    assert admin.validate_charset('en_US.UTF-8', 'collation') == \
        'en_US.UTF-8'
    for value, what in [('UTF-8', 'character set'), ("C' x", 'collation'),
                        ('', 'collation'), ('a b', 'character set')]:
        with pytest.raises(exception.BadValue):
            admin.validate_charset(value, what)


def test_validate_databases_and_users():
    assert admin.validate_databases([
        {'name': 'app', 'character_set': 'LATIN1', 'collate': 'C'},
        {'name': 'b'}]) == [
        {'name': 'app', 'character_set': 'LATIN1', 'collate': 'C'},
        {'name': 'b'}]
    assert admin.validate_users([
        {'name': 'app', 'password': "p'w", 'databases': [{'name': 'app'}]}
    ]) == [{'name': 'app', 'host': '%', 'password': "p'w",
            'databases': ['app']}]
    with pytest.raises(exception.BadValue):
        admin.validate_users([{'name': 'app', 'password': ''}])
    with pytest.raises(exception.BadValue):
        admin.validate_users([{'name': 'app', 'password': 'p',
                               'host': 'localhost'}])
    with pytest.raises(exception.BadValue):
        admin.validate_users([{'name': 'app', 'password': 'p',
                               'databases': [{'name': 'a"'}]}])


class Cursor:
    def __init__(self, rows):
        self.rows = rows
        self.description = [('col',)] if rows is not None else None

    def fetchall(self):
        return self.rows or []

    def fetchone(self):
        return self.rows[0] if self.rows else None


class PGconn:
    @staticmethod
    def encrypt_password(password, user, algorithm):
        assert algorithm == b'scram-sha-256'
        return b'SCRAM-SHA-256$4096:salt$key:' + user


class Info:
    server_version = 150004


class Conn:
    """Records ``(dbname, sql, args)``; ``answers`` maps a fragment of a
    query to the rows it returns (or an exception it raises).
    """

    pgconn = PGconn()
    info = Info()

    def __init__(self, log, answers, dbname):
        self.log = log
        self.answers = answers
        self.dbname = dbname
        self.closed = False

    def execute(self, query, args=None):
        text = query if isinstance(query, str) else query.as_string(None)
        self.log.append((self.dbname, text, args))
        for fragment, rows in self.answers.items():
            if fragment in text:
                if isinstance(rows, Exception):
                    raise rows
                return Cursor(rows)
        return Cursor(None)

    def close(self):
        self.closed = True


class Server:
    def __init__(self, answers=None):
        self.log = []
        self.answers = answers or {}
        self.conns = []

    def connect(self, dbname):
        conn = Conn(self.log, self.answers, dbname)
        self.conns.append(conn)
        return conn

    def statements(self):
        return [(db, text) for db, text, _ in self.log]


def test_secure_revokes_public_connect_on_system_databases():
    server = Server()
    admin.Admin(server.connect).secure()
    assert server.statements() == [
        ('postgres', 'REVOKE CONNECT, TEMPORARY ON DATABASE "postgres" '
                     'FROM PUBLIC'),
        ('postgres', 'REVOKE CONNECT, TEMPORARY ON DATABASE "template1" '
                     'FROM PUBLIC')]


def test_create_database_with_encoding_and_locale():
    server = Server({'FROM pg_database WHERE datname': []})
    sql = admin.Admin(server.connect)
    assert sql.create_database({'name': 'my-db', 'character_set': 'LATIN1',
                                'collate': 'C'}) is True
    assert server.statements()[1:] == [
        ('postgres', 'CREATE DATABASE "my-db" TEMPLATE template0 ENCODING '
                     "'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'"),
        ('postgres', 'REVOKE CONNECT, TEMPORARY ON DATABASE "my-db" FROM '
                     'PUBLIC'),
        ('my-db', 'REVOKE CREATE ON SCHEMA "public" FROM PUBLIC')]
    assert all(conn.closed for conn in server.conns[1:])


def test_create_database_keeps_an_existing_one():
    server = Server({'FROM pg_database WHERE datname': [(1,)]})
    assert admin.Admin(server.connect).create_database({'name': 'app'}) \
        is False
    assert len(server.log) == 1


def test_create_database_refused_by_the_server_is_a_bad_value():
    server = Server({'FROM pg_database WHERE datname': [],
                     'CREATE DATABASE': psycopg.errors.WrongObjectType(
                         'invalid locale name: "xx_YY"')})
    with pytest.raises(exception.BadValue) as caught:
        admin.Admin(server.connect).create_database(
            {'name': 'app', 'collate': 'xx_YY'})
    assert 'xx_YY' in str(caught.value)


def test_create_database_failing_otherwise_is_not_a_bad_value():
    server = Server({'FROM pg_database WHERE datname': [],
                     'CREATE DATABASE': psycopg.errors.DiskFull('full')})
    with pytest.raises(psycopg.errors.DiskFull):
        admin.Admin(server.connect).create_database({'name': 'app'})


def test_drop_database_ends_sessions_and_forces():
    server = Server({'FROM pg_database WHERE datname': [(1,)]})
    admin.Admin(server.connect).drop_database('app')
    assert server.log[1][1].startswith('SELECT pg_terminate_backend')
    assert server.log[1][2] == ('app',)
    assert server.log[2][1] == 'DROP DATABASE IF EXISTS "app" WITH (FORCE)'


def test_drop_missing_database():
    server = Server({'FROM pg_database WHERE datname': []})
    with pytest.raises(exception.DatabaseNotFound):
        admin.Admin(server.connect).drop_database('app')


def test_create_user_sends_a_verifier_never_the_password():
    server = Server({'FROM pg_database WHERE datname': [(1,)],
                     'FROM pg_roles WHERE rolname': [],
                     'FROM pg_namespace': [(1,)]})
    admin.Admin(server.connect).create_user(
        {'name': 'app', 'host': '%', 'password': "s'cret",
         'databases': ['app']})
    statements = server.statements()
    assert ('postgres', 'CREATE ROLE "app" WITH LOGIN PASSWORD '
                        "'SCRAM-SHA-256$4096:salt$key:app'") in statements
    assert ('postgres', 'GRANT ALL PRIVILEGES ON DATABASE "app" TO "app"') \
        in statements
    assert ('app', 'GRANT ALL ON SCHEMA "public" TO "app"') in statements
    assert not any("s'cret" in text or "s''cret" in text
                   for _, text in statements)
    assert not any(args and "s'cret" in args for _, _, args in server.log)


def test_create_user_refuses_an_existing_role_and_missing_databases():
    server = Server({'FROM pg_database WHERE datname': [(1,)],
                     'FROM pg_roles WHERE rolname': [(1,)]})
    user = {'name': 'app', 'host': '%', 'password': 'p', 'databases': []}
    with pytest.raises(exception.UserAlreadyExists):
        admin.Admin(server.connect).create_user(user)
    admin.Admin(server.connect).create_user(user, keep_existing=True)
    assert not any('CREATE ROLE' in text for _, text in server.statements())
    server = Server({'FROM pg_database WHERE datname': []})
    with pytest.raises(exception.DatabaseNotFound):
        admin.Admin(server.connect).create_user(
            dict(user, databases=['nope']))


def test_users_are_login_roles_with_their_connect_grants():
    server = Server({'FROM pg_roles r': [('app', ['app', 'b']),
                                         ('other', [])]})
    users = admin.Admin(server.connect).list_users()
    assert users == [
        {'name': 'app', 'host': '%',
         'databases': [{'name': 'app'}, {'name': 'b'}]},
        {'name': 'other', 'host': '%', 'databases': []}]
    _, text, args = server.log[0]
    assert 'rolcanlogin' in text and 'aclexplode' in text
    assert args[0] == 'CONNECT'
    assert 'pg\\_%' in args and 'postgres' in args[-1]
    # Root is no tenant's user: never listed.
    assert 'root' in args[-1]


def test_get_user_missing():
    server = Server({'FROM pg_roles r': []})
    sql = admin.Admin(server.connect)
    assert sql.get_user('app') is None
    assert server.log[0][2][-1] == 'app'
    with pytest.raises(exception.UserNotFound):
        sql.require_user('app')


def test_rename_user():
    server = Server({'FROM pg_roles WHERE rolname': []})
    admin.Admin(server.connect).rename_user('a', 'b')
    assert server.statements()[-1] == (
        'postgres', 'ALTER ROLE "a" RENAME TO "b"')
    server = Server({'FROM pg_roles WHERE rolname': [(1,)]})
    with pytest.raises(exception.UserAlreadyExists):
        admin.Admin(server.connect).rename_user('a', 'b')


def test_drop_user_reassigns_and_drops_owned_in_every_database():
    server = Server({'SELECT datname FROM pg_database': [('app',),
                                                         ('postgres',)]})
    admin.Admin(server.connect).drop_user('app')
    statements = server.statements()
    owned = 'REASSIGN OWNED BY "app" TO "postgres"; DROP OWNED BY "app"'
    assert ('app', owned) in statements
    assert ('postgres', owned) in statements
    assert statements[-1] == ('postgres', 'DROP ROLE "app"')
    assert statements[0][1].startswith('SELECT pg_terminate_backend')


def test_grant_and_revoke():
    server = Server({'FROM pg_namespace': [(1,)]})
    sql = admin.Admin(server.connect)
    sql.grant('app', 'db')
    sql.revoke('app', 'db')
    statements = server.statements()
    assert statements[:2] == [
        ('postgres', 'GRANT ALL PRIVILEGES ON DATABASE "db" TO "app"'),
        ('db', 'SELECT 1 FROM pg_namespace WHERE nspname = %s')]
    assert ('db', 'GRANT ALL ON SCHEMA "public" TO "app"') in statements
    assert ('postgres', 'REVOKE ALL PRIVILEGES ON DATABASE "db" FROM "app"') \
        in statements
    assert ('db', 'REVOKE ALL ON SCHEMA "public" FROM "app"') in statements
    assert server.log[-1][2] == ['app', 'db']


def test_grant_without_schema_public():
    server = Server({'FROM pg_namespace': []})
    admin.Admin(server.connect).grant('app', 'db')
    assert not any('SCHEMA' in text for _, text in server.statements())


ROOT_OPTIONS = ('SUPERUSER CREATEDB CREATEROLE INHERIT REPLICATION BYPASSRLS '
                'LOGIN')
ROOT_VERIFIER = "'SCRAM-SHA-256$4096:salt$key:root'"


def _never_touches_postgres(server):
    assert not any('ROLE "postgres"' in text
                   for _, text in server.statements())


def test_enable_root_creates_the_role_root():
    server = Server({'FROM pg_roles WHERE rolname': []})
    enabled = admin.Admin(server.connect).enable_root('pw')
    assert enabled == {'name': 'root', 'password': 'pw'}
    assert server.log[0][2] == ('root',)
    assert server.statements()[1:] == [
        ('postgres', 'CREATE ROLE "root" WITH %s PASSWORD %s'
         % (ROOT_OPTIONS, ROOT_VERIFIER))]
    _never_touches_postgres(server)


def test_enable_root_gives_an_existing_root_its_options_back():
    server = Server({'FROM pg_roles WHERE rolname': [(1,)]})
    enabled = admin.Admin(server.connect).enable_root('pw')
    assert enabled == {'name': 'root', 'password': 'pw'}
    assert server.statements()[1:] == [
        ('postgres', 'ALTER ROLE "root" WITH %s PASSWORD %s'
         % (ROOT_OPTIONS, ROOT_VERIFIER))]


def test_enable_root_alters_a_root_created_meanwhile():
    server = Server({'FROM pg_roles WHERE rolname': [],
                     'CREATE ROLE': psycopg.errors.DuplicateObject('exists')})
    admin.Admin(server.connect).enable_root('pw')
    assert [text.split(' WITH')[0] for _, text in server.statements()[1:]] \
        == ['CREATE ROLE "root"', 'ALTER ROLE "root"']


def test_disable_root_keeps_the_role_but_not_its_login():
    server = Server({'FROM pg_roles WHERE rolname': [(1,)]})
    admin.Admin(server.connect).disable_root()
    statements = server.statements()
    assert statements[1] == (
        'postgres', 'ALTER ROLE "root" WITH NOLOGIN NOSUPERUSER NOCREATEDB '
        'NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD NULL')
    # Every session of root ends, after the login is gone.
    assert statements[2][1].startswith('SELECT pg_terminate_backend')
    assert 'client_addr' not in statements[2][1]
    assert server.log[2][2] == ['root']
    assert len(statements) == 3
    assert not any('DROP' in text for _, text in statements)
    _never_touches_postgres(server)


def test_disable_root_without_the_role_does_nothing():
    server = Server({'FROM pg_roles WHERE rolname': []})
    admin.Admin(server.connect).disable_root()
    assert len(server.log) == 1


@pytest.mark.parametrize('rows, enabled', [
    ([(True,)], True), ([(False,)], False), ([(None,)], False), ([], False)])
def test_is_root_enabled(rows, enabled):
    server = Server({'FROM pg_authid': rows})
    assert admin.Admin(server.connect).is_root_enabled() is enabled
    _, text, args = server.log[0]
    for condition in ('rolcanlogin', 'rolsuper', 'rolpassword IS NOT NULL'):
        assert condition in text
    assert args == ('root',)


def test_ping_false_without_server(tmp_path):
    assert admin.ping(str(tmp_path), 5432, timeout=1) is False


def test_real_scram_verifier():
    """libpq computes the verifier without any server."""
    conn = psycopg.pq.PGconn.connect_start(b'host=/nonexistent port=1')
    verifier = conn.encrypt_password(b'secret', b'app', b'scram-sha-256')
    conn.finish()
    assert verifier.startswith(b'SCRAM-SHA-256$')
    assert b'secret' not in verifier


def test_configuration_queries():
    server = Server({'pg_conf_load_time': [(7,)],
                     'pending_restart AND': [('max_connections',)],
                     "context = 'postmaster'": [('shared_buffers',)]})
    sql = admin.Admin(server.connect)
    assert sql.conf_load_time() == 7
    sql.reload()
    assert sql.pending_restart(['work_mem', 'max_connections']) == [
        'max_connections']
    assert sql.restart_parameters(('shared_buffers',)) == ['shared_buffers']
    assert [text for _, text, _ in server.log][1] == \
        'SELECT pg_reload_conf()'
    # Names travel as a parameter, never in the query's text.
    assert server.log[2][2] == (['work_mem', 'max_connections'],)
    assert server.log[3][2] == (['shared_buffers'],)
