"""The ``redis_rdb`` strategy on real Redis servers.

A source instance is prepared by its manager and filled with keys of
every kind; the strategy backs it up with the real ``redis-cli --rdb -``
into a file of the test (the runner compresses and stores the stream
instead); a second instance is then prepared as the runner will prepare
one from a backup (``streams.prepare_from_backup``: the restore before
the first start) and must hold every key with its value and expiry,
with the AOF our configuration turns on carrying them over a restart.

The servers are the machine's ``redis-server``, each on a loopback
address of its own (never the machine's shared Redis). One source and
one restored server serve the module.
"""

import os

import pytest

from tests.functional import guests
from tests.functional import strategy_runs
from tests.functional.strategy_runs import restored  # noqa: F401
from tests.unit.guestagent.strategies.backup import streams
from trove_lite.common import exception
from trove_lite.guestagent.datastores.redis import manager as redis_manager
from trove_lite.guestagent.strategies.backup import redis_rdb

STRATEGY = 'redis_rdb'
PORT = 6379
REDIS = 'redis-server .*%s'
KEYS = 2000


def new_manager(path):
    return strategy_runs.manager(redis_manager.Manager, path, 'redis', '7.0',
                                 PORT)


def _strategy(manager):
    return strategy_runs.load(manager, STRATEGY)


def _keys(conn):
    found, cursor = set(), b'0'
    while True:
        cursor, batch = conn.command('SCAN', cursor, 'COUNT', 1000)
        found.update(batch)
        if cursor == b'0':
            return found


# How each type's value is read, in an order that does not depend on
# the server's hash tables (DUMP of a set does).
_READ = {
    b'string': lambda conn, key: conn.command('GET', key),
    b'list': lambda conn, key: conn.command('LRANGE', key, 0, -1),
    b'set': lambda conn, key: sorted(conn.command('SMEMBERS', key)),
    b'hash': lambda conn, key: sorted(conn.command('HGETALL', key)),
    b'zset': lambda conn, key: conn.command('ZRANGE', key, 0, -1,
                                            'WITHSCORES'),
}


def _contents(manager):
    """``{key: (type, value, has an expiry)}`` of every key of db 0."""
    contents = {}
    with manager._admin() as conn:
        for key in _keys(conn):
            kind = conn.command('TYPE', key)
            kind = kind.encode() if isinstance(kind, str) else kind
            contents[key] = (kind, _READ[kind](conn, key),
                             conn.command('PTTL', key) > 0)
    return contents


@pytest.fixture(scope='module')
def dirs():
    guests.require('redis-server', 'redis-server', 'redis-cli')
    yield from strategy_runs.instance_dirs('tl-rdb-', REDIS)


@pytest.fixture(scope='module')
def source(dirs):
    manager = new_manager(dirs[0])
    manager.prepare(256, [], [])
    with manager._admin() as conn:
        for number in range(KEYS):
            conn.command('SET', 'key:%d' % number, os.urandom(64))
        conn.command('SET', 'big', os.urandom(3 * 1024 * 1024))
        conn.command('HSET', 'hash', 'a', '1', 'b', '2')
        conn.command('RPUSH', 'list', 'x', 'y', 'z')
        conn.command('SADD', 'set', 'p', 'q')
        conn.command('ZADD', 'zset', '1', 'one', '2', 'two')
        conn.command('SET', 'expiring', 'soon', 'EX', '86400')
        conn.command('SELECT', '3')
        conn.command('SET', 'in-db-3', 'yes')
    yield manager
    manager.stop_db()


@pytest.fixture(scope='module')
def backup(source, tmp_path_factory):
    """(path of the stream, metadata, contents when it was taken)."""
    expected = _contents(source)
    path, metadata = strategy_runs.take_to_file(
        _strategy(source), tmp_path_factory.mktemp('rdb') / 'dump.rdb')
    with source._admin() as conn:
        # After the backup: must not be in the restore.
        conn.command('SET', 'late', 'x')
    return path, metadata, expected


def test_strategy_is_a_full_files_plugin(source):
    strategy_runs.check_full_files_plugin(_strategy(source),
                                          redis_rdb.RedisRdb)


def test_backup_is_exactly_an_rdb(backup):
    path, metadata, _ = backup
    assert metadata == {}
    with open(path, 'rb') as handle:
        data = handle.read()
    assert data.startswith(redis_rdb.RDB_MAGIC)
    # The RDB's end (EOF opcode and checksum), not the diskless
    # transfer's marker after it.
    assert data[-9] == 0xFF
    assert not redis_rdb.is_eof_marker(data[-redis_rdb.EOF_MARKER_SIZE:])


def test_restore_has_every_key_of_the_backup_and_no_later_one(restored,  # noqa: F811
                                                              backup):
    contents = _contents(restored)
    assert contents == backup[2]
    assert len(contents) == KEYS + 6
    assert b'late' not in contents
    with restored._admin() as conn:
        conn.command('SELECT', '3')
        assert conn.command('GET', 'in-db-3') == b'yes'


def test_restored_keys_survive_a_restart_through_the_aof(restored, backup):  # noqa: F811
    with restored._admin() as conn:
        conn.command('SET', 'after-restore', 'kept')
    restored.restart()
    contents = _contents(restored)
    assert contents.pop(b'after-restore') == (b'string', b'kept', False)
    assert contents == backup[2]
    aof = os.path.join(restored.paths.datadir, 'appendonlydir')
    assert any(name.endswith('.base.rdb') for name in os.listdir(aof))


def test_restore_keeps_the_instances_own_accounts(restored):  # noqa: F811
    # The agent logs in with the new instance's own secret (users.acl is
    # not in the snapshot), which is how every call above got in.
    assert restored._healthy()
    if os.geteuid() == 0:
        dump = os.path.join(restored.paths.datadir, 'dump.rdb')
        assert os.stat(dump).st_uid == restored._run_as().pw_uid


def test_restore_refuses_a_running_server_and_something_else(restored):  # noqa: F811
    strategy = _strategy(restored)
    with pytest.raises(exception.GuestError, match='runs'):
        strategy.restore(streams.chain((b'REDIS0010', {})))
    restored.stop_db()
    with pytest.raises(exception.GuestError, match='not a Redis RDB'):
        strategy.restore(streams.chain((b'garbage' * 100, {})))
