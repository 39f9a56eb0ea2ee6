"""Whether the models and the migrated schema agree, for unit and
functional tests alike.

``schema_diff`` is alembic's autogenerate diff between what the models
declare and what a migrated database holds; it must be empty. The unit
suite checks it on SQLite (``tests/unit/db/test_migrations.py``), the
functional suite on the real MariaDB
(``tests/functional/test_migrations_mariadb.py``).
"""

from alembic import autogenerate
from alembic import migration as alembic_migration
import sqlalchemy as sa

from trove_lite.db import migration
from trove_lite.db import models

BOOLEAN_DEFAULTS = {'0': False, 'false': False, '1': True, 'true': True}


def _boolean_default(text):
    return BOOLEAN_DEFAULTS.get(str(text).strip("'\"").lower())


def _compare_server_default(context, inspected_column, metadata_column,
                            inspected_default, metadata_default,
                            rendered_metadata_default):
    # NOTE(mysql): MariaDB stores a sa.false() default as '0' while alembic
    # renders the model's as 'false'; the same value, so not a difference.
    if isinstance(metadata_column.type, sa.Boolean) and \
            inspected_default is not None and \
            rendered_metadata_default is not None:
        inspected = _boolean_default(inspected_default)
        rendered = _boolean_default(rendered_metadata_default)
        if inspected is not None and rendered is not None:
            return inspected != rendered
    return None


def schema_diff(engine, metadata=models.Base.metadata):
    """Differences between ``metadata`` and the database; [] when equal."""
    with engine.connect() as connection:
        context = alembic_migration.MigrationContext.configure(
            connection, opts={
                'compare_type': True,
                'compare_server_default': _compare_server_default})
        return autogenerate.compare_metadata(context, metadata)


def check_models_match_migrations(engine):
    """Upgrade ``engine``'s database to head; assert it is what the models
    declare.
    """
    migration.upgrade(engine=engine)
    assert migration.current_revision(engine) == migration.head_revision()
    assert schema_diff(engine) == []
