"""MySQL-family backups and restores with the real tools.

One source instance (a real ``mariadbd`` through the mysql manager) per
module gets rows, a full ``mariabackup`` backup, more rows and an
incremental one; the chain is restored into a new instance through
``prepare(restore_info=...)`` and every row of both phases must be there.
The same for a full ``mysqldump`` backup. Backups go to the ``local``
storage in a temporary directory; damaged copies of a stored object
(a flipped byte, a truncated tail) must fail the restore with "backup
checksum mismatch". mariadbd starts: the source, and one per restore
that succeeds.
"""

import os
import shutil
import tempfile
import uuid

import pymysql
import pytest

from tests.functional import fixtures
from tests.functional import guests
from tests.unit.rpc_fixtures import conf_overrides  # noqa: F401
from trove_lite.common import exception
from trove_lite.guestagent import backups
from trove_lite.guestagent.datastores.mysql import admin
from trove_lite.guestagent.datastores.mysql import manager as mysql_manager
from trove_lite.guestagent import info as guest_info
from trove_lite.guestagent.strategies.backup import mariabackup

MARIADB = 'mariadbd .*%s'
PORT = 3306
ROWS = 200


def _manager(instance_dir):
    info = guest_info.GuestInfo(
        guest_id=str(uuid.uuid4()), datastore_manager='mariadb',
        datastore_version='10.11', instance_dir=instance_dir,
        bind_host=fixtures.free_loopback_address(PORT), port=PORT)
    return mysql_manager.Manager(info)


def _sql(manager, statements):
    conn = admin.connect(manager.paths.socket)
    try:
        results = []
        with conn.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
                results.append(cursor.fetchall())
        return results
    finally:
        conn.close()


def _insert(manager, first, count, table='app.t'):
    values = ', '.join("(%d, 'row %d', REPEAT('x', %d))" % (n, n, n % 97)
                       for n in range(first, first + count))
    _sql(manager, ['INSERT INTO %s VALUES %s' % (table, values)])


def _contents(manager):
    """Checksums and rows of both tables (InnoDB and Aria)."""
    return _sql(manager, ['CHECKSUM TABLE app.t, app.notes',
                          'SELECT * FROM app.t ORDER BY id',
                          'SELECT * FROM app.notes ORDER BY id'])


@pytest.fixture(scope='module')
def storage():
    path = tempfile.mkdtemp(prefix='trove-lite-backups-')
    yield {'driver': 'local', 'path': path}
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope='module')
def source():
    """The source instance with a table of ROWS rows."""
    guests.require('mariadb-server', mysql_manager.SERVER_BINARIES)
    guests.require('mariadb-backup', mariabackup.BACKUP_BINARIES,
                   mariabackup.MBSTREAM_BINARIES)
    with guests.instance_dir(MARIADB, prefix='trove-lite-source-') as path:
        manager = _manager(path)
        manager.prepare(256, [{'name': 'app'}], [{
            'name': 'app', 'password': 'secret',
            'databases': [{'name': 'app'}]}], volume_size=1)
        try:
            _sql(manager, [
                'CREATE TABLE app.t (id INT PRIMARY KEY, name VARCHAR(40), '
                'pad TEXT) ENGINE=InnoDB',
                'CREATE TABLE app.notes (id INT PRIMARY KEY, name '
                'VARCHAR(40), pad TEXT) ENGINE=Aria'])
            _insert(manager, 0, ROWS)
            _insert(manager, 0, 10, table='app.notes')
            yield manager
        finally:
            manager.stop_db()


@pytest.fixture
def target():
    """A new, empty instance directory for a restore."""
    with guests.instance_dir(MARIADB, prefix='trove-lite-target-') as path:
        manager = _manager(path)
        try:
            yield manager
        finally:
            manager.stop_db()


@pytest.fixture(scope='module')
def mariabackup_chain(source, storage):
    """[full, incremental] of the source, and the contents they hold."""
    full = backups.take_backup(source, {
        'id': 'full-1', 'instance_id': source.info.guest_id,
        'backup_type': 'full', 'storage': storage, 'parent': None})
    _insert(source, ROWS, ROWS)
    _insert(source, 10, 5, table='app.notes')
    _sql(source, ["UPDATE app.t SET name = 'changed' WHERE id < 10",
                  'DELETE FROM app.t WHERE id BETWEEN 50 AND 59'])
    parent = dict(full, id='full-1', storage=storage)
    incremental = backups.take_backup(source, {
        'id': 'inc-1', 'instance_id': source.info.guest_id,
        'backup_type': 'incremental', 'storage': storage, 'parent': parent})
    chain = [parent, dict(incremental, id='inc-1', storage=storage)]
    return chain, _contents(source)


