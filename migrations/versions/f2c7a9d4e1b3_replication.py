"""Replication: what each guest says of it, and failover per instance.

``agent_heartbeats.replication`` keeps the replication state of the last
heartbeat (role, lag, position; JSON), which the instance view shows and
a failover compares. ``instances.failover`` is the tenant's choice of
automatic failover for a replication source (NULL: the configured
default).

Revision ID: f2c7a9d4e1b3
Revises: d1a6f3b8c2e4
Create Date: 2026-12-04 19:30:00
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'f2c7a9d4e1b3'
down_revision = 'd1a6f3b8c2e4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agent_heartbeats') as batch:
        batch.add_column(sa.Column('replication', sa.Text()))
    with op.batch_alter_table('instances') as batch:
        batch.add_column(sa.Column('failover', sa.Boolean()))
