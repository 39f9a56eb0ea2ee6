"""Initial schema: datastores, flavors, configurations, instances, backups,
quotas.

The tables and their names follow upstream Trove's final schema (see
``trove_lite.db.models``), so this single revision stands for upstream's
whole chain; ``flavors`` is ours (the local compute driver's flavors).

Revision ID: c7b137c611b1
Revises:
Create Date: 2025-01-01 00:00:00
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'c7b137c611b1'
down_revision = None
branch_labels = None
depends_on = None


def _soft_delete_columns():
    return [
        sa.Column('deleted', sa.Boolean(), nullable=False,
                  server_default=sa.false()),
        sa.Column('deleted_at', sa.DateTime()),
    ]


def _timestamp_columns():
    return [
        sa.Column('created', sa.DateTime()),
        sa.Column('updated', sa.DateTime()),
    ]


def _create_datastore_tables():
    op.create_table(
        'datastores',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('name', sa.String(255), unique=True),
        sa.Column('default_version_id', sa.String(36)),
    )
    op.create_table(
        'datastore_versions',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('datastore_id', sa.String(36),
                  sa.ForeignKey('datastores.id')),
        sa.Column('name', sa.String(255)),
        sa.Column('image_id', sa.String(36)),
        sa.Column('packages', sa.String(511)),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('manager', sa.String(255)),
        sa.Column('image_tags', sa.String(255)),
        sa.Column('version', sa.String(255)),
        sa.Column('registry_ext', sa.Text(), nullable=False),
        sa.Column('repl_strategy', sa.Text(), nullable=False),
        sa.UniqueConstraint('datastore_id', 'name', 'version',
                            name='ds_versions'),
    )
    op.create_table(
        'datastore_version_metadata',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('datastore_version_id', sa.String(36),
                  sa.ForeignKey('datastore_versions.id',
                                ondelete='CASCADE')),
        sa.Column('key', sa.String(128), nullable=False),
        sa.Column('value', sa.String(128)),
        sa.Column('created', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime()),
        *_soft_delete_columns(),
        sa.UniqueConstraint('datastore_version_id', 'key', 'value',
                            name='UQ_datastore_version_metadata_'
                                 'datastore_version_id_key_value'),
    )
    op.create_table(
        'datastore_configuration_parameters',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('name', sa.String(128), primary_key=True),
        sa.Column('datastore_version_id', sa.String(36),
                  sa.ForeignKey('datastore_versions.id'), primary_key=True),
        sa.Column('restart_required', sa.Boolean(), nullable=False,
                  server_default=sa.false()),
        sa.Column('max_size', sa.String(40)),
        sa.Column('min_size', sa.String(40)),
        sa.Column('data_type', sa.String(128), nullable=False),
        sa.UniqueConstraint('datastore_version_id', 'name',
                            name='UQ_datastore_configuration_parameters_'
                                 'datastore_version_id_name'),
    )


def _create_flavor_table():
    op.create_table(
        'flavors',
        sa.Column('id', sa.String(255), primary_key=True),
        sa.Column('name', sa.String(255), nullable=False, unique=True),
        sa.Column('ram', sa.Integer(), nullable=False),
        sa.Column('vcpus', sa.Integer(), nullable=False),
        sa.Column('disk', sa.Integer(), nullable=False),
        sa.Column('ephemeral', sa.Integer(), nullable=False),
        sa.Column('created', sa.DateTime()),
    )


def _create_configuration_tables():
    op.create_table(
        'configurations',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('name', sa.String(64), nullable=False),
        sa.Column('description', sa.String(256)),
        sa.Column('tenant_id', sa.String(36), nullable=False),
        sa.Column('datastore_version_id', sa.String(36), nullable=False),
        *_soft_delete_columns(),
        *_timestamp_columns(),
    )
    op.create_table(
        'configuration_parameters',
        sa.Column('configuration_id', sa.String(36),
                  sa.ForeignKey('configurations.id'), primary_key=True),
        sa.Column('configuration_key', sa.String(128), primary_key=True),
        sa.Column('configuration_value', sa.String(128)),
        *_soft_delete_columns(),
    )


def _create_instance_tables():
    op.create_table(
        'clusters',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('created', sa.DateTime(), nullable=False),
        sa.Column('updated', sa.DateTime(), nullable=False),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.String(36), nullable=False),
        sa.Column('datastore_version_id', sa.String(36),
                  sa.ForeignKey('datastore_versions.id'), nullable=False),
        sa.Column('configuration_id', sa.String(36),
                  sa.ForeignKey('configurations.id')),
        *_soft_delete_columns(),
    )
    op.create_index('clusters_tenant_id', 'clusters', ['tenant_id'])
    op.create_index('clusters_deleted', 'clusters', ['deleted'])

    op.create_table(
        'instances',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('name', sa.String(255)),
        sa.Column('hostname', sa.String(255)),
        sa.Column('compute_instance_id', sa.String(36)),
        sa.Column('task_id', sa.Integer()),
        sa.Column('task_description', sa.String(255)),
        sa.Column('task_start_time', sa.DateTime()),
        sa.Column('volume_id', sa.String(36)),
        sa.Column('flavor_id', sa.String(255)),
        sa.Column('volume_size', sa.Integer()),
        sa.Column('tenant_id', sa.String(36)),
        sa.Column('server_status', sa.String(64)),
        sa.Column('datastore_version_id', sa.String(36),
                  sa.ForeignKey('datastore_versions.id')),
        sa.Column('configuration_id', sa.String(36),
                  sa.ForeignKey('configurations.id')),
        sa.Column('slave_of_id', sa.String(36),
                  sa.ForeignKey('instances.id')),
        sa.Column('cluster_id', sa.String(36), sa.ForeignKey('clusters.id')),
        sa.Column('shard_id', sa.String(36)),
        sa.Column('type', sa.String(64)),
        sa.Column('region_id', sa.String(255)),
        sa.Column('encrypted_key', sa.String(255)),
        sa.Column('access', sa.Text()),
        *_timestamp_columns(),
        *_soft_delete_columns(),
    )
    op.create_index('instances_tenant_id', 'instances', ['tenant_id'])
    op.create_index('instances_deleted', 'instances', ['deleted'])
    op.create_index('instances_cluster_id', 'instances', ['cluster_id'])

    op.create_table(
        'instance_faults',
        sa.Column('id', sa.String(64), primary_key=True),
        sa.Column('instance_id', sa.String(64),
                  sa.ForeignKey('instances.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('message', sa.String(255), nullable=False),
        sa.Column('details', sa.Text(), nullable=False),
        sa.Column('created', sa.DateTime(), nullable=False),
        sa.Column('updated', sa.DateTime(), nullable=False),
        *_soft_delete_columns(),
    )
    op.create_table(
        'service_statuses',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('instance_id', sa.String(36), nullable=False),
        sa.Column('status_id', sa.Integer(), nullable=False),
        sa.Column('status_description', sa.String(64), nullable=False),
        sa.Column('updated_at', sa.DateTime()),
    )
    op.create_index('service_statuses_instance_id', 'service_statuses',
                    ['instance_id'])
    op.create_table(
        'root_enabled_history',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('user', sa.String(255)),
        sa.Column('created', sa.DateTime()),
        sa.Column('deleted_at', sa.DateTime()),
    )


def _create_backup_table():
    op.create_table(
        'backups',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('description', sa.String(512)),
        sa.Column('location', sa.String(1024)),
        sa.Column('backup_type', sa.String(32)),
        sa.Column('size', sa.Float()),
        sa.Column('tenant_id', sa.String(36)),
        sa.Column('state', sa.String(32), nullable=False),
        sa.Column('instance_id', sa.String(36)),
        sa.Column('checksum', sa.String(32)),
        sa.Column('backup_timestamp', sa.DateTime()),
        sa.Column('created', sa.DateTime()),
        sa.Column('updated', sa.DateTime()),
        sa.Column('parent_id', sa.String(36)),
        sa.Column('datastore_version_id', sa.String(36),
                  sa.ForeignKey('datastore_versions.id')),
        sa.Column('storage_driver', sa.Text()),
        *_soft_delete_columns(),
    )
    op.create_index('backups_instance_id', 'backups', ['instance_id'])
    op.create_index('backups_deleted', 'backups', ['deleted'])


def _create_quota_tables():
    op.create_table(
        'quotas',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('tenant_id', sa.String(36)),
        sa.Column('resource', sa.String(255), nullable=False),
        sa.Column('hard_limit', sa.Integer()),
        *_timestamp_columns(),
        sa.UniqueConstraint('tenant_id', 'resource',
                            name='UQ_quotas_tenant_id_resource'),
    )
    op.create_table(
        'quota_usages',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('tenant_id', sa.String(36)),
        sa.Column('in_use', sa.Integer()),
        sa.Column('reserved', sa.Integer()),
        sa.Column('resource', sa.String(255), nullable=False),
        *_timestamp_columns(),
        sa.UniqueConstraint('tenant_id', 'resource',
                            name='UQ_quota_usages_tenant_id_resource'),
    )
    op.create_table(
        'reservations',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('usage_id', sa.String(36)),
        sa.Column('delta', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(36)),
        *_timestamp_columns(),
    )


def upgrade():
    _create_datastore_tables()
    _create_flavor_table()
    _create_configuration_tables()
    _create_instance_tables()
    _create_backup_table()
    _create_quota_tables()
