"""backups: strategies per project/instance, schedules, and what a backup
strategy needs to know about a backup later.

- ``backup_strategy`` is upstream's table (the project's or an instance's
  default Swift container).
- ``backup_schedules`` is trove_lite's own: a periodic backup of one
  instance with a retention count, run by whichever taskmanager claims it.
- ``backups.strategy_metadata`` keeps what the strategy reported about the
  stream (the strategy's name, a log sequence number for incrementals) as
  JSON; ``backups.schedule_id`` names the schedule that made a backup, so
  that retention only ever prunes that schedule's backups.

Revision ID: d1a6f3b8c2e4
Revises: b5e2c8d4f1a7
Create Date: 2026-12-04 15:10:00
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'd1a6f3b8c2e4'
down_revision = 'b5e2c8d4f1a7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'backup_strategy',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('tenant_id', sa.String(36), nullable=False),
        sa.Column('instance_id', sa.String(36), nullable=False),
        sa.Column('backend', sa.String(255), nullable=False),
        sa.Column('swift_container', sa.String(255)),
        sa.Column('created', sa.DateTime()),
        sa.UniqueConstraint('tenant_id', 'instance_id',
                            name='UQ_backup_strategy_tenant_id_instance_id'),
    )
    op.create_index('backup_strategy_tenant_id_instance_id',
                    'backup_strategy', ['tenant_id', 'instance_id'])
    op.create_table(
        'backup_schedules',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('tenant_id', sa.String(36), nullable=False),
        sa.Column('instance_id', sa.String(36), nullable=False),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('description', sa.String(512)),
        sa.Column('pattern', sa.String(64), nullable=False),
        sa.Column('keep', sa.Integer(), nullable=False),
        sa.Column('incremental', sa.Boolean(), nullable=False,
                  server_default=sa.false()),
        sa.Column('next_run', sa.DateTime(), nullable=False),
        sa.Column('last_run', sa.DateTime()),
        sa.Column('last_backup_id', sa.String(36)),
        sa.Column('created', sa.DateTime()),
        sa.Column('updated', sa.DateTime()),
        sa.Column('deleted', sa.Boolean(), nullable=False,
                  server_default=sa.false()),
        sa.Column('deleted_at', sa.DateTime()),
    )
    op.create_index('backup_schedules_next_run', 'backup_schedules',
                    ['deleted', 'next_run'])
    op.create_index('backup_schedules_instance_id', 'backup_schedules',
                    ['instance_id'])
    with op.batch_alter_table('backups') as batch:
        batch.add_column(sa.Column('strategy_metadata', sa.Text()))
        batch.add_column(sa.Column('schedule_id', sa.String(36)))
    op.create_index('backups_schedule_id', 'backups', ['schedule_id'])
    op.create_index('backups_parent_id', 'backups', ['parent_id'])
