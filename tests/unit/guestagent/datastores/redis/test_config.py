"""Tests for rendering redis.conf and users.acl."""

import hashlib

import pytest

from trove_lite.common import exception
from trove_lite.guestagent.datastores.redis import config
from trove_lite.guestagent.datastores.redis import manager


@pytest.mark.parametrize('memory_mb, expected', [
    (None, 16), (0, 16), (-5, 16), (16, 16), (128, 96), (1024, 768)])
def test_maxmemory(memory_mb, expected):
    assert config.maxmemory_mb(memory_mb) == expected


def test_render_points_everything_into_the_instance():
    paths = manager.Paths('/srv/inst')
    text = config.render(config.settings(paths, '127.77.0.12', 6379,
                                         512))
    lines = text.splitlines()
    assert lines[0].startswith('#')
    for expected in ['bind 127.77.0.12', 'port 6379', 'protected-mode yes',
                     'unixsocket /srv/inst/run/redis.sock',
                     'unixsocketperm 700', 'daemonize no',
                     'set-proc-title no',
                     'pidfile /srv/inst/run/redis.pid',
                     'logfile /srv/inst/log/redis.log',
                     'dir /srv/inst/data',
                     'aclfile /srv/inst/data/users.acl',
                     'appendonly yes', 'maxmemory 384mb',
                     'maxmemory-policy noeviction']:
        assert expected in lines
    # Passwords live in the ACL file only.
    assert 'requirepass' not in text
    assert text.endswith('\n')


def test_render_quotes_paths_with_spaces():
    paths = manager.Paths('/srv/my inst')
    text = config.render(config.settings(paths, '127.0.0.2', 6380, 64))
    assert 'dir "/srv/my inst/data"' in text.splitlines()
    assert 'port 6380' in text


def test_acl_line_hashes_the_password():
    line = config.acl_line('default', 'secret', ('~*', '+@all'))
    digest = hashlib.sha256(b'secret').hexdigest()
    assert line == 'user default on #%s ~* +@all' % digest
    assert 'secret' not in line.replace(digest, '')


def test_tenant_rules_keep_the_agent_in_charge():
    rules = config.TENANT_RULES
    for denied in ('-acl', '-config', '-module', '-debug', '-shutdown',
                   '-replicaof', '-slaveof'):
        assert denied in rules
    assert rules.index('+@all') < rules.index('-acl')
    assert '+config|get' in rules


def test_merge_acl_new_file():
    text = config.merge_acl('', 'adminpw', 'rootpw')
    lines = text.splitlines()
    assert lines == [config.acl_line('default', 'rootpw',
                                     config.TENANT_RULES),
                     config.acl_line('os_admin', 'adminpw',
                                     config.ADMIN_RULES)]


def test_merge_acl_keeps_default_and_refreshes_admin():
    existing = ('user default on #abc ~* +@all\n'
                'user os_admin on #old ~* +@all\n'
                'user other off\n')
    text = config.merge_acl(existing, 'adminpw', 'ignored')
    lines = text.splitlines()
    assert 'user default on #abc ~* +@all' in lines
    assert 'user other off' in lines
    assert config.acl_line('os_admin', 'adminpw',
                           config.ADMIN_RULES) in lines
    assert len(lines) == 3
    assert config.password_hash('ignored') not in text


@pytest.mark.parametrize('text, expected', [
    ('Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64',
     (7, 0, 15)),
    ('Redis server v=6.2.6 sha=0', (6, 2, 6)),
    ('Redis server v=8.0 sha=0', (8, 0, 0)),
    ('something else', None), ('', None), (None, None)])
def test_parse_version(text, expected):
    assert config.parse_version(text) == expected


