"""Models and migrations agree on SQLite; the migration helpers work.

``tests.schema.schema_diff`` is alembic's autogenerate diff between what
the models declare and what the migrated database holds; it must be
empty. The same check on the real MariaDB is a functional test
(``tests/functional/test_migrations_mariadb.py``), so the unit suite needs
no database server.
"""

import pytest
import sqlalchemy as sa

from tests import schema
from tests.unit import db_utils
from trove_lite.common import exception
from trove_lite.db import api as db_api
from trove_lite.db import migration
from trove_lite.db import models


def test_models_match_migrations_sqlite(migrated_db):
    schema.check_models_match_migrations(db_api.get_engine())


def test_diff_detects_a_model_the_migrations_lack(migrated_db):
    # The comparison is not vacuous: an extra table shows up.
    metadata = sa.MetaData()
    for table in models.Base.metadata.tables.values():
        table.to_metadata(metadata)
    sa.Table('extra', metadata, sa.Column('id', sa.Integer,
                                          primary_key=True))
    diff = schema.schema_diff(db_api.get_engine(), metadata)
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
