"""Backups: how one starts, how a chain of them is read, how they go.

A backup is a resource kind of its own (``resource_kinds.BACKUP``): its
``state`` column is its task, every change of it goes through the
backup machine (``common/state_machine.BACKUP``), and an operation on it
holds its lock. The API, the taskmanager and the schedule runner all come
here, so nothing in this module knows about HTTP.

- ``begin`` is the whole of "take a backup of this instance" as far as
  the infrastructure database is concerned: every check, the quota, the
  row in NEW with its deadline and the API's lock holder, and the
  workflow record that the taskmanager runs, in one transaction. A
  refused request leaves nothing behind.
- ``begin_delete`` moves a backup and every incremental backup built on
  it to DELETING, under one holder, with one workflow record; a chain is
  deleted whole or not at all.
- ``chain`` and ``descendants`` walk ``parent_id``: what a restore needs,
  oldest first, and what a delete takes with it.

A backup belongs to the project that owns its instance: it counts against
that project's ``backups`` quota, and an administrator who backs up a
tenant's instance makes the tenant's backup.

Backup strategies (upstream's ``backup_strategy`` table) name the Swift
container of a project's backups, or of one instance's.
"""

import collections
import uuid

from oslo_config import cfg

from trove_lite.common import context as context_mod
from trove_lite.common import exception
from trove_lite.common import states
from trove_lite.conf import datastores as datastores_conf
from trove_lite.db import api as db_api
from trove_lite.db import models
from trove_lite.db.repositories import datastores as datastore_repo
from trove_lite.db.repositories import instances as instance_repo
from trove_lite.db.repositories import quotas as quota_repo
from trove_lite.db.repositories import resource_locks
from trove_lite.db.repositories import workflows as workflow_repo
from trove_lite.db import resource_kinds

KIND = resource_kinds.BACKUP
FULL = 'full'
INCREMENTAL = 'incremental'
# The project-wide backup strategy has this instance id (upstream's).
PROJECT_WIDE = ''

# What ``begin`` found out about the instance a backup is taken of.
Source = collections.namedtuple('Source',
                                'instance version options parent container')


def _live(session):
    return session.query(models.Backup).filter(
        models.Backup.deleted.is_(False))


# -- Reads --------------------------------------------------------------------

@db_api.reader
def get(context, backup_id):
    """A live backup the caller may look up by id: one of its project's,
    or any project's for an administrator (``context.lookup_project``).

    :raises BackupNotFound: no such backup, or another project's.
    """
    query = _live(context.session).filter_by(id=backup_id)
    project_id = context_mod.lookup_project(context)
    if project_id is not None:
        query = query.filter_by(tenant_id=project_id)
    row = query.first()
    if row is None:
        raise exception.BackupNotFound(uuid=backup_id)
    return row


@db_api.reader
def find(context, backup_id):
    """A live backup of any project, or None (the control plane's
    lookup: a flow or a guest's report about a backup that may be gone).
    """
    return _live(context.session).filter_by(id=backup_id).first()


def get_any(context, backup_id):
    """``find``, for a backup that must be there.

    :raises BackupNotFound: no such live backup.
    """
    row = find(context, backup_id)
    if row is None:
        raise exception.BackupNotFound(uuid=backup_id)
    return row


@db_api.reader
def list_backups(context, instance_id=None, datastore=None, project_id=None,
                 all_projects=False, limit=None, offset=0):
    """Live backups, most recently updated first (upstream's order).

    :param datastore: a datastore's name or id: only backups of its
        versions.
    :param project_id: whose backups; the caller's project when None,
        unless ``all_projects``.
    :param all_projects: every project's (ignored when ``project_id`` is
        given).
    :param limit: at most this many; :param offset: after skipping this
        many (upstream's backup marker is an offset).
    :raises DatastoreNotFound: ``datastore`` names none (404).
    """
    query = _live(context.session)
    if project_id is None and not all_projects:
        project_id = context.project_id
    if project_id is not None:
        query = query.filter(models.Backup.tenant_id == project_id)
    if instance_id is not None:
        query = query.filter(models.Backup.instance_id == instance_id)
    if datastore:
        found = datastore_repo.get_datastore(context, datastore)
        versions = context.session.query(models.DatastoreVersion.id).filter(
            models.DatastoreVersion.datastore_id == found.id)
        query = query.filter(models.Backup.datastore_version_id.in_(
            versions.scalar_subquery()))
    # NOTE(compat): the id breaks ties, so that offsets page steadily
    # through rows updated in the same second.
    query = query.order_by(models.Backup.updated.desc(),
                           models.Backup.id.desc())
    if offset:
        query = query.offset(offset)
    if limit:
        query = query.limit(limit)
    return query.all()


