"""Declarative models of the infrastructure database.

The tables follow upstream Trove's final alembic state (names, columns,
types) so that operators and tools that know that schema find their way,
plus ``flavors`` for the local compute driver. The models only describe
storage: the API's shapes live in ``trove_lite.api.views``, and the rules
about what may change in ``trove_lite.db.repositories``.

Every change here needs an alembic revision in ``migrations/versions``;
``tests/unit/db/test_migrations.py`` fails until models and migrations
agree.
"""

import datetime

import sqlalchemy as sa
from sqlalchemy import orm


def utcnow():
    """Naive UTC now, the way every timestamp column stores time."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class Base(orm.DeclarativeBase):
    """Base of every model; ``to_dict`` for logs and tests."""

    def to_dict(self):
        return {c.key: getattr(self, c.key)
                for c in sa.inspect(self).mapper.column_attrs}


class TimestampMixin:
    created = sa.Column(sa.DateTime, default=utcnow)
    updated = sa.Column(sa.DateTime, default=utcnow, onupdate=utcnow)


class SoftDeleteMixin:
    deleted = sa.Column(sa.Boolean, nullable=False, default=False,
                        server_default=sa.false())
    deleted_at = sa.Column(sa.DateTime)


# -- Datastores ---------------------------------------------------------------

class Datastore(Base):
    __tablename__ = 'datastores'

    id = sa.Column(sa.String(36), primary_key=True)
    name = sa.Column(sa.String(255), unique=True)
    default_version_id = sa.Column(sa.String(36))


class DatastoreVersion(Base):
    __tablename__ = 'datastore_versions'
    __table_args__ = (
        sa.UniqueConstraint('datastore_id', 'name', 'version',
                            name='ds_versions'),
    )

    id = sa.Column(sa.String(36), primary_key=True)
    datastore_id = sa.Column(sa.String(36), sa.ForeignKey('datastores.id'))
    name = sa.Column(sa.String(255))
    image_id = sa.Column(sa.String(36))
    packages = sa.Column(sa.String(511))
    active = sa.Column(sa.Boolean, nullable=False)
    manager = sa.Column(sa.String(255))
    image_tags = sa.Column(sa.String(255))
    version = sa.Column(sa.String(255))
    registry_ext = sa.Column(sa.Text, nullable=False)
    repl_strategy = sa.Column(sa.Text, nullable=False)

    datastore = orm.relationship(Datastore, lazy='joined')


class DatastoreVersionMetadata(SoftDeleteMixin, Base):
    """Constraints of a version: allowed flavors and volume types."""

    __tablename__ = 'datastore_version_metadata'
    __table_args__ = (
        sa.UniqueConstraint('datastore_version_id', 'key', 'value',
                            name='UQ_datastore_version_metadata_'
                                 'datastore_version_id_key_value'),
    )

    id = sa.Column(sa.String(36), primary_key=True)
    datastore_version_id = sa.Column(
        sa.String(36),
        sa.ForeignKey('datastore_versions.id', ondelete='CASCADE'))
    key = sa.Column(sa.String(128), nullable=False)
    value = sa.Column(sa.String(128))
    created = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(sa.DateTime, default=utcnow, onupdate=utcnow)


class DatastoreConfigurationParameter(Base):
    """A validation rule for one configuration parameter of a version."""

    __tablename__ = 'datastore_configuration_parameters'
    __table_args__ = (
        sa.UniqueConstraint('datastore_version_id', 'name',
                            name='UQ_datastore_configuration_parameters_'
                                 'datastore_version_id_name'),
    )

    id = sa.Column(sa.String(36), primary_key=True)
    name = sa.Column(sa.String(128), primary_key=True)
    datastore_version_id = sa.Column(
        sa.String(36), sa.ForeignKey('datastore_versions.id'),
        primary_key=True)
    restart_required = sa.Column(sa.Boolean, nullable=False, default=False,
                                 server_default=sa.false())
    max_size = sa.Column(sa.String(40))
    min_size = sa.Column(sa.String(40))
    data_type = sa.Column(sa.String(128), nullable=False)


# -- Flavors (local compute driver) -------------------------------------------

class Flavor(Base):
    """A flavor of the catalogue: the local driver's own, or a copy of a
    cloud driver's (``repositories.flavors``).
    """

    __tablename__ = 'flavors'

    id = sa.Column(sa.String(255), primary_key=True)
    name = sa.Column(sa.String(255), nullable=False, unique=True)
    ram = sa.Column(sa.Integer, nullable=False)
    vcpus = sa.Column(sa.Integer, nullable=False)
    disk = sa.Column(sa.Integer, nullable=False, default=0)
    ephemeral = sa.Column(sa.Integer, nullable=False, default=0)
    created = sa.Column(sa.DateTime, default=utcnow)


# -- Configurations -----------------------------------------------------------

class Configuration(TimestampMixin, Base):
    __tablename__ = 'configurations'

    id = sa.Column(sa.String(36), primary_key=True)
    name = sa.Column(sa.String(64), nullable=False)
    description = sa.Column(sa.String(256))
    tenant_id = sa.Column(sa.String(36), nullable=False)
    datastore_version_id = sa.Column(sa.String(36), nullable=False)
    deleted = sa.Column(sa.Boolean, nullable=False, default=False,
                        server_default=sa.false())
    deleted_at = sa.Column(sa.DateTime)


class ConfigurationParameter(Base):
    __tablename__ = 'configuration_parameters'

    configuration_id = sa.Column(sa.String(36),
                                 sa.ForeignKey('configurations.id'),
                                 primary_key=True)
    configuration_key = sa.Column(sa.String(128), primary_key=True)
    configuration_value = sa.Column(sa.String(128))
    deleted = sa.Column(sa.Boolean, nullable=False, default=False,
                        server_default=sa.false())
    deleted_at = sa.Column(sa.DateTime)


# -- Clusters and instances ---------------------------------------------------

class Cluster(SoftDeleteMixin, Base):
    __tablename__ = 'clusters'
    __table_args__ = (
        sa.Index('clusters_tenant_id', 'tenant_id'),
        sa.Index('clusters_deleted', 'deleted'),
    )

    id = sa.Column(sa.String(36), primary_key=True)
    created = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    updated = sa.Column(sa.DateTime, nullable=False, default=utcnow,
                        onupdate=utcnow)
    name = sa.Column(sa.String(255), nullable=False)
    task_id = sa.Column(sa.Integer, nullable=False)
    tenant_id = sa.Column(sa.String(36), nullable=False)
    datastore_version_id = sa.Column(sa.String(36),
                                     sa.ForeignKey('datastore_versions.id'),
                                     nullable=False)
    configuration_id = sa.Column(sa.String(36),
                                 sa.ForeignKey('configurations.id'))
    # trove_lite: the task's start and deadline and the cluster's lock
    # holder, as on instances (common/state_machine.py CLUSTER).
    task_start_time = sa.Column(sa.DateTime)
    task_deadline = sa.Column(sa.DateTime)
    lock_holder = sa.Column(sa.String(255))


class Instance(TimestampMixin, SoftDeleteMixin, Base):
    __tablename__ = 'instances'
    __table_args__ = (
        sa.Index('instances_tenant_id', 'tenant_id'),
        # NOTE(listing): pages of a project's instances, in id order.
        sa.Index('instances_tenant_id_id', 'tenant_id', 'id'),
        sa.Index('instances_deleted', 'deleted'),
        sa.Index('instances_cluster_id', 'cluster_id'),
        # NOTE(listing): the replicas of a page's instances.
        sa.Index('instances_slave_of_id', 'slave_of_id', 'deleted'),
    )

    id = sa.Column(sa.String(36), primary_key=True)
    name = sa.Column(sa.String(255))
    hostname = sa.Column(sa.String(255))
    compute_instance_id = sa.Column(sa.String(36))
    task_id = sa.Column(sa.Integer)
    task_description = sa.Column(sa.String(255))
    task_start_time = sa.Column(sa.DateTime)
    volume_id = sa.Column(sa.String(36))
    flavor_id = sa.Column(sa.String(255))
    volume_size = sa.Column(sa.Integer)
    tenant_id = sa.Column(sa.String(36))
    server_status = sa.Column(sa.String(64))
    datastore_version_id = sa.Column(sa.String(36),
                                     sa.ForeignKey('datastore_versions.id'))
    configuration_id = sa.Column(sa.String(36),
                                 sa.ForeignKey('configurations.id'))
    slave_of_id = sa.Column(sa.String(36), sa.ForeignKey('instances.id'))
    cluster_id = sa.Column(sa.String(36), sa.ForeignKey('clusters.id'))
    shard_id = sa.Column(sa.String(36))
    type = sa.Column(sa.String(64))
    region_id = sa.Column(sa.String(255))
    encrypted_key = sa.Column(sa.String(255))
    access = sa.Column(sa.Text)
    # The tenant's networks (JSON list of {'net_id'}), zone and server
    # group of the server (a4c8e2f6b1d3).
    networks = sa.Column(sa.Text)
    availability_zone = sa.Column(sa.String(255))
    locality = sa.Column(sa.String(64))
    server_group_id = sa.Column(sa.String(36))
    # trove_lite: when the current transitional task must be over (see
    # common/state_machine.py), who holds the instance's lock, and the
    # addresses of its server (JSON list of {"address", "type"}).
    task_deadline = sa.Column(sa.DateTime)
    lock_holder = sa.Column(sa.String(255))
    addresses = sa.Column(sa.Text)
    # trove_lite: automatic failover of a replication source (None: the
    # configured default).
    failover = sa.Column(sa.Boolean)


class InstanceFault(SoftDeleteMixin, Base):
    __tablename__ = 'instance_faults'

    id = sa.Column(sa.String(64), primary_key=True)
    instance_id = sa.Column(sa.String(64),
                            sa.ForeignKey('instances.id', ondelete='CASCADE'),
                            nullable=False)
    message = sa.Column(sa.String(255), nullable=False)
    details = sa.Column(sa.Text, nullable=False)
    created = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    updated = sa.Column(sa.DateTime, nullable=False, default=utcnow,
                        onupdate=utcnow)


class ResourceFault(SoftDeleteMixin, Base):
    """Why a backup, a cluster (any kind without a fault table of its own)
    failed: the faults of ``instance_faults``, keyed by kind and id.
    """

    __tablename__ = 'resource_faults'
    __table_args__ = (
        sa.Index('resource_faults_kind_resource_id', 'resource_kind',
                 'resource_id'),
    )

    id = sa.Column(sa.String(36), primary_key=True)
    resource_kind = sa.Column(sa.String(64), nullable=False)
    resource_id = sa.Column(sa.String(64), nullable=False)
    message = sa.Column(sa.String(255), nullable=False)
    details = sa.Column(sa.Text, nullable=False)
    created = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    updated = sa.Column(sa.DateTime, nullable=False, default=utcnow,
                        onupdate=utcnow)


class ServiceStatus(Base):
    """What the guest agent last reported about its datastore."""

    __tablename__ = 'service_statuses'
    __table_args__ = (
        sa.Index('service_statuses_instance_id', 'instance_id'),
    )

    id = sa.Column(sa.String(36), primary_key=True)
    instance_id = sa.Column(sa.String(36), nullable=False)
    status_id = sa.Column(sa.Integer, nullable=False)
    status_description = sa.Column(sa.String(64), nullable=False)
    updated_at = sa.Column(sa.DateTime, default=utcnow, onupdate=utcnow)


class AgentHeartbeat(SoftDeleteMixin, Base):
    """The last heartbeat of an instance's guest agent.

    ``sent`` is the agent's own clock at sending, so that a report older
    than the one stored is recognised and dropped; the volume figures are
    what ``show`` serves without asking the guest.
    """

    __tablename__ = 'agent_heartbeats'
    __table_args__ = (
        sa.Index('agent_heartbeats_instance_id', 'instance_id',
                 unique=True),
        sa.Index('agent_heartbeats_guest_agent_version',
                 'guest_agent_version'),
        sa.Index('agent_heartbeats_deleted', 'deleted'),
    )

    id = sa.Column(sa.String(36), primary_key=True)
    instance_id = sa.Column(sa.String(36), nullable=False)
    guest_agent_version = sa.Column(sa.String(255))
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    # NOTE(mysql): a double: MySQL's FLOAT keeps 24 bits, which rounds
    # today's epoch seconds to multiples of 128, and a heartbeat would
    # then look older than the one stored.
    sent = sa.Column(sa.Double)
    volume_used = sa.Column(sa.Float)
    volume_total = sa.Column(sa.Float)
    # The guest's replication state (JSON, ``replication_reports``).
    replication = sa.Column(sa.Text)


class OperationProgress(Base):
    """How far a long operation on a resource has got, as its guest said.

    One row per (resource kind, resource id, operation): the latest report
    replaces the one before. ``sent`` is the guest's clock, so an older
    report than the stored one is dropped; ``instance_id`` is the instance
    whose key sealed it (a backup's instance, for a backup).
    """

    __tablename__ = 'operation_progress'
    __table_args__ = (
        sa.Index('operation_progress_resource', 'resource_kind',
                 'resource_id', 'operation', unique=True),
        sa.Index('operation_progress_instance_id', 'instance_id'),
    )

    id = sa.Column(sa.String(36), primary_key=True)
    resource_kind = sa.Column(sa.String(32), nullable=False)
    resource_id = sa.Column(sa.String(36), nullable=False)
    operation = sa.Column(sa.String(64), nullable=False)
    instance_id = sa.Column(sa.String(36), nullable=False)
    step = sa.Column(sa.String(255))
    percent = sa.Column(sa.Float)
    bytes_done = sa.Column(sa.BigInteger)
    bytes_total = sa.Column(sa.BigInteger)
    message = sa.Column(sa.String(255))
    # NOTE(mysql): a double, as agent_heartbeats.sent (epoch seconds).
    sent = sa.Column(sa.Double, nullable=False)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


class Workflow(Base):
    """A running (or waiting) workflow of the taskmanagers: what lets
    another taskmanager, or the same one after a restart, resume it.

    The API records one with the change it starts (a create's row, a
    delete's task test-and-set) in the same transaction, so no accepted
    request depends on a message arriving. A taskmanager owns it while its
    lease lasts (``owner``, ``lease_expires``; renewed while the flow
    runs); ``holder`` is the resource lock the flow runs as; ``step`` the
    last task that completed. ``arguments`` hold what the flow was asked
    (a create's databases, users and root password), encrypted as the
    instance keys are (``key_storage``). The row goes when the flow ends.
    """

    __tablename__ = 'workflows'
    __table_args__ = (
        sa.Index('workflows_resource', 'resource_kind', 'resource_id'),
        sa.Index('workflows_lease_expires', 'lease_expires'),
    )

    id = sa.Column(sa.String(36), primary_key=True)
    resource_kind = sa.Column(sa.String(32), nullable=False)
    resource_id = sa.Column(sa.String(36), nullable=False)
    operation = sa.Column(sa.String(32), nullable=False)
    holder = sa.Column(sa.String(255))
    owner = sa.Column(sa.String(255))
    lease_expires = sa.Column(sa.DateTime)
    step = sa.Column(sa.String(64))
    attempts = sa.Column(sa.Integer, nullable=False, default=0)
    arguments = sa.Column(sa.Text)
    request_context = sa.Column(sa.Text)
    notification = sa.Column(sa.Text)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


class LocalServer(Base):
    """A host of the local compute driver: one per instance.

    The unique address is what keeps two instances from being given the
    same loopback address, whichever taskmanager allocates it.
    """

    __tablename__ = 'local_servers'

    id = sa.Column(sa.String(36), primary_key=True)
    instance_id = sa.Column(sa.String(36), nullable=False, unique=True)
    address = sa.Column(sa.String(45), nullable=False, unique=True)
    path = sa.Column(sa.String(1024), nullable=False)
    host = sa.Column(sa.String(255))
    created = sa.Column(sa.DateTime, default=utcnow)


class RootEnabledHistory(Base):
    __tablename__ = 'root_enabled_history'

    id = sa.Column(sa.String(36), primary_key=True)
    user = sa.Column(sa.String(255))
    created = sa.Column(sa.DateTime, default=utcnow)
    deleted_at = sa.Column(sa.DateTime)


# -- Backups ------------------------------------------------------------------

class Backup(SoftDeleteMixin, Base):
    __tablename__ = 'backups'
    __table_args__ = (
        sa.Index('backups_instance_id', 'instance_id'),
        sa.Index('backups_deleted', 'deleted'),
    )

    id = sa.Column(sa.String(36), primary_key=True)
    name = sa.Column(sa.String(255), nullable=False)
    description = sa.Column(sa.String(512))
    location = sa.Column(sa.String(1024))
    backup_type = sa.Column(sa.String(32))
    size = sa.Column(sa.Float)
    tenant_id = sa.Column(sa.String(36))
    state = sa.Column(sa.String(32), nullable=False)
    instance_id = sa.Column(sa.String(36))
    checksum = sa.Column(sa.String(32))
    backup_timestamp = sa.Column(sa.DateTime)
    created = sa.Column(sa.DateTime, default=utcnow)
    updated = sa.Column(sa.DateTime, default=utcnow, onupdate=utcnow)
    parent_id = sa.Column(sa.String(36))
    datastore_version_id = sa.Column(sa.String(36),
                                     sa.ForeignKey('datastore_versions.id'))
    storage_driver = sa.Column(sa.Text)
    # trove_lite: ``state`` is the backup's task (common/state_machine.py
    # BACKUP); when it started, its deadline and the lock holder.
    task_start_time = sa.Column(sa.DateTime)
    task_deadline = sa.Column(sa.DateTime)
    lock_holder = sa.Column(sa.String(255))
    # trove_lite: what the strategy reported about the stream (its name,
    # the log sequence number an incremental child starts from), JSON;
    # and the schedule that made the backup (retention prunes only its
    # own).
    strategy_metadata = sa.Column(sa.Text)
    schedule_id = sa.Column(sa.String(36))


sa.Index('backups_schedule_id', Backup.schedule_id)
sa.Index('backups_parent_id', Backup.parent_id)


class BackupStrategy(Base):
    """A project's (``instance_id`` '') or an instance's default Swift
    container for its backups (upstream's table).
    """

    __tablename__ = 'backup_strategy'
    __table_args__ = (
        sa.UniqueConstraint('tenant_id', 'instance_id',
                            name='UQ_backup_strategy_tenant_id_instance_id'),
        sa.Index('backup_strategy_tenant_id_instance_id', 'tenant_id',
                 'instance_id'),
    )

    id = sa.Column(sa.String(36), primary_key=True)
    tenant_id = sa.Column(sa.String(36), nullable=False)
    instance_id = sa.Column(sa.String(36), nullable=False, default='')
    backend = sa.Column(sa.String(255), nullable=False)
    swift_container = sa.Column(sa.String(255))
    created = sa.Column(sa.DateTime, default=utcnow)


class BackupSchedule(TimestampMixin, SoftDeleteMixin, Base):
    """trove_lite's scheduled backups: one instance, a period, and how
    many of the backups it made to keep.

    ``next_run`` is the claim: a taskmanager runs a due schedule only if
    its conditional UPDATE moved ``next_run`` from the value it read, so
    one run happens per period however many taskmanagers look.
    """

    __tablename__ = 'backup_schedules'
    __table_args__ = (
        sa.Index('backup_schedules_next_run', 'deleted', 'next_run'),
        sa.Index('backup_schedules_instance_id', 'instance_id'),
    )

    id = sa.Column(sa.String(36), primary_key=True)
    tenant_id = sa.Column(sa.String(36), nullable=False)
    instance_id = sa.Column(sa.String(36), nullable=False)
    name = sa.Column(sa.String(255), nullable=False)
    description = sa.Column(sa.String(512))
    pattern = sa.Column(sa.String(64), nullable=False)
    keep = sa.Column(sa.Integer, nullable=False)
    incremental = sa.Column(sa.Boolean, nullable=False, default=False,
                            server_default=sa.false())
    next_run = sa.Column(sa.DateTime, nullable=False)
    last_run = sa.Column(sa.DateTime)
    last_backup_id = sa.Column(sa.String(36))


# -- Quotas -------------------------------------------------------------------

class Quota(TimestampMixin, Base):
    __tablename__ = 'quotas'
    __table_args__ = (
        sa.UniqueConstraint('tenant_id', 'resource',
                            name='UQ_quotas_tenant_id_resource'),
    )

    id = sa.Column(sa.String(36), primary_key=True)
    tenant_id = sa.Column(sa.String(36))
    resource = sa.Column(sa.String(255), nullable=False)
    hard_limit = sa.Column(sa.Integer)


class QuotaUsage(TimestampMixin, Base):
    __tablename__ = 'quota_usages'
    __table_args__ = (
        sa.UniqueConstraint('tenant_id', 'resource',
                            name='UQ_quota_usages_tenant_id_resource'),
    )

    id = sa.Column(sa.String(36), primary_key=True)
    tenant_id = sa.Column(sa.String(36))
    in_use = sa.Column(sa.Integer, default=0)
    reserved = sa.Column(sa.Integer, default=0)
    resource = sa.Column(sa.String(255), nullable=False)


class Reservation(TimestampMixin, Base):
    __tablename__ = 'reservations'

    id = sa.Column(sa.String(36), primary_key=True)
    usage_id = sa.Column(sa.String(36))
    delta = sa.Column(sa.Integer, nullable=False)
    status = sa.Column(sa.String(36))
