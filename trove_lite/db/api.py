"""Sessions on the infrastructure database (oslo.db enginefacade).

Repository functions are decorated with ``reader``/``writer`` and take a
``RequestContext`` first; the facade opens one transaction per outermost
decorated call and commits it when that call returns, so a repository
function that calls another shares its transaction.
"""

import os

from oslo_config import cfg
from oslo_db.sqlalchemy import enginefacade
from sqlalchemy.engine import url as sa_url

reader = enginefacade.reader
writer = enginefacade.writer

_CONFIGURED = False


def _ensure_sqlite_directory(connection):
    """Create the directory of a SQLite file so a first start just works."""
    url = sa_url.make_url(connection)
    if url.get_backend_name() == 'sqlite' and url.database not in (
            None, '', ':memory:'):
        directory = os.path.dirname(os.path.abspath(url.database))
        os.makedirs(directory, exist_ok=True)


def configure():
    """Prepare the facade from ``[database]``; call once per process."""
    global _CONFIGURED
    if _CONFIGURED:
        return
    _ensure_sqlite_directory(cfg.CONF.database.connection)
    enginefacade.configure(sqlite_fk=True)
    _CONFIGURED = True


def get_engine():
    """The writer engine, for migrations and the schema check."""
    configure()
    return enginefacade.writer.get_engine()


def dispose():
    """Close pooled connections (tests that swap databases use this)."""
    if _CONFIGURED:
        enginefacade.writer.get_engine().dispose()
