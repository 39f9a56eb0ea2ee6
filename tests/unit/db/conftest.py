"""Database fixtures for unit tests: a migrated SQLite file per test."""

import pytest

from tests.unit import db_utils


@pytest.fixture
def sqlite_url(tmp_path):
    return 'sqlite:///%s' % (tmp_path / 'trove_lite.sqlite')


@pytest.fixture
def migrated_db(sqlite_url):
    """Point trove_lite.db.api at a fresh SQLite file at the head revision."""
    with db_utils.database(sqlite_url, migrate=True):
        yield sqlite_url
