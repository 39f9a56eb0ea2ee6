"""Alembic environment of the trove_lite infrastructure database.

There is no ``alembic.ini``: ``trove_lite.db.migration`` builds the alembic
``Config`` in code, so ``trove-lite-manage db_sync`` needs nothing but
trove_lite's own configuration. The caller hands its connection in through
``config.attributes['connection']`` (so migrations run on the engine the
rest of the process uses, inside one transaction the caller controls);
without one, this module connects to ``[database] connection`` itself.

Only online migrations are supported: offline SQL generation would need a
dialect per deployment and nobody asked for it.
"""

from alembic import context
from oslo_config import cfg
import sqlalchemy as sa

from trove_lite.db import models

config = context.config
target_metadata = models.Base.metadata


def _configure_and_run(connection):
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == 'sqlite',
                      compare_type=True, compare_server_default=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run every pending revision on the caller's or our own connection."""
    connectable = config.attributes.get('connection')
    if connectable is None:
        connectable = sa.create_engine(cfg.CONF.database.connection,
                                       poolclass=sa.pool.NullPool)
    if isinstance(connectable, sa.engine.Engine):
        with connectable.connect() as connection:
            _configure_and_run(connection)
            connection.commit()
    else:
        _configure_and_run(connectable)


if context.is_offline_mode():
    raise SystemExit('trove_lite migrations run online only: use '
                     '"trove-lite-manage db_sync".')
run_migrations_online()