@db_api.reader
def versions_of(context, backups):
    """``{version id: DatastoreVersion}`` of ``backups`` (with their
    datastore loaded), for showing a page of them in a fixed number of
    queries.
    """
    ids = {row.datastore_version_id for row in backups
           if row.datastore_version_id}
    if not ids:
        return {}
    rows = context.session.query(models.DatastoreVersion).filter(
        models.DatastoreVersion.id.in_(sorted(ids))).all()
    return {row.id: row for row in rows}


def get_fault(context, backup_id):
    """The newest live fault of a backup (why it FAILED), or None."""
    return resource_locks.get_fault(context, KIND, backup_id)


@db_api.reader
def running_for_instance(context, instance_id):
    """The live backups of an instance still being taken (NEW, BUILDING
    or SAVING), oldest first.
    """
    return _live(context.session).filter(
        models.Backup.instance_id == instance_id,
        models.Backup.state.in_([s.code for s in states.BACKUP_RUNNING]),
    ).order_by(models.Backup.created).all()


@db_api.reader
def newest_completed(context, instance_id):
    """The newest COMPLETED live backup of an instance, or None."""
    return _live(context.session).filter(
        models.Backup.instance_id == instance_id,
        models.Backup.state == states.BACKUP_COMPLETED.code,
    ).order_by(models.Backup.created.desc(),
               models.Backup.id.desc()).first()


@db_api.reader
def chain(context, backup):
    """What restoring ``backup`` needs: ``[full, ..., backup]``, oldest
    first, following ``parent_id``.

    :raises BackupNotFound: a backup of the chain is gone (the chain is
        broken and cannot be restored).
    """
    found = [backup]
    seen = {backup.id}
    while found[-1].parent_id:
        parent_id = found[-1].parent_id
        if parent_id in seen:
            raise exception.BackupNotFound(
                'Backup %s is its own ancestor; its chain cannot be '
                'restored.' % parent_id)
        found.append(get_any(context, parent_id))
        seen.add(parent_id)
    return list(reversed(found))


@db_api.reader
def descendants(context, backup_id):
    """Every live backup built on ``backup_id``, recursively, in the order
    they can be deleted: the newest generation first.
    """
    generations = []
    parents = [backup_id]
    seen = {backup_id}
    while parents:
        children = [row for row in _live(context.session).filter(
            models.Backup.parent_id.in_(parents)).order_by(
            models.Backup.created, models.Backup.id).all()
            if row.id not in seen]
        seen.update(row.id for row in children)
        if children:
            generations.append(children)
        parents = [row.id for row in children]
    return [row for generation in reversed(generations)
            for row in generation]


# -- Create -------------------------------------------------------------------

def _unavailable(instance, why):
    return exception.InstanceNotAvailable(
        'Instance %s is not currently available for a backup: %s.'
        % (instance.id, why))