def test_layers_defaults_then_flavor_then_overrides_then_fixed():
    paths = manager.Paths('/srv/inst')
    merged = config.settings(paths, '127.0.0.2', 6379, 512, overrides={
        'appendfsync': 'always',          # over a default
        'maxmemory': '100mb',             # over the flavor's value
        'dir': '/elsewhere',              # not over the instance's
        'daemonize': 'yes',               # nor what the agent relies on
        'timeout': 30})                   # a new directive
    lines = config.render(merged).splitlines()
    for expected in ['appendfsync always', 'maxmemory 100mb',
                     'dir /srv/inst/data', 'daemonize no', 'timeout 30']:
        assert expected in lines
    assert 'maxmemory 384mb' in config.render(
        config.settings(paths, '127.0.0.2', 6379, 512)).splitlines()


def test_render_includes_last_and_splits_tuples():
    text = config.render({'port': 6379, 'replicaof': ('127.0.0.2', 6380)},
                         includes=['/srv/my inst/replication.conf'])
    assert text.splitlines()[1:] == [
        'port 6379', 'replicaof 127.0.0.2 6380',
        'include "/srv/my inst/replication.conf"']


def test_replication_settings_of_each_role():
    source = {'host': '127.77.1.2', 'port': 6379, 'user': 'os_repl',
              'password': 'p"w'}
    assert config.replication(None) == {}
    assert config.replication('source') == {}
    assert config.replication('source', fenced=True) == {
        'min-replicas-to-write': config.FENCE_MIN_REPLICAS}
    replica = config.replication('replica', source, fenced=True)
    assert replica == {'replicaof': ('127.77.1.2', 6379),
                       'masteruser': 'os_repl', 'masterauth': 'p"w',
                       'replica-read-only': 'yes'}
    lines = config.render(replica, header=config.REPLICATION_HEADER)
    assert 'masterauth "p\\"w"' in lines.splitlines()


def test_overrides_are_plain_values_written_as_redis_takes_them():
    assert config.override_directives({
        'appendonly': False, 'lazyfree-lazy-eviction': True, 'hz': 50,
        'save': '900 1 300 10', 'notify-keyspace-events': ''}) == {
        'appendonly': 'no', 'lazyfree-lazy-eviction': 'yes', 'hz': '50',
        'save': '900 1 300 10', 'notify-keyspace-events': ''}
    lines = config.render(config.override_directives({
        'save': '900 1 300 10', 'notify-keyspace-events': ''})).splitlines()
    assert lines[1:] == ['save "900 1 300 10"', 'notify-keyspace-events ""']


@pytest.mark.parametrize('overrides', [
    {'Hz': 1}, {'max memory': 1}, {'hz;x': 1}, {'-hz': 1}, {'': 1},
    {5: 1}, {'hz': None}, {'hz': [1]}, {'save': '1 2\ninclude /x'},
    {'save': '\r'}, {'save': '\0'}, ['hz']])
def test_malformed_overrides_are_refused(overrides):
    with pytest.raises(exception.BadValue):
        config.validate_overrides(overrides)


@pytest.mark.parametrize('name', sorted(config.RESERVED_DIRECTIVES) + [
    'tls-port', 'tls-key-file'])
def test_reserved_directives_are_refused(name):
    with pytest.raises(exception.BadValue) as caught:
        config.validate_overrides({name: 'x'})
    assert 'managed by the guest agent' in str(caught.value)


def test_what_the_agent_writes_itself_is_reserved():
    paths = manager.Paths('/srv/inst')
    assert set(config.fixed(paths, '127.0.0.2', 6379)) == \
        config.FIXED_DIRECTIVES
    source = {'host': 'h', 'port': 1, 'user': 'u', 'password': 'p'}
    assert set(config.replication('replica', source)) | set(
        config.replication('source', fenced=True)) <= \
        config.ROLE_DIRECTIVES


def test_lower_layers_follow_the_flavor():
    assert config.lower_layers(512)['maxmemory'] == '384mb'
    assert config.lower_layers(4096)['maxmemory'] == '3072mb'
    assert config.lower_layers(512)['maxmemory-policy'] == 'noeviction'
    assert not set(config.lower_layers(512)) & config.RESERVED_DIRECTIVES
