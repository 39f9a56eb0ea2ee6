"""MariaDB GTID replication (``mariadb_gtid``) on real servers.

One replication group per module, driven through the mysql manager and
its replication strategy as the agent drives them: a source with a
database, a tenant user and rows; replica ``seeded`` prepared from a
snapshot backup in ``local`` storage, replica ``dumped`` seeded directly
from the source (``snapshot`` without backup storage); semi-synchronous
replication is on (``[mariadb] replication_semi_sync``).

The tests tell one story in file order: data flows and replicas refuse
tenant writes; ``state`` orders positions; a replica restarted (or
killed and started again) comes back read-only and replicating; a
replica is promoted, the other replica and the old source follow it and
data flows the other way; a detached replica is a writable standalone.
mariadbd starts: three prepares, a restart and a start after a kill.
"""

import collections
import os
import shutil
import signal
import tempfile
import time
import uuid

import pymysql
import pytest

from tests.functional import fixtures
from tests.functional import guests
from tests.functional import strategy_runs
from tests.unit import rpc_fixtures
from trove_lite.common import exception
from trove_lite.guestagent.datastores.mysql import admin
from trove_lite.guestagent.datastores.mysql import manager as mysql_manager
from trove_lite.guestagent import info as guest_info
from trove_lite.guestagent.strategies.backup import mariabackup
from trove_lite.guestagent.strategies.replication import base
from trove_lite.guestagent.strategies.replication import mariadb_gtid

MARIADB = 'mariadbd .*%s'
PORT = 3306
ROWS = 100
# Seconds a replica may take to catch up (MASTER_GTID_WAIT's bound; it
# returns as soon as the replica is there).
CATCH_UP = 25
READ_ONLY_ERROR = 1290  # ER_OPTION_PREVENTS_STATEMENT

Group = collections.namedtuple('Group', 'source seeded dumped source_info '
                                        'snapshot direct')


def _manager(instance_dir):
    info = guest_info.GuestInfo(
        guest_id=str(uuid.uuid4()), datastore_manager='mariadb',
        datastore_version='10.11', instance_dir=instance_dir,
        bind_host=fixtures.free_loopback_address(PORT), port=PORT)
    return mysql_manager.Manager(info)


def _sql(manager, *statements):
    """Run ``statements`` as root on the socket; the last one's rows."""
    conn = admin.connect(manager.paths.socket)
    try:
        with conn.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
            return cursor.fetchall()
    finally:
        conn.close()


def _value(manager, statement):
    return _sql(manager, statement)[0][0]


def _tenant(manager, statement):
    """Run ``statement`` as the tenant's user over TCP."""
    conn = pymysql.connect(host=manager.info.bind_host, port=PORT,
                           user='app', password='secret', database='app',
                           connect_timeout=10, autocommit=True)
    try:
        with conn.cursor() as cursor:
            cursor.execute(statement)
            return cursor.fetchall()
    finally:
        conn.close()


def _insert(manager, first, count):
    _sql(manager, 'INSERT INTO app.t VALUES %s' % ', '.join(
        "(%d, 'row %d')" % (n, n) for n in range(first, first + count)))


def _contents(manager):
    return _sql(manager, 'SELECT id, name FROM app.t ORDER BY id')


def _caught_up(replica, source):
    """Wait until ``replica`` applied everything ``source`` logged."""
    gtid = _value(source, 'SELECT @@GLOBAL.gtid_binlog_pos')
    waited = _sql(replica, "SELECT MASTER_GTID_WAIT('%s', %d)"
                  % (gtid, CATCH_UP))[0][0]
    assert waited == 0, (gtid, replica.replication().state())


def _status(manager, name):
    rows = _sql(manager, "SHOW GLOBAL STATUS LIKE '%s'" % name)
    return rows[0][1] if rows else None


def _wait_for(check, what, attempts=300):
    """Poll ``check`` until it is true."""
    for _ in range(attempts):
        if check():
            return
        time.sleep(0.1)
    raise AssertionError('%s never happened' % what)


@pytest.fixture(scope='module')
def semi_sync():
    overrides = rpc_fixtures.Overrides()
    overrides.set('replication_semi_sync', True, group='mariadb')
    yield
    overrides.clear()


