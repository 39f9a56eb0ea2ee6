"""operation_progress: the latest progress report of each long operation.

Guests report how far a long operation (a backup, a restore, a prepare)
has got; the conductor keeps the latest report per resource kind,
resource id and operation, where the API can show it.

Revision ID: e3f9c6a1d2b8
Revises: 5c3e8a1f2b6d
Create Date: 2026-12-04 04:00:00
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'e3f9c6a1d2b8'
down_revision = 'a7d4e2b91c05'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'operation_progress',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('resource_kind', sa.String(32), nullable=False),
        sa.Column('resource_id', sa.String(36), nullable=False),
        sa.Column('operation', sa.String(64), nullable=False),
        sa.Column('instance_id', sa.String(36), nullable=False),
        sa.Column('step', sa.String(255)),
        sa.Column('percent', sa.Float()),
        sa.Column('bytes_done', sa.BigInteger()),
        sa.Column('bytes_total', sa.BigInteger()),
        sa.Column('message', sa.String(255)),
        sa.Column('sent', sa.Double(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
    )
    op.create_index('operation_progress_resource', 'operation_progress',
                    ['resource_kind', 'resource_id', 'operation'],
                    unique=True)
    op.create_index('operation_progress_instance_id', 'operation_progress',
                    ['instance_id'])
