"""Sessions on the infrastructure database (oslo.db enginefacade).

Repository functions are decorated with ``reader``/``writer`` and take a
``RequestContext`` first; the facade opens one transaction per outermost
decorated call and commits it when that call returns, so a repository
function that calls another shares its transaction.

trove_lite owns its facade (``context_manager``) instead of using oslo.db's
process-global one, as Nova and Cinder do: the decorators are bound to this
object when the repositories are imported, and ``reset`` can still swap the
engine factory underneath them (a test, or a manage command run twice in one
process with different ``[database] connection`` values).

SQLite (the embedded shape's infrastructure database) is shared by the API,
conductor, taskmanager and guest-agent threads of one process, so its
engine is set up for concurrent writers:

- WAL journal: readers never block the writer, nor the writer them.
- ``busy_timeout``: a writer waits for the write lock instead of failing
  with "database is locked".
- Writer transactions begin with ``BEGIN IMMEDIATE``: they take the write
  lock up front. A deferred transaction that reads first and writes later
  has to upgrade its lock, and two of them doing so at once fail at once
  (SQLite detects the deadlock; in WAL mode a writer whose snapshot is
  stale cannot upgrade at all), whatever the busy timeout.
- Connections are pooled. oslo.db gives a SQLite file a NullPool, so
  every transaction opened a connection and SQLite parsed the schema
  again; a pooled connection keeps its parsed schema and statement cache.

Other databases get oslo.db's engine unchanged.
"""

import os

from oslo_config import cfg
from oslo_db.sqlalchemy import enginefacade
import sqlalchemy
from sqlalchemy.engine import url as sa_url
from sqlalchemy import pool as sa_pool

# How long (ms) a SQLite writer waits for the write lock before it fails.
SQLITE_BUSY_TIMEOUT_MS = 30000
# oslo.db's SQLite "begin" listener skips its own BEGIN when this is set.
_OSLO_IN_TRANSACTION = 'in_transaction'


def _is_sqlite_file(url):
    return url.get_backend_name() == 'sqlite' and url.database not in (
        None, '', ':memory:') and not url.database.startswith('file::memory:')


def _sqlite_connect(dbapi_connection, connection_record):
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute('PRAGMA busy_timeout = %d' % SQLITE_BUSY_TIMEOUT_MS)
        cursor.execute('PRAGMA journal_mode = WAL')
        # NOTE(sqlite): NORMAL is SQLite's advice for WAL: the database
        # stays consistent; a power cut may lose the last commits.
        cursor.execute('PRAGMA synchronous = NORMAL')
    finally:
        cursor.close()


def _sqlite_begin(conn):
    """Begin a writer's transaction with the write lock already held."""
    if _OSLO_IN_TRANSACTION not in conn.info:
        conn.exec_driver_sql('BEGIN IMMEDIATE')
        # NOTE(sqlite): oslo.db's own listener, which runs after this one,
        # then emits no (deferred) BEGIN of its own.
        conn.info[_OSLO_IN_TRANSACTION] = True


def _sqlite_reset(dbapi_connection, connection_record, reset_state):
    # NOTE(sqlite): a pooled connection comes back rolled back; the next
    # transaction on it must emit its own BEGIN.
    connection_record.info.pop(_OSLO_IN_TRANSACTION, None)


def _pooled(engine):
    """Swap oslo.db's NullPool of a SQLite file for a QueuePool.

    The new pool keeps the old one's listeners (oslo.db's connect events:
    foreign keys, its BEGIN handling) and honours ``[database]
    max_pool_size`` and ``max_overflow``.
    """
    old = engine.pool
    # NOTE(sqlite): Pool.recreate() is how SQLAlchemy itself copies a pool
    # with its listeners (_dispatch); only the class changes here.
    engine.pool = sa_pool.QueuePool(
        old._creator, pool_size=cfg.CONF.database.max_pool_size or 5,
        max_overflow=max(0, cfg.CONF.database.max_overflow or 0),
        timeout=cfg.CONF.database.pool_timeout or 30,
        recycle=old._recycle, pre_ping=False,
        logging_name=old._orig_logging_name,
        reset_on_return=old._reset_on_return, _dispatch=old.dispatch,
        dialect=old._dialect)
    old.dispose()


