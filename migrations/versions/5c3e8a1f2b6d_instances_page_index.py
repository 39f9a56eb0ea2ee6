"""Index instances by (tenant_id, id) for listing.

A project's instances are listed in pages ordered by id. With only the
``tenant_id`` and ``deleted`` indexes, the database reads every live
instance of the project and sorts them to cut one page; with this index it
walks the project's instances in id order and stops at the page's end.

Revision ID: 5c3e8a1f2b6d
Revises: 9b2e61f0d3a4
Create Date: 2026-11-30 11:30:00
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = '5c3e8a1f2b6d'
down_revision = '9b2e61f0d3a4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('instances_tenant_id_id', 'instances', ['tenant_id', 'id'])
