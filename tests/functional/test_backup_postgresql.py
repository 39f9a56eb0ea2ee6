"""The ``pg_basebackup`` strategy on real PostgreSQL servers.

A source instance is prepared by its manager and given rows; the strategy
backs it up with the real ``pg_basebackup`` into a file of the test (the
runner compresses and stores the stream instead); a second instance is
then prepared as the runner will prepare one from a backup
(``streams.prepare_from_backup``: the restore in place of initdb) and
must hold every row, its roles and none of the source's server state.

The servers are the machine's ``postgres``, each on a loopback address of
its own (never the machine's shared PostgreSQL). One source and one
restored server serve the module; the last test stops them.
"""

import os
import tarfile

import psycopg
import pytest

from tests.functional import fixtures
from tests.functional import guests
from tests.unit.guestagent.strategies.backup import streams
from trove_lite.common import exception
from trove_lite.common import plugins
from trove_lite.conf import datastores as datastore_opts
from trove_lite.guestagent.datastores.postgresql import manager as pg_manager
from trove_lite.guestagent import info as guest_info
from trove_lite.guestagent.strategies.backup import base
from trove_lite.guestagent.strategies.backup import pg_basebackup

PORT = 5432
POSTGRES = 'postgres --config_file=%s/'
ROWS = 5000
CHECKSUM = ("SELECT count(*), md5(string_agg(t::text, ',' ORDER BY id)) "
            "FROM t")


def _manager(path):
    info = guest_info.GuestInfo(
        guest_id=os.path.basename(path), datastore_manager='postgresql',
        datastore_version='15', instance_dir=path,
        bind_host=fixtures.free_loopback_address(PORT), port=PORT)
    return pg_manager.Manager(info)


def _connect(manager, dbname='app'):
    return psycopg.connect(host=manager.info.bind_host, port=PORT,
                           user='app', password='secret', dbname=dbname,
                           connect_timeout=10, autocommit=True)


def _strategy(manager):
    return plugins.load(datastore_opts.BACKUP_NAMESPACE, 'pg_basebackup',
                        args=(manager,))


@pytest.fixture(scope='module')
def dirs():
    guests.require('postgresql', [pg_manager.find_binary('postgres') or
                                  'postgres'],
                   [pg_manager.find_binary('pg_basebackup') or
                    'pg_basebackup'])
    made = [guests.make_instance_dir('tl-pgb-') for _ in range(2)]
    yield made
    for path in made:
        guests.remove_instance_dir(path, POSTGRES, kill=os.killpg)


@pytest.fixture(scope='module')
def source(dirs):
    manager = _manager(dirs[0])
    manager.prepare(256, [{'name': 'app'}],
                    [{'name': 'app', 'password': 'secret',
                      'databases': [{'name': 'app'}]}])
    with _connect(manager) as conn:
        conn.execute('CREATE TABLE t (id INT PRIMARY KEY, payload TEXT, '
                     'blob BYTEA)')
        conn.execute("INSERT INTO t SELECT g, md5(g::text), "
                     "decode(repeat(md5(g::text), 8), 'hex') "
                     "FROM generate_series(1, %s) g", (ROWS,))
    with manager._admin() as sql:
        # The source's ALTER SYSTEM settings must not reach a restore.
        sql.conn.execute("ALTER SYSTEM SET work_mem = '7MB'")
    yield manager
    manager.stop_db()


@pytest.fixture(scope='module')
def backup(source, tmp_path_factory):
    """(path of the stream, metadata, checksum of t when it was taken)."""
    with _connect(source) as conn:
        expected = conn.execute(CHECKSUM).fetchone()
    target = tmp_path_factory.mktemp('pgb') / 'base.tar'
    with open(target, 'wb') as sink:
        metadata = streams.take(_strategy(source), sink)
    with _connect(source) as conn:
        # After the backup: must not be in the restore.
        conn.execute("INSERT INTO t VALUES (%s, 'late', NULL)", (ROWS + 1,))
    return target, metadata, expected


@pytest.fixture(scope='module')
def restored(dirs, backup):
    manager = _manager(dirs[1])
    path, metadata, _ = backup
    streams.prepare_from_backup(manager, _strategy(manager),
                                streams.chain((str(path), metadata)))
    yield manager
    manager.stop_db()


def test_strategy_is_a_full_files_plugin(source):
    strategy = _strategy(source)
    assert isinstance(strategy, pg_basebackup.PgBaseBackup)
    assert strategy.restore_stage == base.RESTORE_FILES
    assert not strategy.incremental
    with pytest.raises(exception.DatastoreOperationNotSupported):
        strategy.backup({'anything': 1})


def test_backup_is_one_tar_with_the_wal(backup):
    path, metadata, _ = backup
    assert metadata == {}

    with tarfile.open(path) as tar:
        names = set(tar.getnames())
    assert {'PG_VERSION', 'backup_label', 'global/pg_control'} <= names
    assert any(name.startswith('pg_wal/0') for name in names)
    assert 'postmaster.pid' not in names


def test_restore_has_every_row_of_the_backup_and_no_later_one(restored,
                                                              backup):
    with _connect(restored) as conn:
        assert conn.execute(CHECKSUM).fetchone() == backup[2]
        assert conn.execute('SELECT max(id) FROM t').fetchone() == (ROWS,)
        # A primary, not a standby: it takes writes.
        assert conn.execute('SELECT pg_is_in_recovery()').fetchone() == (
            False,)
        conn.execute("INSERT INTO t VALUES (0, 'new', NULL)")


def test_restore_runs_on_its_own_configuration(restored):
    datadir = restored.paths.datadir
    assert os.stat(datadir).st_mode & 0o777 == 0o700
    with restored._admin() as sql:
        work_mem = sql.conn.execute('SHOW work_mem').fetchone()[0]
        address = sql.conn.execute(
            'SHOW listen_addresses').fetchone()[0]
    assert work_mem != '7MB'
    assert address == restored.info.bind_host
    with open(os.path.join(datadir, 'postgresql.auto.conf')) as handle:
        assert 'work_mem' not in handle.read()
    assert not os.path.exists(os.path.join(datadir, 'standby.signal'))
    if os.geteuid() == 0:
        owner = os.stat(os.path.join(datadir, 'base')).st_uid
        assert owner == restored._run_as().pw_uid


def test_restore_refuses_a_running_server_and_a_chain(restored, backup):
    strategy = _strategy(restored)
    chain = streams.chain((str(backup[0]), {}))
    with pytest.raises(exception.GuestError, match='runs'):
        strategy.restore(chain)
    with pytest.raises(exception.GuestError, match='chain of 2'):
        strategy.restore(chain * 2)
    # Nothing was touched.
    with _connect(restored) as conn:
        assert conn.execute('SELECT count(*) FROM t').fetchone() == (
            ROWS + 1,)


def test_restore_of_something_else_fails_naming_it(dirs, restored):
    restored.stop_db()
    with pytest.raises(exception.GuestError, match='not a PostgreSQL'):
        _strategy(restored).restore(streams.chain((b'garbage' * 100, {})))
