"""Instances: creation, reads, and every task change as a test-and-set.

The task changes are those of any resource kind
(``resource_locks`` with ``resource_kinds.INSTANCE``). A task change is one
conditional UPDATE: it succeeds only if the instance
is in one of the transition's source tasks and nobody else holds its lock
(``lock_holder``). The caller becomes the holder and, when the target task
is transitional, the row gets the task's deadline. ``finish`` ends what the
holder started and releases the lock in the same statement. So two workers
can never act on one instance at once, and a worker that dies leaves a
deadline behind that the conductor's reconciler enforces.

Delete is the exception that makes "delete works from every state" true:
it takes the lock from whoever holds it; the flow that lost it notices at
its next step (``holds_lock``) and stops.
"""

import collections
import json
import uuid

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.dialects import sqlite

from trove_lite.common import exception
from trove_lite.common import key_storage
from trove_lite.common import states
from trove_lite.db import api as db_api
from trove_lite.db import models
from trove_lite.db.repositories import resource_locks
from trove_lite.db import resource_kinds


def _live(session):
    return session.query(models.Instance).filter(
        models.Instance.deleted.is_(False))


@db_api.writer
def create(context, values):
    """Create an instance row in BUILDING, with its NEW service status.

    :param values: column values; ``id`` is generated when missing.
    :returns: the new ``models.Instance``.
    """
    now = models.utcnow()
    _encode(values)
    instance = models.Instance(
        id=values.pop('id', None) or str(uuid.uuid4()),
        task_id=states.BUILDING.code,
        task_description=states.BUILDING.description,
        task_start_time=now,
        task_deadline=resource_kinds.INSTANCE.machine.deadline_for(
            states.BUILDING, now),
        server_status=states.SERVER_BUILD, **values)
    context.session.add(instance)
    context.session.add(models.ServiceStatus(
        id=str(uuid.uuid4()), instance_id=instance.id,
        status_id=states.SVC_NEW.code,
        status_description=states.SVC_NEW.description))
    context.session.flush()
    return instance


@db_api.reader
def get(context, instance_id, project_id=None):
    """A live instance, of ``project_id`` when given.

    :raises InstanceNotFound: no such instance (or not the project's).
    """
    query = _live(context.session).filter_by(id=instance_id)
    if project_id is not None:
        query = query.filter_by(tenant_id=project_id)
    instance = query.first()
    if instance is None:
        raise exception.InstanceNotFound(uuid=instance_id)
    return instance


@db_api.reader
def list_instances(context, project_id=None, limit=None, marker=None,
                   include_clustered=False):
    """Live instances ordered by id, after ``marker``.

    :returns: read-only rows with the columns of ``models.Instance`` as
        attributes.
    """
    # NOTE(perf): a Core select: a page of rows that are only read needs
    # none of the ORM's identity map and attribute instrumentation.
    table = models.Instance.__table__
    query = sa.select(table).where(table.c.deleted.is_(False))
    if project_id is not None:
        query = query.where(table.c.tenant_id == project_id)
    if not include_clustered:
        query = query.where(table.c.cluster_id.is_(None))
    if marker:
        query = query.where(table.c.id > marker)
    query = query.order_by(table.c.id)
    if limit:
        query = query.limit(limit)
    return context.session.execute(query).all()


@db_api.reader
def usage(context, project_id):
    """What a project's live instances use.

    :returns: ``{'instances': n, 'ram': MB, 'volumes': GB}``.
    """
    rows = context.session.query(
        models.Instance.flavor_id, models.Instance.volume_size).filter(
        models.Instance.deleted.is_(False),
        models.Instance.tenant_id == project_id).all()
    flavor_ram = dict(context.session.query(models.Flavor.id,
                                            models.Flavor.ram).all())
    return {'instances': len(rows),
            'ram': sum(flavor_ram.get(flavor, 0) for flavor, _ in rows),
            'volumes': sum(size or 0 for _, size in rows)}


def _task_values(target, now):
    return resource_kinds.INSTANCE.task_values(target, now)


def start(context, instance_id, event, holder):
    """Apply ``event`` and take the instance's lock for ``holder``.

    :raises InstanceNotFound: no such live instance.
    :raises InstanceNotAvailable: the task does not allow ``event`` (422).
    :raises InstanceBusy: someone else holds the lock (409).
    """
    return resource_locks.start(context, resource_kinds.INSTANCE,
                                instance_id, event, holder)


