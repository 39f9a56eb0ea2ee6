"""Tests for rendering my.cnf."""

import pytest

from trove_lite.common import exception
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
    assert base['character_set_server'] == 'utf8mb4'
    # flavor-derived
    assert base['innodb_buffer_pool_size'] == '256M'
    merged = _settings({config.SERVER: {
        'character_set_server': 'latin1',        # over a default
        'innodb_buffer_pool_size': '128M',       # over the flavor's value
        'datadir': '/elsewhere',                 # not over the instance's
        'port': 3307,
        'user': 'root',
        'wait_timeout': 60}})[config.SERVER]     # a new option
    assert merged['character_set_server'] == 'latin1'
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


# -- configuration groups ------------------------------------------------------

def test_an_override_takes_the_spelling_of_the_option_it_replaces():
    merged = _settings({config.SERVER: {
        'character-set-server': 'latin1',    # the default's is underscores
        'skip_name_resolve': None,           # the default's is dashes
        'pid_file': '/elsewhere',            # the instance's own
        'wait-timeout': 60}})[config.SERVER]  # no option below: as given
    assert merged['character_set_server'] == 'latin1'
    assert 'character-set-server' not in merged
    assert 'skip-name-resolve' not in merged and \
        'skip_name_resolve' not in merged
    assert merged['pid-file'] == '/srv/inst/run/mysqld.pid'
    assert 'pid_file' not in merged
    assert merged['wait-timeout'] == 60


def test_server_overrides_go_to_mysqld():
    assert config.server_overrides({
        'wait_timeout': 240, 'long_query_time': 2.5, 'sql_mode': 'ANSI',
        'slow_query_log': True, 'performance_schema': False,
        'client': {'default-character-set': 'utf8mb4'}}) == {
            config.SERVER: {'wait_timeout': 240, 'long_query_time': 2.5,
                            'sql_mode': 'ANSI', 'slow_query_log': 'ON',
                            'performance_schema': 'OFF'},
            config.CLIENT: {'default-character-set': 'utf8mb4'}}
    assert config.server_overrides({}) == {config.SERVER: {}}
    assert config.server_overrides(None) == {config.SERVER: {}}


def test_boolean_overrides_are_written_on_and_off():
    lines = config.render(_settings(config.server_overrides(
        {'slow_query_log': False, 'local_infile': True}))).splitlines()
    assert 'slow_query_log = OFF' in lines
    assert 'local_infile = ON' in lines


@pytest.mark.parametrize('value', [
    'a#b', "it's", 'x"y', 'back\\slash', 'two\nlines', ' padded', 'tab\t',
    float('nan'), float('inf'), [1], None])
def test_values_an_option_file_would_misread_are_refused(value):
    with pytest.raises(exception.BadValue):
        config.check_value('sql_mode', value)


@pytest.mark.parametrize('value, expected', [
    ('256M', 256 * 1024 ** 2), ('8K', 8192), ('1G', 1024 ** 3),
    ('2T', 2 * 1024 ** 4), (12, 12), ('ON', 'ON'), ('utf8mb4', 'utf8mb4'),
    ('12m', '12m'), (2.5, 2.5)])
def test_number(value, expected):
    assert config.number(value) == expected


def test_parameters_are_the_defaults_and_the_flavor_as_variables():
    paths = manager.Paths('/srv/inst')
    small = config.parameters(paths, 512, 'inst-1')
    big = config.parameters(paths, 2048, 'inst-1')
    assert small['innodb_buffer_pool_size'] == 256 * 1024 ** 2
    assert big['innodb_buffer_pool_size'] == 1024 * 1024 ** 2
    assert small['innodb_log_file_size'] == 64 * 1024 ** 2
    assert small['max_connections'] == config.max_connections(512)
    assert small['character_set_server'] == 'utf8mb4'
    assert small['max_binlog_size'] == 100 * 1024 ** 2
    assert small['skip_name_resolve'] is True
    assert small['server_id'] == config.server_id('inst-1')
    # Variables' names, no paths, nothing of the fixed layer.
    assert not [name for name in small if '-' in name]
    assert 'log_bin' not in small
    for name in ('datadir', 'socket', 'port', 'user', 'bind_address',
                 'pid_file'):
        assert name not in small


def test_instance_options():
    own = config.instance_options(manager.Paths('/srv/inst'))
    assert {'datadir', 'port', 'user', 'bind_address', 'pid_file',
            'secure_file_priv', 'socket', 'relay_log'} <= own
    assert 'max_connections' not in own