class _TransactionFactory(enginefacade._TransactionFactory):
    """oslo.db's factory, with SQLite set up for concurrent writers."""

    _writer_bind = None

    def _setup_for_connection(self, sql_connection, engine_kwargs,
                              maker_kwargs):
        engine, maker = super()._setup_for_connection(
            sql_connection, engine_kwargs, maker_kwargs)
        if engine.dialect.name == 'sqlite':
            if _is_sqlite_file(engine.url):
                _pooled(engine)
                sqlalchemy.event.listen(engine, 'connect', _sqlite_connect)
            sqlalchemy.event.listen(engine, 'reset', _sqlite_reset)
            if self._writer_bind is None:  # the writer engine comes first
                # NOTE(sqlite): listeners of an execution_options() view run
                # before the engine's own, so only writer transactions, and
                # before oslo.db's deferred BEGIN.
                self._writer_bind = engine.execution_options()
                sqlalchemy.event.listen(self._writer_bind, 'begin',
                                        _sqlite_begin)
        return engine, maker

    def _create_session(self, mode, bind=None):
        if not self._started:
            self._start()
        if (mode is enginefacade._WRITER and bind is None
                and self._writer_bind is not None):
            bind = self._writer_bind
        return super()._create_session(mode, bind=bind)

    def _create_connection(self, mode):
        if not self._started:
            self._start()
        if mode is enginefacade._WRITER and self._writer_bind is not None:
            return self._writer_bind.connect()
        return super()._create_connection(mode)


def _transaction_context():
    manager = enginefacade.transaction_context()
    manager.patch_factory(_TransactionFactory())
    return manager


context_manager = _transaction_context()

reader = context_manager.reader
writer = context_manager.writer

_CONFIGURED = False
# The reset callable of the last patch_factory, so patches never stack.
_UNPATCH = None


def _ensure_sqlite_directory(connection):
    """Create the directory of a SQLite file so a first start just works."""
    url = sa_url.make_url(connection)
    if url.get_backend_name() == 'sqlite' and url.database not in (
            None, '', ':memory:'):
        directory = os.path.dirname(os.path.abspath(url.database))
        os.makedirs(directory, exist_ok=True)


def configure():
    """Prepare the facade from ``[database]``; call once per process.

    The engine itself is created lazily, from ``cfg.CONF`` as it is at the
    first database access.
    """
    global _CONFIGURED
    if _CONFIGURED:
        return
    _ensure_sqlite_directory(cfg.CONF.database.connection)
    # NOTE(threads): oslo.db's thread_checkin sleeps on every connection
    # check-in so that eventlet's green threads get a turn; with native
    # threads it only hands the GIL around once per transaction.
    context_manager.configure(sqlite_fk=True, thread_checkin=False)
    _CONFIGURED = True


def get_engine():
    """The writer engine, for migrations and the schema check."""
    configure()
    return context_manager.writer.get_engine()


def dispose():
    """Close pooled connections (tests that swap databases use this)."""
    if _CONFIGURED:
        context_manager.dispose_pool()


def reset():
    """Forget the engine so the next access reads ``[database]`` again.

    Closes the pooled connections of the current engine and installs a
    fresh, unstarted factory under ``reader``/``writer``. Call
    ``configure`` (or ``init_process``) afterwards.
    """
    global _CONFIGURED, _UNPATCH
    dispose()
    if _UNPATCH is not None:
        _UNPATCH()
    _UNPATCH = context_manager.patch_factory(_TransactionFactory())
    _CONFIGURED = False