def _check_instance(context, instance):
    """:raises InstanceNotAvailable: the instance cannot be backed up now
    (422), saying why.
    """
    task = states.task(instance.task_id)
    if task is not states.NONE:
        raise _unavailable(instance, 'its task is %s; wait until it is '
                                     'done' % task.name)
    if instance.lock_holder:
        raise _unavailable(instance, 'another operation is running on it; '
                                     'try again when it is done')
    if instance.server_status != states.SERVER_ACTIVE:
        raise _unavailable(instance, 'its server is %s, not ACTIVE'
                           % (instance.server_status or 'not built'))
    status, _ = instance_repo.get_service_status(context, instance.id)
    status = instance_repo.effective_service_status(
        instance, status, instance_repo.get_heartbeat(context, instance.id),
        models.utcnow(), cfg.CONF.agent_heartbeat_expiry)
    if status not in states.ACTIONABLE_SERVICE:
        raise _unavailable(instance, 'its database is %s; wait until it '
                                     'is ACTIVE or HEALTHY'
                           % status.api_name)
    running = running_for_instance(context, instance.id)
    if running:
        raise _unavailable(instance, 'backup %s of it is %s; wait until it '
                                     'ends' % (running[0].id,
                                               running[0].state))


def _options(instance, version):
    """The datastore group of ``version``, which must name a backup
    strategy.

    :raises DatastoreOperationNotSupported: it names none (501).
    """
    options = datastores_conf.options_for(cfg.CONF, version.manager)
    if options is None or not options.backup_strategy:
        raise exception.DatastoreOperationNotSupported(
            operation='backup', datastore=version.datastore.name)
    return options


def _parent(context, instance, version, parent_id):
    """The parent backup ``parent_id`` names.

    :raises BackupNotFound: none of the instance owner's (404).
    :raises BackupParentMismatch: a backup of another instance or another
        datastore (400).
    :raises BackupNotCompleteError: it is not COMPLETED (409).
    """
    parent = _live(context.session).filter_by(
        id=parent_id, tenant_id=instance.tenant_id).first()
    if parent is None:
        raise exception.BackupNotFound(uuid=parent_id)
    if parent.instance_id != instance.id:
        raise exception.BackupParentMismatch(
            parent_id=parent.id, instance_id=instance.id,
            reason='instance %s' % parent.instance_id)
    parent_manager = None
    if parent.datastore_version_id:
        parent_manager = datastore_repo.get_version_by_id(
            context, parent.datastore_version_id).manager
    if parent_manager != version.manager:
        raise exception.BackupParentMismatch(
            parent_id=parent.id, instance_id=instance.id,
            reason='datastore manager %s, not %s' % (parent_manager,
                                                     version.manager))
    if parent.state != states.BACKUP_COMPLETED.code:
        raise exception.BackupNotCompleteError(
            'Backup %s cannot be the parent of an incremental backup: it '
            'is %s, not COMPLETED.' % (parent.id, parent.state),
            backup_id=parent.id, state=parent.state)
    return parent


@db_api.reader
def container_for(context, project_id, instance_id, requested=None):
    """The Swift container of a new backup: the request's, else the
    instance's backup strategy's, else the project's, else
    ``[backup] swift_container``.
    """
    if requested:
        return requested
    for key in (instance_id, PROJECT_WIDE):
        row = context.session.query(models.BackupStrategy).filter_by(
            tenant_id=project_id, instance_id=key).first()
        if row is not None and row.swift_container:
            return row.swift_container
    return cfg.CONF.backup.swift_container


def _source(context, instance_id, parent_id, incremental, swift_container,
            lock=False):
    """Every check of ``begin``, in the caller's transaction.

    :param lock: lock the instance row (``SELECT ... FOR UPDATE``), in
        the transaction that creates the backup.
    :returns: a ``Source``.
    """
    query = context.session.query(models.Instance).filter_by(
        id=instance_id, deleted=False)
    project_id = context_mod.lookup_project(context)
    if project_id is not None:
        query = query.filter_by(tenant_id=project_id)
    if lock:
        query = query.with_for_update()
    instance = query.first()
    if instance is None:
        raise exception.InstanceNotFound(uuid=instance_id)
    if instance.cluster_id:
        raise exception.NotImplementedYet(
            'Instance %s is a member of cluster %s; back up the cluster '
            'instead.' % (instance.id, instance.cluster_id))
    _check_instance(context, instance)
    version = datastore_repo.get_version_by_id(context,
                                               instance.datastore_version_id)
    options = _options(instance, version)
    if (incremental or parent_id) and not options.backup_incremental_strategy:
        raise exception.DatastoreOperationNotSupported(
            operation='incremental backup', datastore=version.datastore.name)
    parent = None
    if parent_id:
        parent = _parent(context, instance, version, parent_id)
    elif incremental:
        parent = newest_completed(context, instance.id)
    container = container_for(context, instance.tenant_id, instance.id,
                              swift_container)
    return Source(instance, version, options, parent, container)


