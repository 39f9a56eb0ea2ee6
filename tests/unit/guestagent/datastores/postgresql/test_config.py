"""Tests for rendering postgresql.conf, pg_hba.conf and pg_ident.conf."""

import json

import pytest

from trove_lite.common import exception
from trove_lite.guestagent.datastores.postgresql import config
from trove_lite.guestagent.datastores.postgresql import manager


@pytest.mark.parametrize('memory_mb, expected', [
    (None, 16), (0, 16), (32, 16), (512, 128), (4096, 1024)])
def test_shared_buffers(memory_mb, expected):
    assert config.shared_buffers_mb(memory_mb) == expected


@pytest.mark.parametrize('memory_mb, expected', [
    (None, 20), (64, 20), (512, 64), (4096, 100)])
def test_max_connections(memory_mb, expected):
    assert config.max_connections(memory_mb) == expected


@pytest.mark.parametrize('memory_mb, connections, expected', [
    (None, 20, 1024), (64, 20, 1024), (512, 64, 2048),
    (65536, 100, 64 * 1024)])
def test_work_mem(memory_mb, connections, expected):
    assert config.work_mem_kb(memory_mb, connections) == expected


def test_render_points_everything_into_the_instance():
    paths = manager.Paths('/srv/inst')
    text = config.render(config.settings(paths, '127.77.0.12', 5432,
                                         512))
    lines = text.splitlines()
    for expected in [
            "data_directory = '/srv/inst/data'",
            "hba_file = '/srv/inst/pg_hba.conf'",
            "ident_file = '/srv/inst/pg_ident.conf'",
            "external_pid_file = '/srv/inst/run/postgres.pid'",
            "listen_addresses = '127.77.0.12'", 'port = 5432',
            "unix_socket_directories = '/srv/inst/run'",
            'unix_socket_permissions = 0700',
            "password_encryption = 'scram-sha-256'",
            "shared_buffers = '128MB'", "effective_cache_size = '384MB'",
            "maintenance_work_mem = '32MB'", "work_mem = '2048kB'",
            'max_connections = 64', 'logging_collector = off']:
        assert expected in lines


def test_render_quotes_values():
    paths = manager.Paths("/srv/it's")
    text = config.render(config.settings(paths, '127.0.0.2', 5433, 64))
    assert "data_directory = '/srv/it''s/data'" in text
    assert 'port = 5433' in text
    assert "effective_cache_size = '64MB'" in text


def test_hba_is_scram_over_tcp_and_peer_superuser_on_the_socket():
    # The superuser's replication connections (pg_basebackup) too; over
    # TCP, only the replication account's.
    rules = [line.split() for line in config.render_hba().splitlines()
             if line and not line.startswith('#')]
    assert rules == [
        ['local', 'all', 'postgres', 'peer', 'map=agent'],
        ['local', 'replication', 'postgres', 'peer', 'map=agent'],
        ['host', 'all', 'all', 'all', 'scram-sha-256'],
        ['host', 'replication', 'os_repl', 'all', 'scram-sha-256']]


def test_every_instance_can_be_rewound():
    assert config.defaults()['wal_log_hints'] == 'on'


def test_render_includes_last_and_parse_reads_back():
    text = config.render({'port': 5432, 'timezone': "'UTC'"},
                         includes=["/srv/it's/replication.conf"])
    assert text.splitlines()[-1] == \
        "include_if_exists = '/srv/it''s/replication.conf'"
    assert config.parse(text) == {'port': '5432', 'timezone': "'UTC'"}
    assert config.parse(config.render(
        {}, header=config.REPLICATION_HEADER)) == {}


def test_a_standby_role_follows_its_source_through_its_slot():
    settings = config.replication(
        primary_conninfo="host=h user=os_repl passfile='/x y'",
        slot='trove_r1', minimums={'max_wal_senders': 12,
                                   'max_connections': 64})
    assert settings == {
        'hot_standby': 'on',
        'primary_conninfo': "'host=h user=os_repl passfile=''/x y'''",
        'primary_slot_name': "'trove_r1'",
        'recovery_target_timeline': "'latest'",
        'wal_retrieve_retry_interval': "'1s'",
        'max_connections': 64, 'max_wal_senders': 12}
    # A fenced source: a standby that follows nobody.
    fenced = config.replication()
    assert (fenced['primary_conninfo'], fenced['primary_slot_name']) == (
        "''", "''")


