"""Instance lifecycle: task deadlines, row locks, addresses, heartbeats,
local servers.

Revision ID: 4f1d0c2a9b7e
Revises: c7b137c611b1
Create Date: 2026-11-22 00:00:00
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '4f1d0c2a9b7e'
down_revision = 'c7b137c611b1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('instances') as batch:
        batch.add_column(sa.Column('task_deadline', sa.DateTime()))
        batch.add_column(sa.Column('lock_holder', sa.String(255)))
        batch.add_column(sa.Column('addresses', sa.Text()))

    op.create_table(
        'agent_heartbeats',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('instance_id', sa.String(36), nullable=False),
        sa.Column('guest_agent_version', sa.String(255)),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('sent', sa.Float()),
        sa.Column('volume_used', sa.Float()),
        sa.Column('volume_total', sa.Float()),
        sa.Column('deleted', sa.Boolean(), nullable=False,
                  server_default=sa.false()),
        sa.Column('deleted_at', sa.DateTime()),
    )
    op.create_index('agent_heartbeats_instance_id', 'agent_heartbeats',
                    ['instance_id'], unique=True)
    op.create_index('agent_heartbeats_guest_agent_version',
                    'agent_heartbeats', ['guest_agent_version'])
    op.create_index('agent_heartbeats_deleted', 'agent_heartbeats',
                    ['deleted'])

    op.create_table(
        'local_servers',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('instance_id', sa.String(36), nullable=False,
                  unique=True),
        sa.Column('address', sa.String(45), nullable=False, unique=True),
        sa.Column('path', sa.String(1024), nullable=False),
        sa.Column('host', sa.String(255)),
        sa.Column('created', sa.DateTime()),
    )
