"""The SQLite engine of trove_lite.db.api under concurrent threads."""

import threading

import sqlalchemy as sa

from tests.unit import db_utils
from trove_lite.db import api as db_api
from trove_lite.db import models
from trove_lite.db.repositories import flavors

THREADS = 6
ROUNDS = 15


@db_api.writer
def _increment(ctx, flavor_id):
    # Read first, write later: the pattern that has to upgrade its lock
    # when the transaction does not take the write lock up front.
    row = ctx.session.query(models.Flavor).filter_by(id=flavor_id).one()
    row.ram = row.ram + 1
    ctx.session.flush()


@db_api.reader
def _ram(ctx, flavor_id):
    return ctx.session.query(models.Flavor).filter_by(
        id=flavor_id).one().ram


def _run_threads(target):
    errors = []
    start = threading.Barrier(THREADS)

    def run():
        try:
            start.wait()
            target()
        except Exception as err:  # noqa: the test reports every failure
            errors.append(err)

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_concurrent_read_then_write_transactions(ctx, migrated_db):
    flavors.create_flavor(ctx, '1', 'm1.tiny', 0, 1, 1)

    def writer():
        for _ in range(ROUNDS):
            _increment(db_utils.admin_context(), '1')
            _ram(db_utils.admin_context(), '1')

    errors = _run_threads(writer)

    assert errors == []
    assert _ram(ctx, '1') == THREADS * ROUNDS


def test_concurrent_inserts(ctx, migrated_db):
    def creator():
        name = threading.current_thread().name
        for number in range(ROUNDS):
            flavors.create_flavor(db_utils.admin_context(),
                                  '%s-%d' % (name, number),
                                  '%s-%d' % (name, number), 512, 1, 1)

    errors = _run_threads(creator)

    assert errors == []
    assert len(flavors.list_flavors(ctx)) == THREADS * ROUNDS


def _statements(engine):
    seen = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    sa.event.listen(engine, 'before_cursor_execute', record)
    return seen, lambda: sa.event.remove(engine, 'before_cursor_execute',
                                         record)


def test_writer_begins_immediate_reader_deferred(ctx, migrated_db):
    flavors.create_flavor(ctx, '1', 'm1.tiny', 512, 1, 1)
    seen, stop = _statements(db_api.get_engine())
    try:
        _ram(db_utils.admin_context(), '1')
        reader_statements = list(seen)
        del seen[:]
        _increment(db_utils.admin_context(), '1')
    finally:
        stop()

    assert reader_statements[0] == 'BEGIN'
    assert seen[0] == 'BEGIN IMMEDIATE'
    assert 'BEGIN' not in seen[1:]


def test_sqlite_file_is_wal_and_pooled(migrated_db):
    engine = db_api.get_engine()
    with engine.connect() as conn:
        mode = conn.exec_driver_sql('PRAGMA journal_mode').scalar()
        timeout = conn.exec_driver_sql('PRAGMA busy_timeout').scalar()
    assert mode == 'wal'
    assert timeout == db_api.SQLITE_BUSY_TIMEOUT_MS
    assert isinstance(engine.pool, sa.pool.QueuePool)


def test_memory_sqlite_keeps_its_pool():
    with db_utils.database('sqlite://'):
        engine = db_api.get_engine()
        assert not isinstance(engine.pool, sa.pool.QueuePool)
        with engine.connect() as conn:
            assert conn.exec_driver_sql('PRAGMA journal_mode').scalar() == (
                'memory')
