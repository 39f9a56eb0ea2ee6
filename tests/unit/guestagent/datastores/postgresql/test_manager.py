"""Tests for the PostgreSQL manager that need no server."""

import os
import pwd
import subprocess
from unittest import mock

import psycopg
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
    # The replication role's and the guest logs' settings are read last.
    assert lines[-2:] == ["include_if_exists = '%s'" % path for path in (
        mgr.paths.replication_conf, mgr.paths.guest_logs_conf)]


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


# -- configuration groups ----------------------------------------------------

class FakeCheck:
    """``postgres -C`` as ``subprocess.run`` runs it: records the
    candidate file's text; ``refusal`` is what it prints when it refuses.
    """

    def __init__(self):
        self.refusal = None
        self.commands = []
        self.texts = []

    def __call__(self, command, **kwargs):
        self.commands.append(command)
        candidate = command[1].split('=', 1)[1]
        with open(candidate) as handle:
            self.texts.append(handle.read())
        if self.refusal is None:
            return subprocess.CompletedProcess(command, 0, '5432\n', '')
        return subprocess.CompletedProcess(command, 1, '', self.refusal)


@pytest.fixture
def check(mgr, monkeypatch):
    fake = FakeCheck()
    monkeypatch.setattr(manager.subprocess, 'run', fake)
    monkeypatch.setattr(manager, 'find_binary',
                        lambda name: '/usr/lib/postgresql/15/bin/' + name)
    os.makedirs(mgr.paths.instance_dir, exist_ok=True)
    mgr._write_config(512)
    return fake


def _conf(mgr):
    with open(mgr.paths.conf) as handle:
        return handle.read()


def test_apply_configuration_checks_writes_and_reloads(mgr, sql, check):
    sql.conf_load_time.side_effect = [1, 2]
    sql.pending_restart.return_value = ['max_connections']
    result = mgr.apply_configuration(
        {'work_mem': 8192, 'timezone': 'Europe/Paris',
         'max_connections': 50, 'autovacuum': False}, 512)
    assert result == {'pending_restart': ['max_connections']}
    lines = _conf(mgr).splitlines()
    for line in ("work_mem = 8192", "timezone = 'Europe/Paris'",
                 'max_connections = 50', 'autovacuum = off'):
        assert line in lines
    # postgres -C read exactly that file before it was written, and the
    # candidate is gone.
    assert check.texts == [_conf(mgr)]
    command = check.commands[0]
    assert command[0].endswith('/postgres') and command[2:] == ['-C', 'port']
    assert not os.path.exists(command[1].split('=', 1)[1])
    assert mgr.config_overrides() == {
        'work_mem': 8192, 'timezone': 'Europe/Paris',
        'max_connections': 50, 'autovacuum': False}
    sql.reload.assert_called_once_with()
    sql.pending_restart.assert_called_once_with(
        ['autovacuum', 'max_connections', 'timezone', 'work_mem'])


def test_a_dropped_override_leaves_the_file(mgr, sql, check):
    mgr.save_overrides({'statement_timeout': 1000, 'work_mem': 8192})
    mgr._write_config(512)
    sql.conf_load_time.side_effect = [1, 2]
    sql.pending_restart.return_value = []
    assert mgr.apply_configuration({'work_mem': 8192}, 512) == {
        'pending_restart': []}
    assert 'statement_timeout' not in _conf(mgr)
    sql.pending_restart.assert_called_once_with(['statement_timeout'])


def test_a_refused_value_changes_nothing(mgr, sql, check):
    mgr.save_overrides({'work_mem': 4096})
    mgr._write_config(512)
    before = _conf(mgr)
    check.refusal = (
        '2026-01-01 00:00:00 UTC [1] LOG:  skipping missing configuration '
        'file "/x/replication.conf"\n'
        '2026-01-01 00:00:00 UTC [1] LOG:  invalid value for parameter '
        '"work_mem": "lots"\n'
        '2026-01-01 00:00:00 UTC [1] FATAL:  configuration file '
        '"/x/postgresql.candidate" contains errors\n')
    with pytest.raises(exception.GuestError) as caught:
        mgr.apply_configuration({'work_mem': 'lots'}, 512)
    assert str(caught.value).endswith(
        'refused the new configuration of instance inst-1: invalid value '
        'for parameter "work_mem": "lots"')
    assert _conf(mgr) == before
    assert mgr.config_overrides() == {'work_mem': 4096}
    sql.reload.assert_not_called()
    assert not os.path.exists(os.path.join(mgr.paths.instance_dir,
                                           manager.CHECK_CONF))