def claim(context, instance_id, holder, task):
    """Take the unheld lock of an instance that is in ``task``.

    How a worker picks up a row the API left unlocked (the API creates
    instances in BUILDING with no holder, then casts ``create_instance``).

    :param task: the ``states.Task`` the instance must be in.
    :returns: True if ``holder`` now holds the instance; False if it is
        gone, in another task, or someone holds it already.
    """
    return resource_locks.claim(context, resource_kinds.INSTANCE,
                                instance_id, holder, task)


def hand_over(context, instance_id, holder, new_holder):
    """Pass the lock the API took (``holder``) to the flow that runs the
    operation (``new_holder``).

    :returns: False when ``holder`` no longer holds the instance.
    """
    return resource_locks.hand_over(context, resource_kinds.INSTANCE,
                                    instance_id, holder, new_holder)


def finish(context, instance_id, event, holder, note=None):
    """Apply ``event`` if ``holder`` still holds the lock; release it.

    :param note: ``(message, details)``: a fault stored with the change,
        the note of an operation that failed and was put back (the
        instance shows it while nothing else has happened to it).
    :returns: True if applied, False if the lock was lost (someone took
        the instance over, e.g. a delete) or the task moved on.
    """
    return resource_locks.finish(context, resource_kinds.INSTANCE,
                                 instance_id, event, holder, note=note)


@db_api.writer
def finish_access(context, instance_id, holder, access, addresses):
    """End a change of access: the instance records the access now in
    force (``access``, the stored text) and its addresses, and leaves
    UPDATING, in one transaction, if ``holder`` still holds it.

    :returns: as ``finish``.
    """
    if not finish(context, instance_id, 'update_access_done', holder):
        return False
    update(context, instance_id, access=access, addresses=addresses)
    return True


@db_api.writer
def reset(context, instance_id):
    """Admin reset-status: task NONE, no lock, service status UNKNOWN."""
    resource_locks.force(context, resource_kinds.INSTANCE, instance_id,
                         'reset')
    set_service_status(context, instance_id, states.SVC_UNKNOWN)


def holds_lock(context, instance_id, holder):
    """Whether ``holder`` still holds the instance.

    It may have been taken over by a delete, or reset by an administrator.
    """
    return resource_locks.holds_lock(context, resource_kinds.INSTANCE,
                                     instance_id, holder)


def expired(context, now=None):
    """Live instances whose transitional task is past its deadline."""
    return resource_locks.expired(context, resource_kinds.INSTANCE, now)


def expire(context, instance_id, task_code, message, details):
    """End an expired task in its error task with a fault, whoever holds
    the lock (the holder is presumed dead).

    :returns: True if this call expired it (another reconciler may have).
    """
    return resource_locks.expire(context, resource_kinds.INSTANCE,
                                 instance_id, task_code, message, details)


@db_api.writer
def update(context, instance_id, **values):
    """Set plain columns (name, server fields); not the task."""
    _encode(values)
    _live(context.session).filter_by(id=instance_id).update(
        values, synchronize_session=False)


@db_api.writer
def set_key(context, instance_id, key):
    """Store the instance's sealing key (encrypted, ``key_storage``)."""
    update(context, instance_id, encrypted_key=key_storage.encrypt(key))


@db_api.reader
def key_of(context, instance_id):
    """The sealing key of a live instance (None before it has one).

    :raises InstanceNotFound: no such live instance.
    """
    # NOTE(heartbeats): the one column, not the row: the conductor asks
    # this for every instance that reports.
    found = context.session.execute(sa.select(
        models.Instance.encrypted_key).where(
            models.Instance.id == instance_id,
            models.Instance.deleted.is_(False))).first()
    if found is None:
        raise exception.InstanceNotFound(uuid=instance_id)
    return key_storage.decrypt(found.encrypted_key)


# Columns that hold JSON lists.
_JSON_COLUMNS = ('addresses', 'networks')


def _encode(values):
    for column in _JSON_COLUMNS:
        if column in values and values[column] is not None and \
                not isinstance(values[column], str):
            values[column] = json.dumps(values[column])


def addresses_of(instance):
    """The decoded ``addresses`` of an instance row."""
    return json.loads(instance.addresses) if instance.addresses else []


def networks_of(instance):
    """The tenant's networks of an instance row (its ``nics``):
    ``[{'net_id', 'subnet_id'?, 'ip_address'?}]``.
    """
    stored = getattr(instance, 'networks', None)
    return json.loads(stored) if stored else []


