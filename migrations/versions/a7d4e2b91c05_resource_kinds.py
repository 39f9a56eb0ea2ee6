"""Resource kinds: backups and clusters get a task deadline and a lock
holder like instances, and kinds without a fault table of their own store
faults in ``resource_faults``.

``backups.state`` stays the backups' task column and ``clusters.task_id``
the clusters'; ``instances`` has all of it since 4f1d0c2a9b7e.

Revision ID: a7d4e2b91c05
Revises: 5c3e8a1f2b6d
Create Date: 2026-12-04 04:00:00
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'a7d4e2b91c05'
down_revision = '5c3e8a1f2b6d'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('backups', 'clusters'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('task_start_time', sa.DateTime()))
            batch.add_column(sa.Column('task_deadline', sa.DateTime()))
            batch.add_column(sa.Column('lock_holder', sa.String(255)))

    op.create_table(
        'resource_faults',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('resource_kind', sa.String(64), nullable=False),
        sa.Column('resource_id', sa.String(64), nullable=False),
        sa.Column('message', sa.String(255), nullable=False),
        sa.Column('details', sa.Text(), nullable=False),
        sa.Column('created', sa.DateTime(), nullable=False),
        sa.Column('updated', sa.DateTime(), nullable=False),
        sa.Column('deleted', sa.Boolean(), nullable=False,
                  server_default=sa.false()),
        sa.Column('deleted_at', sa.DateTime()),
    )
    op.create_index('resource_faults_kind_resource_id', 'resource_faults',
                    ['resource_kind', 'resource_id'])
