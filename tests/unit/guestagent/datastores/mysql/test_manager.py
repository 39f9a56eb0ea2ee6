"""Tests for the MySQL-family manager that need no server."""

import contextlib
import os
import threading

import pytest

from tests.unit.guestagent.datastores.mysql import fake_globals
from trove_lite.common import exception
from trove_lite.guestagent.datastores.mysql import manager
from trove_lite.guestagent import info as guest_info


@pytest.fixture
def mgr(tmp_path):
    info = guest_info.GuestInfo(guest_id='inst-1', datastore_manager='mysql',
                                instance_dir=str(tmp_path),
                                bind_host='127.77.0.1', port=3306)
    return manager.Manager(info)


def test_paths(mgr, tmp_path):
    assert mgr.paths.datadir == str(tmp_path / 'data')
    assert mgr.paths.pid_file == str(tmp_path / 'run' / 'mysqld.pid')


def test_my_cnf_includes_the_replication_role_and_guest_logs_last(
        mgr, tmp_path):
    assert mgr.paths.replication_cnf == str(tmp_path / 'replication.cnf')
    mgr._make_dirs(None)
    mgr._write_config(512)
    with open(mgr.paths.my_cnf) as handle:
        lines = handle.read().splitlines()
    assert lines[-2:] == ['!include %s' % mgr.paths.replication_cnf,
                          '!include %s' % mgr.paths.guest_logs_cnf]


def test_prepare_validates_names_first(mgr, tmp_path):
    with pytest.raises(exception.BadValue):
        mgr.prepare(512, [{'name': 'a`; DROP'}], [])
    assert not os.path.exists(mgr.paths.datadir)


# -- guest API 1.2: a root session per call, changes one at a time ------------

CALLS = [
    ('list_databases', (), False),
    ('create_databases', ([{'name': 'db'}],), True),
    ('delete_database', ('db',), True),
    ('list_users', (), False),
    ('get_user', ('app', '%'), False),
    ('create_users', ([{'name': 'app', 'password': 'p'}],), True),
    ('delete_user', ('app', '%'), True),
    ('update_user', ('app', '%', {'password': 'p'}), True),
    ('change_passwords', ([{'name': 'app', 'host': '%',
                            'password': 'p'}],), True),
    ('list_access', ('app', '%'), False),
    ('grant_access', ('app', '%', ['db']), True),
    ('revoke_access', ('app', '%', 'db'), True),
    ('enable_root', ('pw',), True),
    ('disable_root', (), True),
    ('is_root_enabled', (), False),
]


class RecordingAdmin:
    """Stands for ``admin.Admin``: records calls and whether the manager
    held its change lock during each.
    """

    def __init__(self, mgr):
        self.mgr = mgr
        self.calls = []

    def __getattr__(self, name):
        def _call(*args):
            locked = not self.mgr._sql_lock.acquire(blocking=False)
            if not locked:
                self.mgr._sql_lock.release()
            self.calls.append((name, args, locked))
            return 'result of %s' % name
        return _call


@pytest.mark.parametrize('method, args, changes', CALLS)
def test_api_1_2_delegates_to_admin_over_the_socket(mgr, monkeypatch,
                                                    method, args, changes):
    recorder = RecordingAdmin(mgr)
    sockets = []

    @contextlib.contextmanager
    def session(socket_path):
        sockets.append(socket_path)
        yield recorder

    monkeypatch.setattr(manager.admin, 'session', session)
    result = getattr(mgr, method)(*args)
    assert recorder.calls == [(method, args, changes)]
    assert sockets == [mgr.paths.socket]
    if method.startswith(('list_', 'get_', 'is_', 'enable_')):
        assert result == 'result of %s' % method
    else:
        assert result is None
    assert mgr._sql_lock.acquire(blocking=False)
    mgr._sql_lock.release()


def test_api_1_2_releases_the_lock_on_errors(mgr, monkeypatch):
    @contextlib.contextmanager
    def session(socket_path):
        raise exception.GuestError(message='down')
        yield

    monkeypatch.setattr(manager.admin, 'session', session)
    with pytest.raises(exception.GuestError):
        mgr.create_databases([{'name': 'db'}])
    assert mgr._sql_lock.acquire(blocking=False)
    mgr._sql_lock.release()


def test_api_1_2_without_a_server_is_a_clear_guest_error(mgr):
    with pytest.raises(exception.GuestError) as caught:
        mgr.list_users()
    assert 'does not accept connections' in str(caught.value)
    assert mgr.paths.socket not in str(caught.value)