def _restore(target, chain):
    target.prepare(256, [], [], volume_size=1,
                   restore_info={'chain': chain})


def _login(manager):
    conn = pymysql.connect(host=manager.info.bind_host, port=PORT,
                           user='app', password='secret', database='app',
                           connect_timeout=10)
    try:
        with conn.cursor() as cursor:
            cursor.execute('SELECT COUNT(*) FROM t')
            return cursor.fetchone()[0]
    finally:
        conn.close()


def test_mariabackup_full_and_incremental(mariabackup_chain, target):
    chain, contents = mariabackup_chain
    full, incremental = chain
    assert full['backup_type'] == 'full'
    assert incremental['backup_type'] == 'incremental'
    for element in chain:
        assert element['metadata']['strategy'] == 'mariabackup'
        assert element['metadata']['compressor'] == 'zstd'
        assert os.path.getsize(element['location']) == element['size']
    assert (int(incremental['metadata']['from_lsn'])
            == int(full['metadata']['to_lsn']))
    assert incremental['metadata']['backup_type'] == 'incremental'

    _restore(target, chain)
    assert _contents(target) == contents
    assert len(contents[1]) == 2 * ROWS - 10
    # The tenant's user came with the data; the files are the server's.
    assert _login(target) == 2 * ROWS - 10
    assert target.restored()
    run_as = target._run_as()
    if run_as is not None:
        owners = {os.stat(os.path.join(root, name)).st_uid
                  for root, dirs, files in os.walk(target.volume.path)
                  for name in dirs + files}
        assert owners == {run_as.pw_uid}
    assert not os.path.exists(os.path.join(target.paths.instance_dir,
                                           mariabackup.WORK_DIR))
    # A repeated prepare keeps the restored data.
    target.prepare(256, [], [], volume_size=1,
                   restore_info={'chain': chain})
    assert _contents(target) == contents


def test_mysqldump_full(source, storage, target, conf_overrides):  # noqa: F811
    conf_overrides.set('backup_strategy', 'mysqldump', group='mariadb')
    result = backups.take_backup(source, {
        'id': 'dump-1', 'instance_id': source.info.guest_id,
        'backup_type': 'full', 'storage': storage, 'parent': None})
    assert result['metadata']['strategy'] == 'mysqldump'
    contents = _contents(source)
    _restore(target, [dict(result, id='dump-1', storage=storage)])
    assert _contents(target) == contents
    assert _login(target) == len(contents[1])


def test_mysqldump_takes_no_incremental(source, storage,
                                        conf_overrides):  # noqa: F811
    conf_overrides.set('backup_incremental_strategy', 'mysqldump',
                       group='mariadb')
    parent = {'id': 'x', 'location': '', 'checksum': '', 'size': 0,
              'metadata': {'strategy': 'mysqldump'}}
    with pytest.raises(exception.DatastoreOperationNotSupported):
        backups.take_backup(source, {
            'id': 'dump-2', 'instance_id': source.info.guest_id,
            'backup_type': 'incremental', 'storage': storage,
            'parent': parent})
    assert not [name for name in os.listdir(storage['path'])
                if name.startswith('dump-2')]


def _damaged_copy(element, how):
    location = element['location'] + '.' + how
    shutil.copyfile(element['location'], location)
    with open(location, 'r+b') as handle:
        if how == 'flipped':
            handle.seek(element['size'] // 3)
            byte = handle.read(1)
            handle.seek(-1, os.SEEK_CUR)
            handle.write(bytes([byte[0] ^ 0x40]))
        else:
            handle.truncate(element['size'] * 2 // 3)
    return dict(element, location=location)


@pytest.mark.parametrize('how', ['flipped', 'truncated'])
def test_a_damaged_backup_fails_the_restore(mariabackup_chain, target, how):
    chain, _contents_ = mariabackup_chain
    damaged = [chain[0], _damaged_copy(chain[1], how)]
    with pytest.raises(exception.BackupChecksumMismatch) as caught:
        _restore(target, damaged)
    assert str(caught.value).startswith('backup checksum mismatch')
    assert 'inc-1' in str(caught.value)
    assert not target.restored() and target.prepared() is None
    assert target._live_pid() is None
    assert not os.path.exists(os.path.join(target.paths.instance_dir,
                                           mariabackup.WORK_DIR))