@pytest.fixture(scope='module')
def storage():
    path = tempfile.mkdtemp(prefix='trove-lite-backups-')
    yield {'driver': 'local', 'path': path}
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope='module')
def group(semi_sync, storage):
    guests.require('mariadb-server', mysql_manager.SERVER_BINARIES)
    guests.require('mariadb-backup', mariabackup.BACKUP_BINARIES,
                   mariabackup.MBSTREAM_BINARIES)
    dirs = strategy_runs.instance_dirs('trove-lite-repl-', MARIADB, count=3)
    paths = next(dirs)
    managers = [_manager(path) for path in paths]
    try:
        source, seeded, dumped = managers
        source.prepare(256, [{'name': 'app'}], [{
            'name': 'app', 'password': 'secret',
            'databases': [{'name': 'app'}]}], volume_size=1)
        _sql(source, 'CREATE TABLE app.t (id INT PRIMARY KEY, '
                     'name VARCHAR(40)) ENGINE=InnoDB')
        _insert(source, 0, ROWS)
        strategy = source.replication()
        source_info = strategy.enable_as_source()
        snapshot = strategy.snapshot(source_info, {
            'id': 'snap-1', 'instance_id': source.info.guest_id,
            'backup_type': 'full', 'storage': storage, 'parent': None})
        seeded.prepare(256, [], [], volume_size=1, replica_info={
            'source': source_info, 'snapshot': snapshot})
        direct = strategy.snapshot(source_info, None)
        dumped.prepare(256, [], [], volume_size=1, replica_info={
            'source': source_info, 'snapshot': direct})
        yield Group(source, seeded, dumped, source_info, snapshot, direct)
    finally:
        for manager in managers:
            manager.stop_db()
        dirs.close()


def test_the_source_and_its_snapshots(group):
    info = group.source_info
    assert set(info) == {'host', 'port', 'user', 'password'}
    assert (info['host'], info['port'], info['user']) == (
        group.source.info.bind_host, PORT, 'os_repl')
    # Repeat-safe: the password was generated once.
    assert group.source.replication().enable_as_source() == info
    backup = group.snapshot['backup']
    assert set(group.snapshot) == {'backup', 'gtid'}
    assert backup['id'] == 'snap-1' and backup['storage']['driver'] == 'local'
    assert backup['metadata']['strategy'] == 'mariabackup'
    assert os.path.getsize(backup['location']) == backup['size']
    assert mariadb_gtid.position(group.snapshot['gtid'])
    assert group.direct == {'backup': None}
    # The replication account is the agent's, not the tenant's.
    assert [user['name'] for user in group.source.list_users()] == ['app']
    with pytest.raises(exception.BadValue):
        group.source.create_users([{'name': 'os_repl', 'password': 'x'}])
    # Replicas got the tenant's user with the data.
    for replica in (group.seeded, group.dumped):
        assert replica.restored()
        assert [user['name'] for user in replica.list_users()] == ['app']


def test_rows_flow_to_both_replicas(group):
    _insert(group.source, ROWS, ROWS)
    _sql(group.source, "UPDATE app.t SET name = 'changed' WHERE id < 10")
    for replica in (group.seeded, group.dumped):
        _caught_up(replica, group.source)
        assert _contents(replica) == _contents(group.source)
        assert _tenant(replica, 'SELECT COUNT(*) FROM t') == ((2 * ROWS,),)


def test_replicas_refuse_the_tenants_writes(group):
    for replica in (group.seeded, group.dumped):
        assert _value(replica, 'SELECT @@GLOBAL.read_only') == 1
        with pytest.raises(pymysql.err.OperationalError) as caught:
            _tenant(replica, "INSERT INTO t VALUES (-1, 'refused')")
        assert caught.value.args[0] == READ_ONLY_ERROR
    _tenant(group.source, "INSERT INTO t VALUES (-1, 'accepted')")
    assert _tenant(group.source, 'SELECT name FROM t WHERE id = -1') == (
        ('accepted',),)


def test_semi_synchronous_by_configuration(group):
    _wait_for(lambda: _status(group.source,
                              'Rpl_semi_sync_master_clients') == '2',
              'two semi-synchronous replicas')
    _insert(group.source, 2 * ROWS, 1)
    assert _status(group.source, 'Rpl_semi_sync_master_status') == 'ON'
    assert _value(group.source, 'SELECT @@GLOBAL.'
                  'rpl_semi_sync_master_wait_point') == 'AFTER_SYNC'
    for replica in (group.seeded, group.dumped):
        assert _status(replica, 'Rpl_semi_sync_slave_status') == 'ON'
    assert 'rpl_semi_sync_master_enabled = ON' in open(
        group.source.paths.replication_cnf).read()