# -- guest API 1.5: configuration groups ---------------------------------------

MB = 1024 ** 2


@pytest.fixture
def live(mgr, monkeypatch):
    """``mgr`` with a my.cnf and a "running" server whose globals a
    ``fake_globals.Globals`` keeps.
    """
    mgr._make_dirs(None)
    mgr._write_config(512)
    server = fake_globals.Globals(
        {'wait_timeout': 28800, 'max_connections': 100,
         'sql_mode': 'STRICT_TRANS_TABLES', 'character_set_server': 'utf8mb4',
         'aria_pagecache_buffer_size': 128 * MB,
         'innodb_buffer_pool_size': 256 * MB},
        defaults={'wait_timeout': 28800, 'max_connections': 151},
        read_only=['aria_pagecache_buffer_size'],
        checks={'max_connections': lambda value: isinstance(value, int)})
    monkeypatch.setattr(mgr, '_live_pid', lambda: 4242)
    monkeypatch.setattr(mgr, '_connect', lambda: server)
    return server


def _my_cnf(mgr):
    with open(mgr.paths.my_cnf) as handle:
        return handle.read()


def test_configuration_defaults_follow_the_flavor(mgr):
    small = mgr.configuration_defaults(512)
    big = mgr.configuration_defaults(2048)
    assert small['innodb_buffer_pool_size'] == 256 * MB
    assert big['innodb_buffer_pool_size'] == 1024 * MB
    assert small['character_set_server'] == big['character_set_server']
    assert 'port' not in small and 'datadir' not in small


def test_apply_saves_writes_and_sets_what_changed(mgr, live):
    assert mgr.apply_configuration(
        {'wait_timeout': 240, 'max_connections': 200}, 512) == {
            'pending_restart': []}
    assert mgr.config_overrides() == {'wait_timeout': 240,
                                      'max_connections': 200}
    lines = _my_cnf(mgr).splitlines()
    assert 'wait_timeout = 240' in lines
    assert 'max_connections = 200' in lines
    assert 'max_connections = 100' not in lines
    assert live.sets() == [('max_connections', 200), ('wait_timeout', 240)]
    assert live.closed

    # max_connections no longer overridden: the flavor's value again;
    # wait_timeout did not change, so it is not set again.
    del live.log[:]
    mgr.apply_configuration({'wait_timeout': 240}, 512)
    assert live.sets() == [('max_connections', 100)]
    assert 'max_connections = 100' in _my_cnf(mgr).splitlines()

    # Detached: a parameter no layer sets goes back to the server's
    # default.
    del live.log[:]
    mgr.apply_configuration({}, 512)
    assert live.sets() == [('wait_timeout', 'DEFAULT')]
    assert live.values['wait_timeout'] == 28800
    assert mgr.config_overrides() == {}
    assert 'wait_timeout' not in _my_cnf(mgr)


def test_a_size_of_the_layers_below_is_set_in_bytes(mgr, live):
    mgr.apply_configuration({'innodb_buffer_pool_size': 128 * MB}, 512)
    mgr.apply_configuration({}, 512)
    assert live.sets()[-1] == ('innodb_buffer_pool_size', 256 * MB)


def test_a_read_only_parameter_waits_for_a_restart(mgr, live):
    result = mgr.apply_configuration(
        {'aria_pagecache_buffer_size': 64 * MB, 'wait_timeout': 60}, 512)
    assert result == {'pending_restart': ['aria_pagecache_buffer_size']}
    assert 'aria_pagecache_buffer_size = %d' % (64 * MB) in \
        _my_cnf(mgr).splitlines()
    assert live.values['wait_timeout'] == 60


def test_a_refused_value_changes_nothing(mgr, live):
    mgr.apply_configuration({'wait_timeout': 240}, 512)
    before = _my_cnf(mgr)
    with pytest.raises(exception.GuestError) as caught:
        mgr.apply_configuration({'sql_mode': 'ANSI',
                                 'max_connections': 'lots'}, 512)
    assert "Incorrect argument type to variable 'max_connections'" in \
        str(caught.value)
    assert mgr.config_overrides() == {'wait_timeout': 240}
    assert _my_cnf(mgr) == before
    assert live.values['wait_timeout'] == 240
    assert live.values['sql_mode'] == 'STRICT_TRANS_TABLES'
    assert live.values['max_connections'] == 100