@db_api.reader
def server_group_members(context, group_id, excluding=None):
    """Ids of the live instances placed in server group ``group_id``
    (but ``excluding``): while there are any, the group stays.
    """
    query = _live(context.session).filter(
        models.Instance.server_group_id == group_id)
    if excluding is not None:
        query = query.filter(models.Instance.id != excluding)
    return [row.id for row in query.with_entities(models.Instance.id)]


@db_api.writer
def mark_deleted(context, instance_id):
    """Soft-delete the row; its service status becomes DELETED, and the
    progress its guest reported goes.
    """
    now = models.utcnow()
    context.session.query(models.Instance).filter_by(id=instance_id).update(
        {'deleted': True, 'deleted_at': now, 'lock_holder': None,
         'task_deadline': None, 'task_id': states.NONE.code,
         'task_description': states.NONE.description},
        synchronize_session=False)
    set_service_status(context, instance_id, states.SVC_DELETED)
    context.session.query(models.InstanceFault).filter_by(
        instance_id=instance_id, deleted=False).update(
        {'deleted': True, 'deleted_at': now}, synchronize_session=False)
    context.session.query(models.AgentHeartbeat).filter_by(
        instance_id=instance_id).update(
        {'deleted': True, 'deleted_at': now}, synchronize_session=False)
    # NOTE(progress): what its guest reported of operations in progress
    # (its own, its backups') means nothing once the guest is gone.
    context.session.query(models.OperationProgress).filter_by(
        instance_id=instance_id).delete(synchronize_session=False)


# -- Service status and heartbeats --------------------------------------------

@db_api.writer
def set_service_status(context, instance_id, status):
    context.session.query(models.ServiceStatus).filter_by(
        instance_id=instance_id).update(
        {'status_id': status.code, 'status_description': status.description,
         'updated_at': models.utcnow()}, synchronize_session=False)


@db_api.reader
def get_service_status(context, instance_id):
    """(``ServiceStatus``, updated_at) of an instance."""
    row = context.session.query(models.ServiceStatus).filter_by(
        instance_id=instance_id).first()
    if row is None:
        return states.SVC_UNKNOWN, None
    return states.service_status(row.status_id), row.updated_at


#: One guest heartbeat as ``record_heartbeats`` stores it. ``replication``
#: is the guest's replication state as stored
#: (``replication_reports.dump``), or None: the instance takes no part in
#: replication (what was stored is cleared).
Heartbeat = collections.namedtuple('Heartbeat', [
    'instance_id', 'sent', 'status', 'agent_version', 'volume_used',
    'volume_total', 'replication'])


@db_api.writer
def record_heartbeat(context, instance_id, sent, status, agent_version,
                     volume_used=None, volume_total=None, replication=None):
    """Store a guest's report unless an equally new one is stored, or the
    instance is deleted.

    :param replication: as ``Heartbeat.replication``.
    :returns: False when the report was stale or about a deleted
        instance, and dropped.
    """
    stored, _ = record_heartbeats(context, [Heartbeat(
        instance_id, sent, status, agent_version, volume_used, volume_total,
        replication)])
    return instance_id in stored


@db_api.writer
def record_heartbeats(context, beats):
    """Store guests' reports, at most one per instance, in one
    transaction; each as ``record_heartbeat`` would store it alone.

    :param beats: ``Heartbeat`` tuples of distinct instances.
    :returns: ``(stored, gone)``: ``{instance_id: the service status
        stored before}`` of the reports stored, and the set of instance
        ids that are deleted or unknown. A report in neither was stale.
    """
    session = context.session
    instances_t = models.Instance.__table__
    beats_t = models.AgentHeartbeat.__table__
    statuses_t = models.ServiceStatus.__table__
    ids = sorted({beat.instance_id for beat in beats})
    # NOTE(delete): checked in the writing transaction, the instance rows
    # locked (in id order, so that two conductors never deadlock), so
    # that a report that was in flight while a delete finished cannot
    # turn the DELETED service status back into what the guest said while
    # it was being stopped.
    found = session.execute(
        sa.select(instances_t.c.id, beats_t.c.id.label('beat_id'),
                  beats_t.c.sent, statuses_t.c.status_id)
        .select_from(instances_t.outerjoin(
            beats_t, beats_t.c.instance_id == instances_t.c.id).outerjoin(
            statuses_t, statuses_t.c.instance_id == instances_t.c.id))
        .where(instances_t.c.id.in_(ids), instances_t.c.deleted.is_(False))
        .order_by(instances_t.c.id).with_for_update()).all()
    live = {row.id for row in found}
    if not live:
        return {}, set(ids)
    stored_sent = {row.id: row.sent for row in found
                   if row.beat_id is not None}
    status_codes = {row.id: row.status_id for row in found}
    now = models.utcnow()
    stored, rows, statuses = {}, [], {}
    for beat in beats:
        if beat.instance_id not in live:
            continue
        row_sent = stored_sent.get(beat.instance_id)
        if row_sent is not None and beat.sent <= row_sent:
            continue
        rows.append({'id': str(uuid.uuid4()), 'instance_id': beat.instance_id,
                     'sent': beat.sent,
                     'guest_agent_version': beat.agent_version,
                     'updated_at': now, 'deleted': False,
                     'volume_used': beat.volume_used,
                     'volume_total': beat.volume_total,
                     'replication': beat.replication})
        code = status_codes.get(beat.instance_id)
        before = (states.SVC_UNKNOWN if code is None
                  else states.service_status(code))
        stored[beat.instance_id] = before
        if code is None or (before is states.SVC_RESTART_REQUIRED
                            and beat.status in _STILL_PENDING):
            # NOTE(configuration): a parameter waits for a restart; a
            # server that says it is fine does not make that wait go
            # away. A restart (RESTARTING), or a server that stopped,
            # does.
            continue
        statuses.setdefault(beat.status, []).append(beat.instance_id)
    if rows:
        session.execute(_upsert_heartbeats(session.bind.dialect.name), rows)
    for status, instance_ids in statuses.items():
        session.execute(statuses_t.update().where(
            statuses_t.c.instance_id.in_(instance_ids)).values(
                status_id=status.code, status_description=status.description,
                updated_at=now))
    return stored, set(ids) - live