def test_a_failed_reload_restores_the_previous_configuration(
        mgr, sql, check, monkeypatch):
    before = _conf(mgr)
    sql.conf_load_time.return_value = 1
    sql.reload.side_effect = psycopg.OperationalError('server closed')
    reloads = []
    monkeypatch.setattr(manager.Manager, '_reload_quietly',
                        lambda self: reloads.append(_conf(self)))
    with pytest.raises(exception.GuestError) as caught:
        mgr.apply_configuration({'work_mem': 8192}, 512)
    assert 'server closed' in str(caught.value)
    assert _conf(mgr) == before
    assert reloads == [before]
    assert mgr.config_overrides() == {}


def test_a_reload_not_seen_in_time_reports_restart_parameters(
        mgr, sql, check, monkeypatch):
    monkeypatch.setattr(manager, 'RELOAD_TIMEOUT', 0.05)
    mgr.poll_interval = 0.01
    sql.conf_load_time.return_value = 1
    sql.restart_parameters.return_value = ['shared_buffers']
    assert mgr.apply_configuration(
        {'shared_buffers': '256MB', 'work_mem': 8192}, 512) == {
        'pending_restart': ['shared_buffers']}
    sql.pending_restart.assert_not_called()
    sql.restart_parameters.assert_called_once_with(
        ['shared_buffers', 'work_mem'])


def test_the_same_overrides_need_no_server(mgr, sql, check):
    mgr.save_overrides({'work_mem': 8192})
    assert mgr.apply_configuration({'work_mem': 8192}, 512) == {
        'pending_restart': []}
    manager.admin.Admin.assert_not_called()
    assert check.commands == []


@pytest.mark.parametrize('overrides', [
    {'port': 5433}, {'data_directory': '/'}, {'archive_command': 'sh'},
    {'primary_conninfo': 'host=x'}, {'shared_preload_libraries': 'x'},
    {'Work_Mem': 1}, {'work_mem': 'a\nb'}, {'work_mem': None}])
def test_apply_configuration_validates_before_the_server_is_asked(
        mgr, sql, check, overrides):
    with pytest.raises(exception.BadValue):
        mgr.apply_configuration(overrides, 512)
    manager.admin.Admin.assert_not_called()
    assert mgr.config_overrides() == {}


def test_configuration_defaults(mgr):
    assert mgr.configuration_defaults(512) == \
        manager.config.configuration_defaults(512)
    assert mgr.configuration_defaults(512)['work_mem'] == '2048kB'


def test_refusals_keep_what_postgres_says_is_wrong():
    assert manager._refusals(
        'x LOG:  skipping missing configuration file "a"\n'
        'x LOG:  unrecognized configuration parameter "foo" in file "b" '
        'line 3\n'
        'x FATAL:  configuration file "b" contains errors\n') == (
        'unrecognized configuration parameter "foo" in file "b" line 3')
    assert manager._refusals('something odd\n') == 'something odd'
    assert manager._refusals('') == ''


# -- datastore version upgrades ---------------------------------------------

def _fake_postgres(tmp_path, major):
    directory = tmp_path / ('pg%s' % major)
    directory.mkdir()
    binary = directory / 'postgres'
    binary.write_text('#!/bin/sh\necho "postgres (PostgreSQL) %s.2"\n'
                      % major)
    binary.chmod(0o755)
    return str(directory), str(binary)


def test_an_upgrade_within_the_major_version_is_allowed(mgr, tmp_path):
    os.makedirs(mgr.paths.datadir)
    (tmp_path / 'data' / 'PG_VERSION').write_text('15\n')
    _, binary = _fake_postgres(tmp_path, 15)
    assert mgr._check_upgrade(binary) is None


def test_a_major_upgrade_is_refused_before_the_stop(mgr, tmp_path):
    os.makedirs(mgr.paths.datadir)
    (tmp_path / 'data' / 'PG_VERSION').write_text('15\n')
    directory, _ = _fake_postgres(tmp_path, 16)
    mgr.mark_prepared(1)
    with pytest.raises(exception.GuestError, match='pg_upgrade'):
        mgr.upgrade('16', [directory])
    # Refused before anything stopped: it still runs what it ran.
    assert mgr.running_version() == (None, ())