def test_state_reports_role_lag_and_ordered_positions(group):
    source, seeded, dumped = group.source, group.seeded, group.dumped
    for replica in (seeded, dumped):
        _caught_up(replica, source)
    state = source.replication().state()
    assert state == {'role': 'source', 'source': None, 'running': False,
                     'lag': None, 'position': state['position'],
                     'error': None}
    for replica in (seeded, dumped):
        replica_state = replica.replication().state()
        assert replica_state['role'] == base.REPLICA
        assert replica_state['source'] == {'host': source.info.bind_host,
                                           'port': PORT}
        assert replica_state['running'] is True
        assert isinstance(replica_state['lag'], float)
        assert replica_state['lag'] >= 0
        assert replica_state['error'] is None
        assert replica_state['position'] == state['position']
    # A replica that stops receiving falls behind the other (one that
    # only stops applying does not: what it received counts, as a promote
    # applies it first).
    _sql(dumped, 'STOP SLAVE IO_THREAD')
    _insert(source, 3 * ROWS, 5)
    _caught_up(seeded, source)
    behind, ahead = (dumped.replication().state(),
                     seeded.replication().state())
    assert behind['position'] < ahead['position']
    assert ahead['position'] == source.replication().state()['position']
    assert behind['running'] is False
    _sql(dumped, 'START SLAVE IO_THREAD')
    _caught_up(dumped, source)
    assert dumped.replication().state()['position'] == ahead['position']


def _replicating(manager):
    return manager.replication().state()['running']


def test_a_replica_comes_back_read_only_and_replicating(group):
    source, seeded = group.source, group.seeded
    seeded.restart()
    assert _value(seeded, 'SELECT @@GLOBAL.read_only') == 1
    _wait_for(lambda: _replicating(seeded), 'replication after a restart')
    _insert(source, 4 * ROWS, 5)
    _caught_up(seeded, source)
    # A crash: the agent starts the server again.
    pid = seeded._live_pid()
    os.kill(pid, signal.SIGKILL)
    assert seeded._wait_gone(pid, 30)
    _insert(source, 5 * ROWS, 5)
    seeded.start_db()
    assert _value(seeded, 'SELECT @@GLOBAL.read_only') == 1
    _caught_up(seeded, source)
    assert _contents(seeded) == _contents(source)
    with pytest.raises(pymysql.err.OperationalError):
        _tenant(seeded, "INSERT INTO t VALUES (-2, 'refused')")


def test_promote_and_repoint(group):
    old, new, other = group.source, group.seeded, group.dumped
    new_info = new.replication().promote()
    assert set(new_info) == {'host', 'port', 'user', 'password'}
    assert new_info['host'] == new.info.bind_host
    assert new_info['password'] != group.source_info['password']
    # Repeat-safe.
    assert new.replication().promote() == new_info
    other.replication().attach(new_info)
    other.replication().attach(new_info)
    old.replication().attach(new_info)
    assert new.replication().state()['role'] == base.SOURCE
    assert old.replication().state()['role'] == base.REPLICA
    # The tenant writes on the new source; the data flows the other way.
    _tenant(new, "INSERT INTO t VALUES (-3, 'on the new source')")
    for replica in (other, old):
        _caught_up(replica, new)
        assert _contents(replica) == _contents(new)
        state = replica.replication().state()
        assert state['source'] == {'host': new.info.bind_host, 'port': PORT}
        assert state['running'] is True
        with pytest.raises(pymysql.err.OperationalError) as caught:
            _tenant(replica, "INSERT INTO t VALUES (-4, 'refused')")
        assert caught.value.args[0] == READ_ONLY_ERROR
    assert _value(new, 'SELECT @@GLOBAL.read_only') == 0
    _wait_for(lambda: _status(new, 'Rpl_semi_sync_master_clients') == '2',
              'two semi-synchronous replicas of the new source')
    _insert(new, 6 * ROWS, 1)
    assert _status(new, 'Rpl_semi_sync_master_status') == 'ON'
    assert _status(old, 'Rpl_semi_sync_master_status') == 'OFF'


def test_detach_makes_a_writable_standalone(group):
    new, detached, old = group.seeded, group.dumped, group.source
    _caught_up(detached, new)
    detached.replication().detach()
    detached.replication().detach()
    assert detached.replication().state() == {
        'role': None, 'source': None, 'running': False, 'lag': None,
        'position': detached.replication().state()['position'],
        'error': None}
    _tenant(detached, "INSERT INTO t VALUES (-5, 'standalone')")
    rows = _contents(detached)
    _insert(new, 7 * ROWS, 3)
    _caught_up(old, new)
    assert _contents(detached) == rows
    assert (-5, 'standalone') not in _contents(new)
    assert 'read_only' not in open(detached.paths.replication_cnf).read()
