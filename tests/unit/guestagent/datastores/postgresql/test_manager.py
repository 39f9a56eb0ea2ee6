"""Tests for the PostgreSQL manager that need no server."""

import os
import pwd
from unittest import mock

import pytest

from trove_lite.common import exception
from trove_lite.guestagent import datastores
from trove_lite.guestagent.datastores.postgresql import admin
from trove_lite.guestagent.datastores.postgresql import manager
from trove_lite.guestagent import info as guest_info


@pytest.fixture
def mgr(tmp_path):
    info = guest_info.GuestInfo(guest_id='inst-1',
                                datastore_manager='postgresql',
                                instance_dir=str(tmp_path),
                                bind_host='127.77.0.1', port=5432)
    return manager.Manager(info)


def test_entry_point(tmp_path):
    info = guest_info.GuestInfo(guest_id='a', datastore_manager='postgresql',
                                instance_dir=str(tmp_path))
    loaded = datastores.load_manager(info)
    assert isinstance(loaded, manager.Manager)
    assert loaded.port == 5432


def test_needs_an_instance_dir():
    info = guest_info.GuestInfo(guest_id='a', datastore_manager='postgresql')
    with pytest.raises(exception.GuestError):
        manager.Manager(info)


def test_paths(mgr, tmp_path):
    assert mgr.paths.datadir == str(tmp_path / 'data')
    assert mgr.paths.pid_file == str(tmp_path / 'run' / 'postgres.pid')
    assert mgr.paths.socket == str(tmp_path / 'run' / '.s.PGSQL.5432')
    assert manager.Paths('/x', 5433).socket == '/x/run/.s.PGSQL.5433'
    # The replication role's files.
    assert mgr.paths.replication_conf == str(tmp_path / 'replication.conf')
    assert mgr.paths.passfile == str(tmp_path / 'run' /
                                     'replication.pgpass')
    assert mgr.paths.standby_signal == str(tmp_path / 'data' /
                                           'standby.signal')


@pytest.mark.parametrize('databases, users, root', [
    ([{'name': 'a"; DROP'}], [], None),
    ([{'name': 'app', 'collate': "C' x"}], [], None),
    ([], [{'name': 'pg_x', 'password': 'p'}], None),
    ([], [{'name': 'app', 'password': 'p', 'host': '10.0.0.1'}], None),
    ([], [], '')])
def test_prepare_validates_first(mgr, databases, users, root):
    with pytest.raises(exception.BadValue):
        mgr.prepare(512, databases, users, root_password=root)
    assert not os.path.exists(mgr.paths.datadir)


def test_prepare_refuses_a_socket_path_too_long(tmp_path):
    info = guest_info.GuestInfo(guest_id='inst-3',
                                datastore_manager='postgresql',
                                instance_dir=str(tmp_path / ('x' * 120)))
    with pytest.raises(exception.GuestError) as caught:
        manager.Manager(info).prepare(512, [], [])
    assert 'shorter directory' in str(caught.value)


def test_admin_without_server_is_a_guest_error_with_the_log(mgr):
    os.makedirs(mgr.paths.logdir)
    with open(mgr.paths.log, 'w') as handle:
        handle.write('FATAL:  could not bind\n')
    with pytest.raises(exception.GuestError) as caught:
        mgr.list_databases()
    assert 'cannot connect' in str(caught.value)
    assert 'could not bind' in str(caught.value)


@pytest.mark.parametrize('call', [
    lambda m: m.get_user('app', 'localhost'),
    lambda m: m.get_user('postgres', '%'),
    lambda m: m.get_user('root', '%'),
    lambda m: m.create_users([{'name': 'root', 'password': 'p'}]),
    lambda m: m.delete_user('root', '%'),
    lambda m: m.update_user('root', '%', {'password': 'p'}),
    lambda m: m.update_user('app', '%', {'name': 'root'}),
    lambda m: m.change_passwords([{'name': 'root', 'host': '%',
                                   'password': 'p'}]),
    lambda m: m.grant_access('root', '%', ['app']),
    lambda m: m.delete_user('pg_monitor', '%'),
    lambda m: m.update_user('app', '%', {'host': '10.0.0.1'}),
    lambda m: m.update_user('app', '%', {'name': 'postgres'}),
    lambda m: m.update_user('app', '%', {'password': ''}),
    lambda m: m.change_passwords([{'name': 'app', 'host': '%',
                                   'password': ''}]),
    lambda m: m.grant_access('app', '%', ['template1']),
    lambda m: m.revoke_access('app', '%', 'a"b'),
    lambda m: m.delete_database('postgres'),
    lambda m: m.create_databases([{'name': 'x', 'character_set': 'UTF-8'}]),
    lambda m: m.create_users([{'name': 'app'}]),
    lambda m: m.enable_root(''),
])
def test_requests_are_validated_before_the_server_is_asked(mgr, call):
    # No server runs: a BadValue proves nothing was sent.
    with pytest.raises(exception.BadValue):
        call(mgr)


def test_write_config_maps_agent_and_server_users(mgr):
    os.makedirs(mgr.paths.instance_dir, exist_ok=True)
    server = pwd.struct_passwd(('postgres', 'x', 101, 104, '', '/',
                                '/bin/false'))
    mgr._write_config(512, server)
    with open(mgr.paths.ident_file) as handle:
        ident = handle.read()
    me = pwd.getpwuid(os.geteuid()).pw_name
    assert 'agent  %s  postgres' % me in ident
    assert 'agent  postgres  postgres' in ident
    with open(mgr.paths.conf) as handle:
        lines = handle.read().splitlines()
    assert "listen_addresses = '127.77.0.1'" in lines
    # The replication role's settings are read last.
    assert lines[-1] == "include_if_exists = '%s'" % (
        mgr.paths.replication_conf)


def test_server_env_drops_libpq_variables(monkeypatch):
    monkeypatch.setenv('PGDATA', '/elsewhere')
    monkeypatch.setenv('PGHOST', 'db.example.com')
    env = manager._server_env()
    assert 'PGDATA' not in env and 'PGHOST' not in env
    assert env['LC_ALL'] == 'C'


def test_find_binary_looks_in_debian_version_dirs():
    found = manager.find_binary('postgres')
    assert found is None or os.path.basename(found) == 'postgres'


@pytest.fixture
def sql(monkeypatch):
    """The ``admin.Admin`` the manager opens, as an autospec."""
    admin_class = mock.create_autospec(admin.Admin)
    monkeypatch.setattr(manager.admin, 'Admin', admin_class)
    return admin_class.return_value


def test_enable_root_answers_what_admin_enabled(mgr, sql):
    sql.enable_root.return_value = {'name': 'root', 'password': 'pw'}
    assert mgr.enable_root('pw') == {'name': 'root', 'password': 'pw'}
    sql.enable_root.assert_called_once_with('pw')
    sql.close.assert_called_once_with()


def test_prepare_root_password_enables_root_not_postgres(mgr, sql):
    mgr._create_tenant_objects([], [], 'pw')
    sql.enable_root.assert_called_once_with('pw')
    sql.set_password.assert_not_called()
