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

from tests.functional import guests
from tests.functional import strategy_runs
from tests.functional.strategy_runs import restored  # noqa: F401
from tests.unit.guestagent.strategies.backup import streams
from trove_lite.common import exception
from trove_lite.guestagent.datastores.postgresql import manager as pg_manager
from trove_lite.guestagent.strategies.backup import pg_basebackup

STRATEGY = 'pg_basebackup'
PORT = 5432
POSTGRES = 'postgres --config_file=%s/'
ROWS = 5000
CHECKSUM = ("SELECT count(*), md5(string_agg(t::text, ',' ORDER BY id)) "
            "FROM t")


def new_manager(path):
    return strategy_runs.manager(pg_manager.Manager, path, 'postgresql',
                                 '15', PORT)


def _connect(manager, dbname='app'):
    return psycopg.connect(host=manager.info.bind_host, port=PORT,
                           user='app', password='secret', dbname=dbname,
                           connect_timeout=10, autocommit=True)


def _strategy(manager):
    return strategy_runs.load(manager, STRATEGY)


@pytest.fixture(scope='module')
def dirs():
    guests.require('postgresql', [pg_manager.find_binary('postgres') or
                                  'postgres'],
                   [pg_manager.find_binary('pg_basebackup') or
                    'pg_basebackup'])
    yield from strategy_runs.instance_dirs('tl-pgb-', POSTGRES,
                                           kill=os.killpg)


@pytest.fixture(scope='module')
def source(dirs):
    manager = new_manager(dirs[0])
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
    path, metadata = strategy_runs.take_to_file(
        _strategy(source), tmp_path_factory.mktemp('pgb') / 'base.tar')
    with _connect(source) as conn:
        # After the backup: must not be in the restore.
        conn.execute("INSERT INTO t VALUES (%s, 'late', NULL)", (ROWS + 1,))
    return path, metadata, expected


def test_strategy_is_a_full_files_plugin(source):
    strategy_runs.check_full_files_plugin(_strategy(source),
                                          pg_basebackup.PgBaseBackup)


def test_backup_is_one_tar_with_the_wal(backup):
    path, metadata, _ = backup
    assert metadata == {}

    with tarfile.open(path) as tar:
        names = set(tar.getnames())
    assert {'PG_VERSION', 'backup_label', 'global/pg_control'} <= names
    assert any(name.startswith('pg_wal/0') for name in names)
    assert 'postmaster.pid' not in names


def test_restore_has_every_row_of_the_backup_and_no_later_one(restored,  # noqa: F811
                                                              backup):
    with _connect(restored) as conn:
        assert conn.execute(CHECKSUM).fetchone() == backup[2]
        assert conn.execute('SELECT max(id) FROM t').fetchone() == (ROWS,)
        # A primary, not a standby: it takes writes.
        assert conn.execute('SELECT pg_is_in_recovery()').fetchone() == (
            False,)
        conn.execute("INSERT INTO t VALUES (0, 'new', NULL)")


def test_restore_runs_on_its_own_configuration(restored):  # noqa: F811
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


def test_restore_refuses_a_running_server_and_a_chain(restored, backup):  # noqa: F811
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


def test_restore_of_something_else_fails_naming_it(dirs, restored):  # noqa: F811
    restored.stop_db()
    with pytest.raises(exception.GuestError, match='not a PostgreSQL'):
        _strategy(restored).restore(streams.chain((b'garbage' * 100, {})))
