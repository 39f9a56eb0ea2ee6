"""PostgreSQL streaming replication (``postgresql_streaming``) on real
servers.

One replication group per module, driven through the postgresql manager
and its replication strategy as the agent drives them: a source with a
database, a tenant user and rows, and two replicas prepared from it
(``seed``: ``pg_basebackup`` of the source through each replica's slot;
``snapshot`` stages no backup even when backup storage is offered).

The tests tell one story in file order: data flows and replicas refuse
writes; ``state`` reports roles, sources and positions; a replica
restarted (or killed and started again) comes back as a streaming
standby; the source is fenced, a replica catches up and is promoted, the
old source and the other replica follow it and data flows the other way;
a detached replica is a writable standalone whose slot its source drops;
a source that wrote alone after another was promoted in its place (an
eject) is rewound to follow it.
"""

import collections
import os
import signal
import uuid

import psycopg
import pytest

from tests.functional import fixtures
from tests.functional import guests
from tests.functional import strategy_runs
from tests import waiting
from trove_lite.common import exception
from trove_lite.guestagent.datastores.postgresql import admin
from trove_lite.guestagent.datastores.postgresql import manager as pg_manager
from trove_lite.guestagent import info as guest_info
from trove_lite.guestagent.strategies.replication import base
from trove_lite.guestagent.strategies.replication import postgresql_server
from trove_lite.guestagent.strategies.replication import postgresql_streaming

POSTGRES = 'postgres --config_file=%s/'
PORT = 5432
ROWS = 100
# Seconds a standby may take to catch up, reconnect or start streaming
# (each wait ends as soon as it does).
CATCH_UP = 60

Group = collections.namedtuple('Group', 'source first second source_info')


def _manager(instance_dir):
    info = guest_info.GuestInfo(
        guest_id=str(uuid.uuid4()), datastore_manager='postgresql',
        datastore_version='15', instance_dir=instance_dir,
        bind_host=fixtures.free_loopback_address(PORT), port=PORT)
    return pg_manager.Manager(info)


def _sql(manager, query, args=None, dbname='app'):
    """Run ``query`` as the agent's superuser; its rows (or [])."""
    with admin.connect(manager.paths.rundir, PORT, dbname) as conn:
        cursor = conn.execute(query, args)
        return cursor.fetchall() if cursor.description else []


def _value(manager, query, args=None, dbname='app'):
    return _sql(manager, query, args, dbname)[0][0]


def _tenant(manager, query):
    """Run ``query`` as the tenant's user over TCP."""
    with psycopg.connect(host=manager.info.bind_host, port=PORT, user='app',
                         password='secret', dbname='app', connect_timeout=10,
                         autocommit=True) as conn:
        cursor = conn.execute(query)
        return cursor.fetchall() if cursor.description else []


def _insert(manager, first, count):
    _sql(manager, "INSERT INTO t SELECT g, 'row ' || g FROM "
                  "generate_series(%s::int, %s::int) g",
         (first, first + count - 1))


def _contents(manager):
    return _sql(manager, 'SELECT id, name FROM t ORDER BY id')


def _in_recovery(manager):
    return _value(manager, 'SELECT pg_is_in_recovery()', dbname='postgres')


def _lsn(manager):
    """How far ``manager``'s WAL goes (a source's, or what a standby
    replayed).
    """
    return postgresql_server.lsn(_value(
        manager, 'SELECT CASE WHEN pg_is_in_recovery() THEN '
                 'pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() '
                 'END::text', dbname='postgres'))


def _caught_up(replica, source):
    """Wait until ``replica`` replayed everything ``source`` wrote."""
    target = _lsn(source)
    assert waiting.wait_for(lambda: _lsn(replica) >= target, CATCH_UP), (
        target, replica.replication().state())


def _streaming(manager):
    return manager.replication().state()['running']


def _slots(manager):
    return sorted(row[0] for row in _sql(
        manager, 'SELECT slot_name FROM pg_replication_slots',
        dbname='postgres'))


def _tools_log(manager):
    """What pg_basebackup and pg_rewind said for ``manager``."""
    with open(os.path.join(manager.paths.logdir,
                           postgresql_streaming.TOOLS_LOG)) as handle:
        return handle.read()


def _refused(manager):
    """Whether the tenant's write on ``manager`` is refused as one on a
    read-only server.
    """
    try:
        _tenant(manager, "INSERT INTO t VALUES (-100, 'refused')")
    except psycopg.errors.ReadOnlySqlTransaction:
        return True
    return False


