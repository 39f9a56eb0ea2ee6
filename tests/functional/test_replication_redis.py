"""Redis replication (``redis_replicaof``) on real servers.

One replication group per module, driven through the redis manager and
its replication strategy as the agent drives them: a source prepared
with the tenant's password and keys, and two replicas (``first`` and
``second``) prepared from its ``source_info`` (Redis copies the data
itself). The tenant's side is the real ``redis-cli`` over TCP, with the
tenant's password.

The tests tell one story in file order: keys flow and replicas refuse
the tenant's writes; ``state`` orders positions; a replica restarted (or
killed and started again) comes back read-only and replicating; a fenced
source refuses writes, a restart included; a replica is promoted, the
other replica and the old source follow it and keys flow the other way;
a detached replica is a writable standalone.
"""

import collections
import os
import signal
import subprocess
import time
import uuid

import pytest

from tests.functional import fixtures
from tests.functional import guests
from tests.functional import strategy_runs
from trove_lite.guestagent.datastores.redis import admin
from trove_lite.guestagent.datastores.redis import manager as redis_manager
from trove_lite.guestagent import info as guest_info
from trove_lite.guestagent.strategies.replication import base
from trove_lite.guestagent.strategies.replication import redis_replicaof

REDIS = 'redis-server .*%s'
PORT = 6379
PASSWORD = 'tenant-pw'
KEYS = 50
# Seconds a replica may take to catch up; a full synchronisation waits
# for repl-diskless-sync-delay (5 s) first.
CATCH_UP = 40

Group = collections.namedtuple('Group', 'source first second source_info')


def _manager(instance_dir):
    info = guest_info.GuestInfo(
        guest_id=str(uuid.uuid4()), datastore_manager='redis',
        datastore_version='7.0', instance_dir=instance_dir,
        bind_host=fixtures.free_loopback_address(PORT), port=PORT)
    return redis_manager.Manager(info)


def _tenant(manager, *args, password=PASSWORD):
    """``redis-cli`` as the tenant over TCP: its output, stripped (errors
    included).
    """
    result = subprocess.run(
        ['redis-cli', '--no-auth-warning', '-h', manager.info.bind_host,
         '-p', str(PORT), '-a', password] + list(args),
        capture_output=True, text=True, timeout=30,
        stdin=subprocess.DEVNULL)
    return (result.stdout + result.stderr).strip()


def _agent(manager, *args):
    """A command as the agent (os_admin, on the socket)."""
    with manager._admin() as conn:
        return conn.command(*args)


def _info(manager):
    with manager._admin() as conn:
        return admin.info(conn, 'replication')


def _write(manager, first, count, prefix='k'):
    args = []
    for n in range(first, first + count):
        args += ['%s:%d' % (prefix, n), 'value %d' % n]
    assert _agent(manager, 'MSET', *args) == 'OK'


def _contents(manager):
    """Every key and its value."""
    keys = sorted(_agent(manager, 'KEYS', '*'))
    values = _agent(manager, 'MGET', *keys) if keys else []
    return dict(zip(keys, values))


