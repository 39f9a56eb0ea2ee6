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
"""

import os

from oslo_config import cfg
from oslo_db.sqlalchemy import enginefacade
from sqlalchemy.engine import url as sa_url

context_manager = enginefacade.transaction_context()

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
    context_manager.configure(sqlite_fk=True)
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
    _UNPATCH = context_manager.patch_factory(
        enginefacade.transaction_context())
    _CONFIGURED = False