@pytest.fixture(scope='module')
def group():
    for binary in ('postgres', 'pg_basebackup', 'pg_rewind'):
        guests.require('postgresql', [pg_manager.find_binary(binary) or
                                      binary])
    dirs = strategy_runs.instance_dirs('tl-pgr-', POSTGRES, count=3,
                                       kill=os.killpg)
    paths = next(dirs)
    managers = [_manager(path) for path in paths]
    try:
        source, first, second = managers
        source.prepare(256, [{'name': 'app'}], [{
            'name': 'app', 'password': 'secret',
            'databases': [{'name': 'app'}]}], volume_size=1)
        _tenant(source, 'CREATE TABLE t (id INT PRIMARY KEY, name TEXT)')
        _insert(source, 0, ROWS)
        strategy = source.replication()
        source_info = strategy.enable_as_source()
        snapshot = strategy.snapshot(source_info, {
            'id': 'snap-1', 'instance_id': source.info.guest_id,
            'backup_type': 'full', 'parent': None,
            'storage': {'driver': 'local', 'path': paths[0]}})
        for replica in (first, second):
            replica.prepare(256, [], [], volume_size=1, replica_info={
                'source': source_info, 'snapshot': snapshot})
        yield Group(source, first, second, source_info)
    finally:
        for manager in managers:
            manager.stop_db()
        dirs.close()


def test_the_source_its_account_and_the_replicas_slots(group):
    info = group.source_info
    assert set(info) == {'host', 'port', 'user', 'password', 'settings'}
    assert (info['host'], info['port'], info['user']) == (
        group.source.info.bind_host, PORT, 'os_repl')
    assert info['settings']['max_connections'] == 32
    # Repeat-safe: the password was generated once.
    assert group.source.replication().enable_as_source() == info
    # The replication account is the agent's, not the tenant's.
    assert [user['name'] for user in group.source.list_users()] == ['app']
    with pytest.raises(exception.BadValue):
        group.source.create_users([{'name': 'os_repl', 'password': 'x'}])
    assert _slots(group.source) == sorted(
        postgresql_server.slot_name(replica.info.guest_id)
        for replica in (group.first, group.second))
    # Replicas got the tenant's user with the data, as standbys.
    for replica in (group.first, group.second):
        assert replica.restored()
        assert _in_recovery(replica)
        assert [user['name'] for user in replica.list_users()] == ['app']
        assert _slots(replica) == []


def test_rows_flow_to_both_replicas(group):
    _insert(group.source, ROWS, ROWS)
    _tenant(group.source, "UPDATE t SET name = 'changed' WHERE id < 10")
    for replica in (group.first, group.second):
        _caught_up(replica, group.source)
        assert _contents(replica) == _contents(group.source)
        assert _tenant(replica, 'SELECT count(*) FROM t') == [(2 * ROWS,)]


def test_replicas_refuse_every_write(group):
    for replica in (group.first, group.second):
        assert _refused(replica)
        # The agent's superuser too: the server is in recovery.
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            _sql(replica, "INSERT INTO t VALUES (-1, 'refused')")
    _tenant(group.source, "INSERT INTO t VALUES (-1, 'accepted')")
    assert _tenant(group.source, 'SELECT name FROM t WHERE id = -1') == [
        ('accepted',)]


def test_state_reports_roles_sources_and_positions(group):
    source, first, second = group.source, group.first, group.second
    for replica in (first, second):
        _caught_up(replica, source)
    state = source.replication().state()
    assert state == {'role': 'source', 'source': None, 'running': False,
                     'lag': None, 'position': state['position'],
                     'error': None}
    assert isinstance(state['position'], int)
    for replica in (first, second):
        assert waiting.wait_for(lambda: _streaming(replica), CATCH_UP)
        replica_state = replica.replication().state()
        assert replica_state['role'] == base.REPLICA
        assert replica_state['source'] == {'host': source.info.bind_host,
                                           'port': PORT}
        assert replica_state['error'] is None
        assert isinstance(replica_state['lag'], float)
        assert replica_state['lag'] >= 0
        assert replica_state['position'] == state['position']
    _insert(source, 2 * ROWS, 5)
    later = source.replication().state()['position']
    assert later > state['position']
    _caught_up(first, source)
    assert first.replication().state()['position'] == later