def _wait_for(check, what, timeout=CATCH_UP):
    """Poll ``check`` until it is true."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError('%s never happened' % what)
        time.sleep(0.1)


def _caught_up(replica, source):
    """Wait until ``replica``'s stream is up and it processed everything
    ``source`` sent (as the control plane's promote waits).
    """
    def check():
        state = replica.replication().state()
        return state['running'] and state['position'] >= \
            source.replication().state()['position']
    _wait_for(check, '%s catching up' % replica.info.guest_id)


@pytest.fixture(scope='module')
def group():
    guests.require('redis-server', redis_manager.SERVER_BINARIES,
                   'redis-cli')
    dirs = strategy_runs.instance_dirs('trove-lite-repl-redis-', REDIS,
                                       count=3)
    paths = next(dirs)
    managers = [_manager(path) for path in paths]
    try:
        source, first, second = managers
        source.prepare(64, [], [], root_password=PASSWORD, volume_size=1)
        _write(source, 0, KEYS)
        strategy = source.replication()
        source_info = strategy.enable_as_source()
        assert strategy.snapshot(source_info, None) == {'backup': None}
        for replica in (first, second):
            replica.prepare(64, [], [], volume_size=1, replica_info={
                'source': source_info, 'snapshot': {'backup': None}})
        yield Group(source, first, second, source_info)
    finally:
        for manager in managers:
            manager.stop_db()
        dirs.close()


def test_the_source_and_its_account(group):
    assert isinstance(group.source.replication(),
                      redis_replicaof.RedisReplicaOf)
    info = group.source_info
    assert set(info) == {'host', 'port', 'user', 'password',
                         'root_password_hashes', 'root_enabled'}
    assert (info['host'], info['port'], info['user']) == (
        group.source.info.bind_host, PORT, 'os_repl')
    assert info['root_enabled'] is True
    # Repeat-safe: the password was generated once.
    assert group.source.replication().enable_as_source() == info
    # The replication account may stream, nothing else.
    with admin.Connection(group.source.paths.socket) as conn:
        conn.command('AUTH', 'os_repl', info['password'])
        assert conn.command('PING') == 'PONG'
        with pytest.raises(admin.ReplyError) as caught:
            conn.command('GET', 'k:1')
        assert 'NOPERM' in str(caught.value)


def test_keys_flow_to_both_replicas(group):
    _write(group.source, KEYS, KEYS)
    assert _tenant(group.source, 'SET', 'k:0', 'changed') == 'OK'
    for replica in (group.first, group.second):
        _caught_up(replica, group.source)
        assert _contents(replica) == _contents(group.source)
        # The tenant's password works on a replica.
        assert _tenant(replica, 'GET', 'k:0') == 'changed'
        assert replica.is_root_enabled()
        assert 'WRONGPASS' in _tenant(replica, 'PING', password='other')


def test_replicas_refuse_the_tenants_writes(group):
    for replica in (group.first, group.second):
        assert 'READONLY' in _tenant(replica, 'SET', 'refused', '1')
        assert 'NOPERM' in _tenant(replica, 'REPLICAOF', 'NO', 'ONE')
    assert _tenant(group.source, 'SET', 'accepted', '1') == 'OK'


def test_state_reports_role_source_and_ordered_positions(group):
    source, first, second = group.source, group.first, group.second
    for replica in (first, second):
        _caught_up(replica, source)
    state = source.replication().state()
    assert state == {'role': 'source', 'source': None, 'running': False,
                     'lag': None, 'position': state['position'],
                     'error': None}
    assert isinstance(state['position'], int) and state['position'] > 0
    for replica in (first, second):
        replica_state = replica.replication().state()
        assert replica_state['role'] == base.REPLICA
        assert replica_state['source'] == {'host': source.info.bind_host,
                                           'port': PORT}
        assert replica_state['running'] is True
        assert isinstance(replica_state['lag'], float)
        assert replica_state['error'] is None
        assert replica_state['position'] >= state['position']
    # A replica whose link is cut falls behind the other.
    _agent(second, 'CONFIG', 'SET', 'masterauth', 'wrong')
    _agent(second, 'CLIENT', 'KILL', 'TYPE', 'master')
    _write(source, 2 * KEYS, 5)
    _caught_up(first, source)
    behind, ahead = second.replication().state(), first.replication().state()
    assert behind['position'] < ahead['position']
    assert behind['running'] is False and behind['lag'] is None
    assert 'down' in behind['error']
    # A repeated attach mends the link.
    second.replication().attach(group.source_info)
    _caught_up(second, source)
    assert second.replication().state()['position'] >= ahead['position']


def test_a_replica_comes_back_read_only_and_replicating(group):
    source, first = group.source, group.first
    first.restart()
    assert _info(first)['role'] == 'slave'
    assert 'READONLY' in _tenant(first, 'SET', 'refused', '1')
    _write(source, 3 * KEYS, 5)
    _caught_up(first, source)
    # A crash: the agent starts the server again.
    pid = first._live_pid()
    os.kill(pid, signal.SIGKILL)
    assert first._wait_gone(pid, 30)
    _write(source, 4 * KEYS, 5)
    first.start_db()
    assert _info(first)['role'] == 'slave'
    _caught_up(first, source)
    assert _contents(first) == _contents(source)
    assert 'READONLY' in _tenant(first, 'SET', 'refused', '1')
    assert _tenant(first, 'GET', 'k:0') == 'changed'


def test_a_fenced_source_refuses_writes(group):
    source = group.source
    source.replication().fence()
    assert 'NOREPLICAS' in _tenant(source, 'SET', 'fenced', '1')
    assert 'NOREPLICAS' in _tenant(source, 'EVAL',
                                   "return redis.call('SET', 'x', 1)", '0')
    assert _tenant(source, 'GET', 'k:0') == 'changed'
    # ... across a restart too.
    source.restart()
    assert 'NOREPLICAS' in _tenant(source, 'SET', 'fenced', '1')
    assert source.replication().state()['role'] == base.SOURCE
    for replica in (group.first, group.second):
        _caught_up(replica, source)
        assert _contents(replica) == _contents(source)


def test_promote_and_repoint(group):
    old, new, other = group.source, group.first, group.second
    new_info = new.replication().promote()
    assert new_info['host'] == new.info.bind_host
    assert new_info['user'] == 'os_repl'
    assert new_info['password'] != group.source_info['password']
    assert new_info['root_password_hashes'] == \
        group.source_info['root_password_hashes']
    # Repeat-safe.
    assert new.replication().promote() == new_info
    assert _tenant(new, 'SET', 'on:new', '1') == 'OK'
    other.replication().attach(new_info)
    other.replication().attach(new_info)
    old.replication().attach(new_info)
    assert new.replication().state()['role'] == base.SOURCE
    assert old.replication().state()['role'] == base.REPLICA
    # The old source is no longer fenced, but read-only.
    assert _agent(old, 'CONFIG', 'GET', 'min-replicas-to-write')[1] == b'0'
    _write(new, 5 * KEYS, 5, prefix='new')
    for replica in (other, old):
        _caught_up(replica, new)
        assert _contents(replica) == _contents(new)
        state = replica.replication().state()
        assert state['source'] == {'host': new.info.bind_host, 'port': PORT}
        assert 'READONLY' in _tenant(replica, 'SET', 'refused', '1')
    # A new root password reaches a replica when it attaches again.
    new.enable_root('second-pw')
    again = new.replication().enable_as_source()
    assert again['root_password_hashes'] != new_info['root_password_hashes']
    assert _tenant(old, 'PING', password='second-pw') != 'PONG'
    old.replication().attach(again)
    assert _tenant(old, 'PING', password='second-pw') == 'PONG'
    assert 'WRONGPASS' in _tenant(old, 'PING')


def test_detach_makes_a_writable_standalone(group):
    new, detached, old = group.first, group.second, group.source
    _caught_up(detached, new)
    detached.replication().detach()
    detached.replication().detach()
    state = detached.replication().state()
    assert state == {'role': None, 'source': None, 'running': False,
                     'lag': None, 'position': state['position'],
                     'error': None}
    assert _tenant(detached, 'SET', 'standalone', '1') == 'OK'
    contents = _contents(detached)
    _write(new, 6 * KEYS, 3, prefix='new')
    _caught_up(old, new)
    assert _contents(detached) == contents
    assert b'standalone' not in _contents(new)
    with open(detached.paths.replication_conf) as handle:
        assert 'replicaof' not in handle.read()
    # ... also once restarted.
    detached.restart()
    assert _info(detached)['role'] == 'master'
    assert _tenant(detached, 'GET', 'standalone') == '1'
