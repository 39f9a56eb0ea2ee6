"""The rules of replication requests, before anything is changed.

Everything here only reads: a create with ``replica_of`` resolves what
the replicas are made of (the source's datastore version, its flavor and
volume size unless the request names others), a promote, an eject and a
detach find the group they change and check upstream's preconditions.
Each rule raises the upstream fault that says what is wrong.
"""

from oslo_config import cfg

from trove_lite.api import instance_requests
from trove_lite.common import exception
from trove_lite.common import plugins
from trove_lite.common import states
from trove_lite.conf import datastores as datastores_conf
from trove_lite.db import models
from trove_lite.db.repositories import backups as backup_repo
from trove_lite.db.repositories import datastores as datastore_repo
from trove_lite.db.repositories import instances as instance_repo
from trove_lite.db.repositories import replication as topology


def strategy_of(version):
    """The replication strategy named for a datastore version's manager.

    :raises ReplicationNotSupported: none is configured, or the one named
        is not installed (400): the replica would only fail to build.
    """
    options = datastores_conf.options_for(cfg.CONF, version.manager)
    if options is None or not options.replication_strategy:
        raise exception.ReplicationNotSupported(datastore=version.manager)
    if options.replication_strategy not in plugins.names(
            options.replication_namespace):
        raise exception.ReplicationStrategyMissing(
            datastore=version.manager, name=options.replication_strategy,
            namespace=options.replication_namespace)
    return options.replication_strategy


def check_actionable(ctx, row):
    """Upstream's action gate for the instance a change starts from.

    :raises InstanceNotAvailable: it is busy, its server is not ACTIVE,
        its datastore is not healthy, or a backup of it runs (422).
    """
    task = states.task(row.task_id)
    if task is not states.NONE or row.lock_holder:
        raise exception.InstanceNotAvailable(task=task.name)
    if row.server_status != states.SERVER_ACTIVE:
        raise exception.InstanceNotAvailable(task=row.server_status)
    status, _ = instance_repo.get_service_status(ctx, row.id)
    heartbeat = instance_repo.get_heartbeat(ctx, row.id)
    status = instance_repo.effective_service_status(
        row, status, heartbeat, models.utcnow(),
        cfg.CONF.agent_heartbeat_expiry)
    if status not in states.ACTIONABLE_SERVICE:
        raise exception.InstanceNotAvailable(task=status.api_name)
    if backup_repo.running_for_instance(ctx, row.id):
        raise exception.InstanceNotAvailable(task='BACKUP')


def resolve_replicas(ctx, spec, project_id):
    """What a create with ``replica_of`` makes.

    :returns: ``(source row, instance_requests.Resolved, count)``.
    :raises InstanceNotFound: no such source of the project (404).
    :raises ReplicaOfReplica: the source is a replica itself (401, as
        upstream).
    :raises BadRequest: databases, users or a restore point with
        ``replica_of``; another datastore than the source's.
    :raises ReplicationNotSupported: the datastore has no strategy (400).
    :raises InstanceNotAvailable: the source is not ACTIVE and idle (422).
    """
    source = instance_repo.get(ctx, spec['replica_of'],
                               project_id=project_id)
    if source.slave_of_id:
        raise exception.ReplicaOfReplica(uuid=source.id)
    for key, what in (('databases', 'databases'), ('users', 'users'),
                      ('restorePoint', 'a restore point')):
        if spec.get(key):
            raise exception.BadRequest(
                'Cannot create %s when creating replicas.' % what)
    version = datastore_repo.get_version_by_id(ctx,
                                               source.datastore_version_id)
    asked = spec.get('datastore') or {}
    if (asked.get('type') and asked['type'] != version.datastore.name) or (
            asked.get('version') and asked['version'] not in (
                version.name, version.id)):
        raise exception.BadRequest(
            'A replica has the datastore and version of its source (%s %s).'
            % (version.datastore.name, version.name))
    strategy_of(version)
    check_actionable(ctx, source)
    flavor = instance_requests.resolve_flavor(
        ctx, spec.get('flavorRef') or source.flavor_id, version)
    size = instance_requests.volume_size(
        spec.get('volume') or {'size': source.volume_size})
    count = spec.get('replica_count') or 1
    resolved = instance_requests.Resolved(
        version.datastore, version, flavor, size, [], [], None)
    return source, resolved, count


def _require_idle(members):
    """:raises InstanceNotAvailable: a member has a task or is held (422).
    """
    for member in members:
        task = states.task(member.task_id)
        if task is not states.NONE or member.lock_holder:
            raise exception.InstanceNotAvailable(task=task.name)


def replica_names(name, count):
    """Upstream names several replicas ``<name>-1``, ``<name>-2``, ...."""
    if count == 1:
        return [name]
    return ['%s-%d' % (name, index) for index in range(1, count + 1)]


def promotion_group(ctx, row):
    """The group a promote of ``row`` changes: ``(source id, member
    ids)``.

    :raises NotAReplica: ``row`` follows nobody (400, as upstream).
    :raises InstanceNotAvailable: a member is busy (422).
    """
    if not row.slave_of_id:
        raise exception.NotAReplica(uuid=row.id)
    members = topology.group(ctx, row.slave_of_id)
    _require_idle(members)
    check_actionable(ctx, row)
    return row.slave_of_id, [member.id for member in members]


def ejection_group(ctx, row, now=None):
    """The group an eject of the source ``row`` changes: member ids.

    :raises BadRequest: ``row`` has no replicas (400).
    :raises ReplicaSourceAlive: its heartbeat is fresh (400, as upstream).
    :raises InstanceNotAvailable: a member is busy (422).
    """
    members = topology.group(ctx, row.id)
    if row.slave_of_id or len(members) < 2:
        raise exception.BadRequest(
            'Instance %s is not a replica source.' % row.id)
    expiry = cfg.CONF.agent_heartbeat_expiry
    heartbeat = instance_repo.get_heartbeat(ctx, row.id)
    if heartbeat is not None:
        age = ((now or models.utcnow()) - heartbeat.updated_at
               ).total_seconds()
        if age < expiry:
            raise exception.ReplicaSourceAlive(uuid=row.id, age=int(age),
                                               expiry=expiry)
    _require_idle(members)
    return [member.id for member in members]


def check_detach(ctx, row):
    """:raises NotAReplica: ``row`` follows nobody (400)."""
    if not row.slave_of_id:
        raise exception.NotAReplica(uuid=row.id)


def check_upgrade(ctx, row, target):
    """A replication source is upgraded after its replicas: a replica
    may run a newer server than its source, not an older one.

    :raises DatastoreUpgradeNotSupported: ``row`` has replicas that do
        not run ``target`` yet (400).
    """
    behind = [replica.id for replica in topology.replicas_of(ctx, row.id)
              if replica.datastore_version_id != target.id]
    if behind:
        raise exception.DatastoreUpgradeNotSupported(
            uuid=row.id, version=target.name,
            reason='it is the source of replicas %s, which must run the '
                   'new version first; upgrade them, then their source.'
                   % ', '.join(sorted(behind)))


def has_replicas(ctx, row):
    """Whether ``row`` is the source of live replicas (it cannot be
    deleted then: 403, as upstream).
    """
    return bool(topology.replica_ids(ctx, row.id))
