"""Models and migrations agree on the real MariaDB.

The SQLite half lives in ``tests/unit/db/test_migrations.py``; this half
needs this machine's MariaDB (``tests.functional.fixtures``), because a
schema that only works on SQLite is a broken cloud deployment.
"""

import sqlalchemy as sa

from tests.functional import fixtures
from tests import schema
from trove_lite.db import migration


def test_models_match_migrations_mariadb():
    with fixtures.mariadb_database() as url:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        schema.check_models_match_migrations(engine)
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