def test_a_server_that_cannot_be_reached_changes_nothing(
        mgr, live, monkeypatch):
    before = _my_cnf(mgr)

    def unreachable():
        raise exception.GuestError(message='cannot connect')

    monkeypatch.setattr(mgr, '_connect', unreachable)
    with pytest.raises(exception.GuestError):
        mgr.apply_configuration({'wait_timeout': 240}, 512)
    assert mgr.config_overrides() == {}
    assert _my_cnf(mgr) == before


def test_a_stopped_server_takes_everything_at_its_next_start(
        mgr, live, monkeypatch):
    monkeypatch.setattr(mgr, '_live_pid', lambda: None)
    assert mgr.apply_configuration({'wait_timeout': 240}, 512) == {
        'pending_restart': ['wait_timeout']}
    assert live.log == []
    assert 'wait_timeout = 240' in _my_cnf(mgr).splitlines()


def test_nothing_changed_sets_nothing(mgr, live):
    mgr.apply_configuration({'wait_timeout': 240}, 512)
    del live.log[:]
    assert mgr.apply_configuration({'wait_timeout': 240}, 512) == {
        'pending_restart': []}
    assert live.log == []


@pytest.mark.parametrize('overrides', [
    {'wait-timeout': 1}, {'a`b': 1}, {'x; DROP': 1},
    {'datadir': '/tmp'}, {'port': 3307}, {'bind_address': '0.0.0.0'},
    {'user': 'root'}, {'socket': '/tmp/s'},
    {'sql_mode': 'A#B'}, {'sql_mode': 'two\nlines'}, {'wait_timeout': None},
    {'wait_timeout': [1]}, ['wait_timeout']])
def test_bad_overrides_are_refused_before_anything(mgr, live, overrides):
    before = _my_cnf(mgr)
    with pytest.raises(exception.BadValue):
        mgr.apply_configuration(overrides, 512)
    assert live.log == []
    assert _my_cnf(mgr) == before
    assert not os.path.exists(mgr.path('overrides.json'))


def test_apply_holds_the_lifecycle_lock(mgr, live):
    held = []

    def look(sql):
        seen = []
        thread = threading.Thread(
            target=lambda: seen.append(mgr._lock.acquire(blocking=False)))
        thread.start()
        thread.join()
        if seen[0]:
            mgr._lock.release()
        held.append(not seen[0])

    live.on_execute = look
    mgr.apply_configuration({'wait_timeout': 240}, 512)
    assert held and all(held)


def test_prepare_overrides_are_rendered_into_my_cnf(mgr):
    mgr._make_dirs(None)
    mgr.save_overrides({'wait_timeout': 240, 'slow_query_log': True,
                        'character_set_server': 'latin1'})
    mgr._write_config(512)
    lines = _my_cnf(mgr).splitlines()
    assert 'wait_timeout = 240' in lines
    assert 'slow_query_log = ON' in lines
    assert 'character_set_server = latin1' in lines
    assert 'character_set_server = utf8mb4' not in lines


# -- datastore version upgrades ---------------------------------------------

def _tool(directory, script):
    directory.mkdir(exist_ok=True)
    tool = directory / 'mariadb-upgrade'
    tool.write_text('#!/bin/sh\n' + script)
    tool.chmod(0o755)
    return str(directory)


def test_the_upgrade_step_is_mariadb_upgrade_of_the_new_version(
        mgr, tmp_path):
    os.makedirs(mgr.paths.logdir)
    new_dir = _tool(tmp_path / 'v11', 'echo "$@"\n')
    mgr.record_version('11.4', [new_dir])
    mgr._upgrade_data('/ignored/mariadbd')
    with open(os.path.join(mgr.paths.logdir, 'upgrade.log')) as log:
        assert log.read().split() == [
            '--socket=%s' % mgr.paths.socket, '--user=root', '--force']


def test_a_failed_upgrade_step_says_why(mgr, tmp_path):
    os.makedirs(mgr.paths.logdir)
    new_dir = _tool(tmp_path / 'v11', 'echo "Table mysql.user broken"\n'
                                      'exit 2\n')
    mgr.record_version('11.4', [new_dir])
    with pytest.raises(exception.GuestError,
                       match='mariadb-upgrade failed') as caught:
        mgr._upgrade_data('/ignored/mariadbd')
    assert 'Table mysql.user broken' in str(caught.value)
