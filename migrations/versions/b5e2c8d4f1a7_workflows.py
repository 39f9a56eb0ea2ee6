"""workflows: taskmanager workflows that survive their taskmanager.

The API records each workflow with the change that starts it; a
taskmanager owns it under a lease it renews, records the last step that
completed, and deletes the row when the flow ends. A lapsed lease lets
another taskmanager (or the same one, restarted) resume it.

Revision ID: b5e2c8d4f1a7
Revises: e3f9c6a1d2b8
Create Date: 2026-12-04 08:00:00
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'b5e2c8d4f1a7'
down_revision = 'e3f9c6a1d2b8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'workflows',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('resource_kind', sa.String(32), nullable=False),
        sa.Column('resource_id', sa.String(36), nullable=False),
        sa.Column('operation', sa.String(32), nullable=False),
        sa.Column('holder', sa.String(255)),
        sa.Column('owner', sa.String(255)),
        sa.Column('lease_expires', sa.DateTime()),
        sa.Column('step', sa.String(64)),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('arguments', sa.Text()),
        sa.Column('request_context', sa.Text()),
        sa.Column('notification', sa.Text()),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
    )
    op.create_index('workflows_resource', 'workflows',
                    ['resource_kind', 'resource_id'])
    op.create_index('workflows_lease_expires', 'workflows',
                    ['lease_expires'])
