"""Index instances by slave_of_id, for the replicas of a page.

Every page of instances (and every ``show``) looks up the live replicas
of its instances (``slave_of_id IN (...)``), and the failover watch the
sources that have replicas. MariaDB indexes the foreign key on its own;
SQLite does not, and walked every live instance (the ``deleted`` index)
for each page, so a page's cost grew with the number of instances. With
``deleted`` in the index too, SQLite prefers it without statistics; on
MariaDB it takes the place of the foreign key's own index.

Revision ID: b8e4d2a6c1f9
Revises: f2c7a9d4e1b3
Create Date: 2026-12-05 11:10:00
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = 'b8e4d2a6c1f9'
down_revision = 'f2c7a9d4e1b3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('instances_slave_of_id', 'instances',
                    ['slave_of_id', 'deleted'])
