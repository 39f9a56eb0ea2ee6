"""Models and migrations agree, on SQLite and on a real MariaDB.

``compare_metadata`` is alembic's autogenerate diff between what the
models declare and what the migrated database holds; it must be empty.
MariaDB is this machine's server (``tests.functional.fixtures``): if it is
unreachable these tests fail, because a schema that only works on SQLite
is a broken cloud deployment.
"""

from alembic import autogenerate
from alembic import migration as alembic_migration
import pytest
import sqlalchemy as sa

from tests.functional import fixtures
from tests.unit import db_utils
from trove_lite.common import exception
from trove_lite.db import api as db_api
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


def _check_models_match_migrations(engine):
    migration.upgrade(engine=engine)
    assert migration.current_revision(engine) == migration.head_revision()
    assert schema_diff(engine) == []


def test_models_match_migrations_sqlite(migrated_db):
    _check_models_match_migrations(db_api.get_engine())


def test_models_match_migrations_mariadb():
    with fixtures.mariadb_database() as url:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        _check_models_match_migrations(engine)
        assert schema_diff(engine) == []
        # The unique constraints and foreign keys really are there.
        inspector = sa.inspect(engine)
        fks = inspector.get_foreign_keys('datastore_version_metadata')
        assert fks[0]['options'].get('ondelete') == 'CASCADE'
        uniques = {u['name'] for u in
                   inspector.get_unique_constraints('datastore_versions')}
        assert 'ds_versions' in uniques


def test_heartbeat_times_keep_their_precision_on_mariadb():
    # A FLOAT column rounded epoch seconds to multiples of 128, so each
    # heartbeat after an instance's first one was dropped as stale.
    sent = 1795316105.25
    with fixtures.mariadb_database() as url:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        migration.upgrade(engine=engine)
        with engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO agent_heartbeats (id, instance_id, updated_at, "
                "sent, deleted) VALUES ('h', 'i', NOW(), :sent, 0)"),
                {'sent': sent})
            stored = connection.execute(sa.text(
                'SELECT sent FROM agent_heartbeats')).scalar()
        engine.dispose()
    assert stored == sent


def test_diff_detects_a_model_the_migrations_lack(migrated_db):
    # The comparison is not vacuous: an extra table shows up.
    metadata = sa.MetaData()
    for table in models.Base.metadata.tables.values():
        table.to_metadata(metadata)
    sa.Table('extra', metadata, sa.Column('id', sa.Integer,
                                          primary_key=True))
    diff = schema_diff(db_api.get_engine(), metadata)
    assert [d[0] for d in diff] == ['add_table']


def test_every_model_table_is_created(migrated_db):
    tables = set(sa.inspect(db_api.get_engine()).get_table_names())
    assert set(models.Base.metadata.tables) | {'alembic_version'} == tables


def test_upgrade_is_idempotent(migrated_db):
    head = migration.head_revision()
    assert migration.upgrade() == head
    assert migration.upgrade() == head
    assert migration.is_current()


def test_empty_database_reports_no_revision(sqlite_url):
    with db_utils.database(sqlite_url):
        assert migration.current_revision() is None
        assert not migration.is_current()
        with pytest.raises(exception.DatabaseSchemaNotCurrent) as info:
            migration.check_current()
        assert 'db_sync' in str(info.value)
        migration.upgrade()
        assert migration.is_current()
        migration.check_current()


def test_head_revision_is_known_without_a_database():
    head = migration.head_revision()
    assert head is not None
    assert migration.head_revision() == head


class TestFindMigrationsPath:

    def test_source_tree(self):
        path = migration.find_migrations_path()
        assert path.endswith('migrations')

    def test_installed_share_directory(self, tmp_path, monkeypatch):
        installed = tmp_path / 'share' / 'trove-lite' / 'migrations'
        installed.mkdir(parents=True)
        (installed / 'env.py').write_text('')
        monkeypatch.setattr(migration, '_SOURCE_ROOT', str(tmp_path / 'src'))
        monkeypatch.setattr(migration.sys, 'prefix', str(tmp_path))
        assert migration.find_migrations_path() == str(installed)

    def test_configured_path_wins(self, tmp_path):
        (tmp_path / 'env.py').write_text('')
        db_utils.CONF.set_override('migrations_path', str(tmp_path),
                                   group='database')
        try:
            assert migration.find_migrations_path() == str(tmp_path)
        finally:
            db_utils.CONF.clear_override('migrations_path', group='database')

    def test_missing_path_is_a_clear_error(self, tmp_path):
        db_utils.CONF.set_override('migrations_path', str(tmp_path / 'no'),
                                   group='database')
        try:
            with pytest.raises(exception.ServerError) as info:
                migration.find_migrations_path()
            assert 'migrations_path' in str(info.value)
        finally:
            db_utils.CONF.clear_override('migrations_path', group='database')
