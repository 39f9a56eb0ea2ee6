"""Tests for rendering my.cnf."""

import pytest

from trove_lite.guestagent.datastores.mysql import config
from trove_lite.guestagent.datastores.mysql import manager


@pytest.mark.parametrize('memory_mb, expected', [
    (None, 16), (0, 16), (20, 16), (512, 256), (1000, 496), (4096, 2048)])
def test_buffer_pool(memory_mb, expected):
    assert config.buffer_pool_mb(memory_mb) == expected


@pytest.mark.parametrize('memory_mb, expected', [
    (None, 20), (64, 20), (256, 64), (4096, 100)])
def test_max_connections(memory_mb, expected):
    assert config.max_connections(memory_mb) == expected


def test_render_points_everything_into_the_instance():
    paths = manager.Paths('/srv/inst')
    text = config.render(config.settings(paths, '127.77.0.12', 3306,
                                         512, user='mysql'))
    lines = text.splitlines()
    assert lines[1] == '[mysqld]'
    for expected in ['user = mysql', 'datadir = /srv/inst/data',
                     'socket = /srv/inst/run/mysqld.sock',
                     'pid-file = /srv/inst/run/mysqld.pid',
                     'log-error = /srv/inst/log/error.log',
                     'tmpdir = /srv/inst/run/tmp',
                     'secure-file-priv = /srv/inst/run/files',
                     'bind-address = 127.77.0.12', 'port = 3306',
                     'skip-name-resolve', 'innodb_buffer_pool_size = 256M',
                     'innodb_log_file_size = 64M', 'max_connections = 100']:
        assert expected in lines
    client = lines.index('[client]')
    assert lines[client + 1] == 'socket = /srv/inst/run/mysqld.sock'


def test_render_without_user():
    paths = manager.Paths('/srv/inst')
    text = config.render(config.settings(paths, '127.0.0.2', 3307, 64))
    assert 'user =' not in text
    assert 'port = 3307' in text
    assert 'innodb_buffer_pool_size = 32M' in text
    assert 'innodb_log_file_size = 8M' in text


def _settings(overrides=None, memory_mb=512):
    return config.settings(manager.Paths('/srv/inst'), '127.0.0.2', 3306,
                           memory_mb, user='mysql', overrides=overrides,
                           instance_id='inst-1')


def test_layers_defaults_then_flavor_then_overrides_then_fixed():
    base = _settings()[config.SERVER]
    # defaults
    assert base['character-set-server'] == 'utf8mb4'
    # flavor-derived
    assert base['innodb_buffer_pool_size'] == '256M'
    merged = _settings({config.SERVER: {
        'character-set-server': 'latin1',        # over a default
        'innodb_buffer_pool_size': '128M',       # over the flavor's value
        'datadir': '/elsewhere',                 # not over the instance's
        'port': 3307,
        'user': 'root',
        'wait_timeout': 60}})[config.SERVER]     # a new option
    assert merged['character-set-server'] == 'latin1'
    assert merged['innodb_buffer_pool_size'] == '128M'
    assert merged['wait_timeout'] == 60
    assert merged['datadir'] == '/srv/inst/data'
    assert merged['port'] == 3306
    assert merged['user'] == 'mysql'


def test_binlog_is_on_by_default_and_an_override_turns_it_off():
    lines = config.render(_settings()).splitlines()
    assert 'log-bin = /srv/inst/data/mysql-bin' in lines
    assert 'binlog_format = ROW' in lines
    assert 'expire_logs_days = %d' % config.BINLOG_EXPIRE_DAYS in lines
    assert 'server_id = %d' % config.server_id('inst-1') in lines
    assert 'skip-log-bin' not in lines
    off = config.render(_settings({config.SERVER: {
        'log-bin': None, 'skip-log-bin': True}})).splitlines()
    assert 'skip-log-bin' in off
    assert not [line for line in off if line.startswith('log-bin')]


def test_an_override_removes_a_default_flag():
    lines = config.render(_settings({config.SERVER: {
        'skip-name-resolve': None}})).splitlines()
    assert 'skip-name-resolve' not in lines
    assert 'skip-external-locking' in lines


def test_server_id_is_stable_non_zero_and_per_instance():
    assert config.server_id('a') == config.server_id('a')
    assert config.server_id('a') != config.server_id('b')
    assert 1 <= config.server_id('') <= 2 ** 32 - 1


def test_every_instance_can_become_a_replication_source():
    lines = config.render(_settings()).splitlines()
    for expected in ['server_id = %d' % config.server_id('inst-1'),
                     'log-bin = /srv/inst/data/mysql-bin',
                     'log_slave_updates = ON', 'gtid_strict_mode = ON',
                     'binlog_format = ROW',
                     'slave_net_timeout = %d' % config.SLAVE_NET_TIMEOUT,
                     'relay-log = /srv/inst/data/relay-bin']:
        assert expected in lines
    # The role's settings are not in my.cnf.
    assert not [line for line in lines if line.startswith('read_only')]


def test_the_relay_log_stays_in_the_volume():
    merged = _settings({config.SERVER: {'relay-log': '/elsewhere'}})
    assert merged[config.SERVER]['relay-log'] == '/srv/inst/data/relay-bin'


def test_includes_come_last_so_that_they_win():
    paths = manager.Paths('/srv/inst')
    lines = config.render(_settings(),
                          includes=[paths.replication_cnf]).splitlines()
    assert lines[-1] == '!include /srv/inst/replication.cnf'
    assert lines.index('[client]') < len(lines) - 1


@pytest.mark.parametrize('role, semi_sync, timeout, expected', [
    (None, False, None, {}),
    (None, True, 100, {}),
    ('source', False, None, {}),
    ('replica', False, None, {'read_only': 'ON'}),
    ('replica', True, 100, {'read_only': 'ON',
                            'rpl_semi_sync_slave_enabled': 'ON'}),
    ('source', True, None, {'rpl_semi_sync_master_enabled': 'ON',
                            'rpl_semi_sync_master_wait_point': 'AFTER_SYNC'}),
    ('source', True, 2500, {'rpl_semi_sync_master_enabled': 'ON',
                            'rpl_semi_sync_master_wait_point': 'AFTER_SYNC',
                            'rpl_semi_sync_master_timeout': 2500}),
])
def test_what_the_replication_role_adds(role, semi_sync, timeout, expected):
    assert config.replication(role, semi_sync, timeout) == {
        config.SERVER: expected}


def test_the_role_file_has_a_header_of_its_own():
    text = config.render(config.replication('replica'),
                         header=config.REPLICATION_HEADER)
    assert text.splitlines() == [config.REPLICATION_HEADER, '[mysqld]',
                                 'read_only = ON']