@db_api.reader
def _checked(context, instance_id, parent_id, incremental, swift_container):
    return _source(context, instance_id, parent_id, incremental,
                   swift_container)


def begin(context, instance_id, name, description=None, parent_id=None,
          incremental=False, swift_container=None, schedule_id=None,
          storage_driver=None):
    """Start a backup of an instance: in one transaction, check it may
    be taken and fits the quota, create the row in NEW (with its deadline
    and the lock of a new API holder) and record its ``create`` workflow.

    :param context: the requesting context; an administrator reaches any
        project's instance (``context.lookup_project``). The backup is the
        instance owner's.
    :param parent_id: the backup this one is an increment of.
    :param incremental: without ``parent_id``, an increment of the newest
        COMPLETED backup of the instance (a full backup when it has
        none).
    :param swift_container: the request's container, if any.
    :param schedule_id: the backup schedule that takes it.
    :param storage_driver: the storage plugin that keeps it (``[backup]
        storage_driver`` when None; the caller checked it is installed).
    :returns: ``(row, workflow id, holder)``; the workflow's arguments
        are ``{'swift_container': ...}``, and the requester's token
        (``auth_token``) when the taskmanager needs it to reach Swift
        for the requester (``[backup] swift_auth = keystone``).
    :raises InstanceNotFound: no such instance for the caller (404).
    :raises InstanceNotAvailable: it is busy, not ACTIVE, its database not
        actionable, or a backup of it is running (422).
    :raises DatastoreOperationNotSupported: its datastore takes no backups,
        or no incremental ones when one was asked for (501).
    :raises BackupNotFound: an unknown parent (404).
    :raises BackupParentMismatch: a parent of another instance or
        datastore (400).
    :raises BackupNotCompleteError: a parent that is not COMPLETED (409).
    :raises QuotaExceeded: the owner has ``backups`` backups already
        (413).
    """
    # NOTE(quota): checked once outside the quota's transaction, so that
    # a refusal names the real problem rather than the quota (and to know
    # whose quota it is), then again inside it, where it counts.
    found = _checked(context, instance_id, parent_id, incremental,
                     swift_container)
    holder = resource_locks.new_holder(role=resource_locks.API_ROLE)
    workflow_id = str(uuid.uuid4())
    driver = storage_driver or cfg.CONF.backup.storage_driver

    def create(session_ctx):
        source = _source(session_ctx, instance_id, parent_id, incremental,
                         swift_container, lock=True)
        parent = source.parent
        row = models.Backup(
            id=str(uuid.uuid4()), name=name, description=description,
            tenant_id=source.instance.tenant_id,
            instance_id=source.instance.id,
            datastore_version_id=source.instance.datastore_version_id,
            parent_id=parent.id if parent is not None else None,
            backup_type=INCREMENTAL if parent is not None else FULL,
            storage_driver=driver,
            schedule_id=schedule_id, lock_holder=holder,
            **KIND.task_values(states.BACKUP_NEW, models.utcnow()))
        session_ctx.session.add(row)
        session_ctx.session.flush()
        workflow_repo.record(
            session_ctx, KIND.name, row.id, 'create', holder=holder,
            arguments=dict(token_argument(context, driver),
                           swift_container=source.container),
            request_context=context, workflow_id=workflow_id)
        return row

    row = quota_repo.run_with_quotas(
        context, found.instance.tenant_id, {'backups': 1}, create)
    return row, workflow_id, holder


def token_argument(context, driver):
    """``{'auth_token': ...}`` when a workflow reaches ``driver``'s
    storage with the requester's own token (Swift behind Keystone), else
    ``{}``.

    NOTE(swift): a recorded workflow's context keeps no token (it would
    have expired by the time a resumed flow runs); the arguments are
    stored encrypted, and a flow resumed after the token expired fails
    with Swift's 401 as its reason.
    """
    if driver == 'swift' and cfg.CONF.backup.swift_auth == 'keystone' and \
            getattr(context, 'auth_token', None):
        return {'auth_token': context.auth_token}
    return {}


