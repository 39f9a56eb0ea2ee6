"""Instances keep where their server is placed: the tenant's networks
(``nics``), the availability zone and the server group of their locality.

A cloud driver makes the server from them at create, and again from the
row when a create is resumed or rebuilt; before this they were accepted by
the API and dropped.

Revision ID: a4c8e2f6b1d3
Revises: b8e4d2a6c1f9
Create Date: 2026-12-05 17:40:00
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'a4c8e2f6b1d3'
down_revision = 'b8e4d2a6c1f9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('instances') as batch:
        batch.add_column(sa.Column('networks', sa.Text))
        batch.add_column(sa.Column('availability_zone', sa.String(255)))
        batch.add_column(sa.Column('locality', sa.String(64)))
        batch.add_column(sa.Column('server_group_id', sa.String(36)))