def _upsert_heartbeats(dialect):
    """An INSERT of heartbeat rows that updates an instance's row when it
    has one (``agent_heartbeats.instance_id`` is unique); its id stays,
    and so do its volume figures when a report has none.

    NOTE(heartbeats): run as an executemany, this is one statement for a
    whole batch on MySQL (pymysql folds the rows into one multi-row
    INSERT) and one C loop on SQLite, where the ORM would send an UPDATE
    per row. Which rows are stale was decided under the instances' lock,
    so the statement need not decide it again.
    """
    table = models.AgentHeartbeat.__table__
    if dialect == 'mysql':
        statement = mysql.insert(table)
        new = statement.inserted
    elif dialect == 'sqlite':
        statement = sqlite.insert(table)
        new = statement.excluded
    else:
        raise NotImplementedError('heartbeats on %s' % dialect)
    no_volume = new.volume_used.is_(None)
    values = {
        'sent': new.sent, 'guest_agent_version': new.guest_agent_version,
        'updated_at': new.updated_at, 'replication': new.replication,
        'volume_used': sa.case((no_volume, table.c.volume_used),
                               else_=new.volume_used),
        'volume_total': sa.case((no_volume, table.c.volume_total),
                                else_=new.volume_total)}
    if dialect == 'mysql':
        return statement.on_duplicate_key_update(**values)
    return statement.on_conflict_do_update(index_elements=['instance_id'],
                                           set_=values)


# What a guest reports while a configuration change waits for a restart.
_STILL_PENDING = frozenset([states.SVC_HEALTHY, states.SVC_RUNNING])


@db_api.reader
def get_heartbeat(context, instance_id):
    return context.session.query(models.AgentHeartbeat).filter_by(
        instance_id=instance_id, deleted=False).first()


# -- Faults -------------------------------------------------------------------

def add_fault(context, instance_id, message, details):
    """Store why an instance failed.

    ``message`` is for its owner, ``details`` for administrators. The
    newest fault is the one shown.
    """
    resource_locks.add_fault(context, resource_kinds.INSTANCE, instance_id,
                             message, details)


def get_fault(context, instance_id):
    """The newest live fault of an instance, or None."""
    return resource_locks.get_fault(context, resource_kinds.INSTANCE,
                                    instance_id)


def effective_service_status(instance, status, heartbeat, now, expiry):
    """The service status as the API must show it.

    A guest that has gone quiet for longer than ``expiry`` seconds while
    nothing else is going on is shown as lost (FAILED_TIMEOUT_GUESTAGENT,
    i.e. ERROR), whatever it said last.

    :param heartbeat: the instance's ``AgentHeartbeat`` or None.
    """
    if (states.task(instance.task_id) is not states.NONE
            or status in (states.SVC_RESTART_REQUIRED, states.SVC_DELETED)
            or heartbeat is None):
        return status
    if (now - heartbeat.updated_at).total_seconds() > expiry:
        return states.SVC_FAILED_TIMEOUT_GUESTAGENT
    return status