# -- Delete -------------------------------------------------------------------

@db_api.writer
def begin_delete(context, backup_id):
    """Start deleting a backup and every incremental backup built on it:
    in one transaction, each goes to DELETING (the machine's ``delete``)
    under one new API holder, and one ``delete`` workflow is recorded.

    :returns: ``(ids, holder, workflow id)``; ``ids`` are in the order
        they are to be deleted, children first and ``backup_id`` last;
        the workflow's arguments are ``{'ids': ids, 'running': the ids
        that were being taken}``.
    :raises BackupNotFound: no such backup for the caller (404).
    :raises BackupNotAvailable: it or a descendant is being deleted
        already (422); nothing changed. A running one is taken over (its
        guest is told to stop by the delete's flow).
    """
    backup = get(context, backup_id)
    rows = descendants(context, backup.id) + [backup]
    delete = KIND.machine.transition('delete')
    for row in rows:
        state = KIND.task_of(row)
        if state not in delete.sources:
            raise exception.BackupNotAvailable(uuid=row.id, state=state.name)
    holder = resource_locks.new_holder(role=resource_locks.API_ROLE)
    ids = [row.id for row in rows]
    running = [row.id for row in rows
               if KIND.task_of(row) in states.BACKUP_RUNNING]
    for row_id in ids:
        resource_locks.start(context, KIND, row_id, 'delete', holder)
    workflow_id = workflow_repo.record(
        context, KIND.name, backup.id, 'delete', holder=holder,
        arguments={'ids': ids, 'running': running},
        request_context=context)
    return ids, holder, workflow_id


@db_api.writer
def mark_deleted(context, backup_id):
    """Soft-delete a backup row (its stored object is gone); its faults
    go with it, and it no longer counts against the quota.
    """
    now = models.utcnow()
    _live(context.session).filter_by(id=backup_id).update(
        {'deleted': True, 'deleted_at': now, 'lock_holder': None,
         'task_deadline': None}, synchronize_session=False)
    context.session.query(models.ResourceFault).filter_by(
        resource_kind=KIND.name, resource_id=backup_id,
        deleted=False).update({'deleted': True, 'deleted_at': now},
                              synchronize_session=False)


# -- Backup strategies --------------------------------------------------------

@db_api.writer
def upsert_strategy(context, project_id, instance_id, swift_container,
                    backend='swift'):
    """Set the container of a project's backups (``instance_id`` '') or
    of one instance's; one strategy per (project, instance).

    :returns: the strategy row.
    """
    instance_id = instance_id or PROJECT_WIDE
    row = context.session.query(models.BackupStrategy).filter_by(
        tenant_id=project_id, instance_id=instance_id).first()
    if row is None:
        row = models.BackupStrategy(id=str(uuid.uuid4()),
                                    tenant_id=project_id,
                                    instance_id=instance_id)
        context.session.add(row)
    row.backend = backend
    row.swift_container = swift_container
    context.session.flush()
    return row


@db_api.reader
def list_strategies(context, project_id, instance_id=None):
    """The strategies of a project, of one instance when ``instance_id``
    is given ('' is the project-wide one).
    """
    query = context.session.query(models.BackupStrategy).filter_by(
        tenant_id=project_id)
    if instance_id is not None:
        query = query.filter_by(instance_id=instance_id)
    return query.order_by(models.BackupStrategy.created,
                          models.BackupStrategy.id).all()


@db_api.writer
def delete_strategy(context, project_id, instance_id=PROJECT_WIDE):
    """Forget a strategy; nothing happens when there is none.

    :returns: whether one was deleted.
    """
    return bool(context.session.query(models.BackupStrategy).filter_by(
        tenant_id=project_id, instance_id=instance_id or PROJECT_WIDE,
    ).delete(synchronize_session=False))