def test_a_replica_comes_back_as_a_streaming_standby(group):
    source, first = group.source, group.first
    first.restart()
    assert _in_recovery(first)
    assert waiting.wait_for(lambda: _streaming(first), CATCH_UP)
    _insert(source, 3 * ROWS, 5)
    _caught_up(first, source)
    # A crash: the agent starts the server again.
    pid = first._live_pid()
    os.killpg(pid, signal.SIGKILL)
    assert first._wait_gone(pid, 30)
    _insert(source, 4 * ROWS, 5)
    first.start_db()
    assert _in_recovery(first)
    _caught_up(first, source)
    assert _contents(first) == _contents(source)
    assert _refused(first)


def test_fence_promote_and_repoint(group):
    old, new, other = group.source, group.first, group.second
    old.replication().fence()
    old.replication().fence()
    # Fenced: readable, every write refused, still a source.
    assert _in_recovery(old)
    assert _refused(old)
    assert _tenant(old, 'SELECT count(*) FROM t')[0][0] > 2 * ROWS
    fenced = old.replication().state()
    assert (fenced['role'], fenced['source'], fenced['error']) == (
        base.SOURCE, None, None)
    # What the promote waits for: the replica has all the source has.
    assert waiting.wait_for(
        lambda: new.replication().state()['position'] >=
        old.replication().state()['position'], CATCH_UP)
    new_info = new.replication().promote()
    assert new_info['host'] == new.info.bind_host
    assert new_info['password'] != group.source_info['password']
    # Repeat-safe.
    assert new.replication().promote() == new_info
    assert not _in_recovery(new)
    for replica in (old, other, old, other):
        replica.replication().attach(new_info)
    assert new.replication().state()['role'] == base.SOURCE
    assert old.replication().state()['role'] == base.REPLICA
    # The fenced source wrote nothing its successor lacks.
    assert 'pg_rewind: no rewind required' in _tools_log(old)
    # The tenant writes on the new source; the data flows the other way.
    _tenant(new, "INSERT INTO t VALUES (-3, 'on the new source')")
    for replica in (old, other):
        _caught_up(replica, new)
        assert _contents(replica) == _contents(new)
        assert waiting.wait_for(lambda: _streaming(replica), CATCH_UP)
        state = replica.replication().state()
        assert state['source'] == {'host': new.info.bind_host, 'port': PORT}
        assert _refused(replica)
    assert _slots(new) == sorted(
        postgresql_server.slot_name(replica.info.guest_id)
        for replica in (old, other))
    # The old source's slots were its replicas'; they went with its role.
    assert _slots(old) == []


def test_detach_makes_a_writable_standalone(group):
    new, detached, old = group.first, group.second, group.source
    _caught_up(detached, new)
    detached.replication().detach()
    detached.replication().detach()
    assert detached.replication().state() == {
        'role': None, 'source': None, 'running': False, 'lag': None,
        'position': detached.replication().state()['position'],
        'error': None}
    _tenant(detached, "INSERT INTO t VALUES (-5, 'standalone')")
    rows = _contents(detached)
    new.replication().remove_replica({'id': detached.info.guest_id})
    new.replication().remove_replica({'id': detached.info.guest_id})
    assert _slots(new) == [postgresql_server.slot_name(old.info.guest_id)]
    _insert(new, 5 * ROWS, 3)
    _caught_up(old, new)
    assert _contents(detached) == rows
    assert (-5, 'standalone') not in _contents(new)
    # A restart keeps it a standalone.
    detached.restart()
    assert not _in_recovery(detached)


def test_a_source_that_wrote_alone_is_rewound_to_follow(group):
    lost, promoted = group.first, group.source
    # An eject: the source's agent was silent, its replica is promoted
    # without a fence, and the source went on writing meanwhile.
    promoted_info = promoted.replication().promote()
    _tenant(lost, "INSERT INTO t VALUES (-6, 'written alone')")
    _tenant(promoted, "INSERT INTO t VALUES (-7, 'on the promoted one')")
    # It comes back: the conductor fences it, and it follows.
    lost.replication().fence()
    lost.replication().attach(promoted_info)
    assert _in_recovery(lost)
    assert 'pg_rewind: Done!' in _tools_log(lost)
    _caught_up(lost, promoted)
    contents = _contents(lost)
    assert contents == _contents(promoted)
    assert (-7, 'on the promoted one') in contents
    assert (-6, 'written alone') not in contents
    assert waiting.wait_for(lambda: _streaming(lost), CATCH_UP)
    assert lost.replication().state()['source'] == {
        'host': promoted.info.bind_host, 'port': PORT}
