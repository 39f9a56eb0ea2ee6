"""Tests for name validation and the SQL the agent sends."""

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


@pytest.mark.parametrize('name', ["a'b", 'a`b', 'a b', '', 'root', 'x' * 81])
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
