"""agent_heartbeats.sent is a double.

MySQL's FLOAT is single precision: epoch seconds were stored rounded to
multiples of 128, so every heartbeat after the first one of an instance
looked older than the stored one and was dropped as stale.

Revision ID: 9b2e61f0d3a4
Revises: 4f1d0c2a9b7e
Create Date: 2026-11-22 03:00:00
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '9b2e61f0d3a4'
down_revision = '4f1d0c2a9b7e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agent_heartbeats') as batch:
        batch.alter_column('sent', existing_type=sa.Float(),
                           type_=sa.Double())
