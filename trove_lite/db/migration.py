"""Schema migrations of the infrastructure database (alembic).

Why alembic, and why here: upstream Trove reflected its tables from the
live database at start-up, so code and schema could drift apart silently.
trove_lite declares its tables (``trove_lite.db.models``) and changes them
only through alembic revisions in the top-level ``migrations/`` directory;
``tests/unit/db/test_migrations.py`` (SQLite) and
``tests/functional/test_migrations_mariadb.py`` (MariaDB) prove the two
agree.

There is no ``alembic.ini``: the alembic ``Config`` is built here, in code,
from trove_lite's own configuration, so operators never keep a second file
in step. The environment directory is found in this order:

1. ``[database] migrations_path``, when an operator sets it;
2. ``migrations/`` of the source tree (a git checkout or an editable
   install, where this package sits next to it);
3. ``<sys.prefix>/share/trove-lite/migrations``, where ``setup.cfg``'s
   ``data_files`` install it with the package.

Every process runs migrations on the engine ``trove_lite.db.api`` already
uses (handed to ``migrations/env.py`` through
``config.attributes['connection']``), inside one transaction. The version
table is alembic's default, ``alembic_version``, as upstream's.
"""

import os
import sys

from alembic import command as alembic_command
from alembic import config as alembic_config
from alembic import migration as alembic_migration
from alembic import script as alembic_script
from oslo_log import log as logging

from trove_lite.common import exception
# NOTE(conf): registers [database] migrations_path, which a caller that
# loads nothing else of ours (a test of the migrations) has not.
from trove_lite import conf
from trove_lite.db import api as db_api

LOG = logging.getLogger(__name__)

VERSION_TABLE = 'alembic_version'
_SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def _candidate_paths():
    configured = conf.CONF.database.migrations_path
    if configured:
        return [configured]
    return [os.path.join(_SOURCE_ROOT, 'migrations'),
            os.path.join(sys.prefix, 'share', 'trove-lite', 'migrations')]


def find_migrations_path():
    """The directory holding ``env.py`` and ``versions/``.

    :raises ServerError: no candidate directory has an ``env.py``; the
        message lists where we looked.
    """
    candidates = _candidate_paths()
    for path in candidates:
        if os.path.isfile(os.path.join(path, 'env.py')):
            return path
    raise exception.ServerError(
        'No alembic migrations found (looked in %s); set [database] '
        'migrations_path.' % ', '.join(candidates))


def alembic_cfg(connection=None):
    """An alembic ``Config`` for our environment, built without a file.

    :param connection: a SQLAlchemy connection for ``env.py`` to use.
    :raises ServerError: see ``find_migrations_path``.
    """
    config = alembic_config.Config()
    config.set_main_option('script_location', find_migrations_path())
    config.set_main_option('version_table', VERSION_TABLE)
    if connection is not None:
        config.attributes['connection'] = connection
    return config


def head_revision():
    """The newest revision this code knows; ``None`` if there is none.

    :raises ServerError: see ``find_migrations_path``.
    """
    script = alembic_script.ScriptDirectory.from_config(alembic_cfg())
    return script.get_current_head()


def current_revision(engine=None):
    """The revision the database is at; ``None`` for an empty database.

    :param engine: defaults to the engine of ``trove_lite.db.api``.
    """
    engine = engine or db_api.get_engine()
    with engine.connect() as connection:
        context = alembic_migration.MigrationContext.configure(
            connection, opts={'version_table': VERSION_TABLE})
        return context.get_current_revision()


def is_current(engine=None):
    """Whether the database is at the head revision."""
    return current_revision(engine) == head_revision()


def check_current(engine=None):
    """:raises DatabaseSchemaNotCurrent: the database lags (or is ahead)."""
    current = current_revision(engine)
    head = head_revision()
    if current != head:
        raise exception.DatabaseSchemaNotCurrent(current=current or 'none',
                                                 head=head)


def upgrade(revision='head', engine=None):
    """Upgrade the database to ``revision``; a no-op when already there.

    :param engine: defaults to the engine of ``trove_lite.db.api``.
    :returns: the revision the database is at afterwards.
    :raises ServerError: see ``find_migrations_path``.
    """
    engine = engine or db_api.get_engine()
    before = current_revision(engine)
    with engine.begin() as connection:
        alembic_command.upgrade(alembic_cfg(connection), revision)
    after = current_revision(engine)
    if before != after:
        LOG.info('Infrastructure database upgraded from %s to %s',
                 before or 'empty', after)
    return after
