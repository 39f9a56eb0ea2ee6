"""Every repository test runs on a fresh SQLite file migrated to head,
so that the repositories are tested against the migrations' schema.
"""

import pytest


@pytest.fixture(autouse=True)
def _migrated(migrated_db):
    yield migrated_db