def test_ident_maps_the_agent_and_server_users_to_the_superuser():
    rules = [line.split() for line in
             config.render_ident(['root', 'postgres', 'root']).splitlines()
             if line and not line.startswith('#')]
    assert rules == [['agent', 'postgres', 'postgres'],
                     ['agent', 'root', 'postgres']]


def test_layers_defaults_then_flavor_then_overrides_then_fixed():
    paths = manager.Paths('/srv/inst')
    plain = config.settings(paths, '127.0.0.2', 5432, 512)
    assert plain['work_mem'] == "'2048kB'"
    merged = config.settings(paths, '127.0.0.2', 5432, 512, overrides={
        'timezone': 'Europe/Paris',         # over a default
        'work_mem': '8MB',                  # over the flavor's value
        'data_directory': '/elsewhere',     # not over the instance's
        'statement_timeout': 1000})         # a new parameter
    assert merged['timezone'] == "'Europe/Paris'"
    assert merged['work_mem'] == "'8MB'"
    assert merged['statement_timeout'] == 1000
    assert merged['data_directory'] == "'/srv/inst/data'"
    assert 'statement_timeout = 1000' in config.render(merged).splitlines()


def test_overrides_are_plain_values_written_as_postgresql_takes_them():
    assert config.override_settings({
        'timezone': "Europe/Paris", 'search_path': "a, 'b'",
        'autovacuum': False, 'jit': True, 'work_mem': 8192,
        'random_page_cost': 1.5}) == {
        'timezone': "'Europe/Paris'", 'search_path': "'a, ''b'''",
        'autovacuum': 'off', 'jit': 'on', 'work_mem': 8192,
        'random_page_cost': 1.5}
    assert config.override_settings(None) == {}


@pytest.mark.parametrize('overrides', [
    {'Work_Mem': 1}, {'work mem': 1}, {'work_mem;x': 1}, {'a.b.c': 1},
    {'': 1}, {5: 1}, {'work_mem': None}, {'work_mem': [1]},
    {'work_mem': {'a': 1}}, {'timezone': 'UTC\ninclude = x'},
    {'timezone': 'UTC\r'}, {'timezone': 'U\0'}, ['work_mem']])
def test_malformed_overrides_are_refused(overrides):
    with pytest.raises(exception.BadValue):
        config.validate_overrides(overrides)


@pytest.mark.parametrize('name', sorted(config.RESERVED_PARAMETERS))
def test_reserved_parameters_are_refused(name):
    with pytest.raises(exception.BadValue) as caught:
        config.validate_overrides({name: 'x'})
    assert 'managed by the guest agent' in str(caught.value)


def test_what_the_agent_writes_itself_is_reserved():
    paths = manager.Paths('/srv/inst')
    assert set(config.fixed(paths, '127.0.0.2', 5432)) == \
        config.FIXED_PARAMETERS
    role = config.replication('host=x', 'slot', {'max_connections': 50})
    assert set(role) - {'max_connections'} <= config.ROLE_PARAMETERS


def test_good_overrides_are_kept():
    overrides = {'work_mem': 8192, 'auto_explain.log_min_duration': 10,
                 'timezone': "it's fine", 'autovacuum': True}
    assert config.validate_overrides(overrides) == overrides


def test_configuration_defaults_are_plain_and_follow_the_flavor():
    small = config.configuration_defaults(512)
    large = config.configuration_defaults(8192)
    assert small['shared_buffers'] == '128MB'
    assert large['shared_buffers'] == '2048MB'
    assert small['timezone'] == 'UTC'
    assert small['max_connections'] == 64
    assert not set(small) & config.FIXED_PARAMETERS
    assert json.loads(json.dumps(small)) == small


@pytest.mark.parametrize('value, plain', [
    ("'UTC'", 'UTC'), ("'it''s'", "it's"), ('on', 'on'), (5, 5),
    ("'", "'")])
def test_unquote(value, plain):
    assert config.unquote(value) == plain
    if isinstance(plain, str) and plain != "'" and value.startswith("'"):
        assert config.quote(plain) == value
