"""What guests report about the backups they take, and the repairs of
backups whose guest can no longer report.

A backup's flow in the taskmanager holds the backup's lock and waits; the
guest that streams the backup decides how it ends. Its reports
(``conductor.manager.update_backup``) are applied here as conditional
updates: they count only while the backup runs, so a late, repeated or
forged-order report changes nothing (``resource_locks.apply_report``).
"""

import datetime
import json

import sqlalchemy as sa

from trove_lite.common import states
from trove_lite.db import api as db_api
from trove_lite.db import models
from trove_lite.db.repositories import resource_locks
from trove_lite.db import resource_kinds

BACKUP = resource_kinds.BACKUP
GB = float(1024 ** 3)
_RUNNING_CODES = [state.code for state in states.BACKUP_RUNNING]


@db_api.reader
def running_instance_ids(context, instance_ids):
    """Which of ``instance_ids`` have a running backup (one query, for a
    page of instances).
    """
    if not instance_ids:
        return set()
    rows = context.session.query(models.Backup.instance_id).filter(
        models.Backup.deleted.is_(False),
        models.Backup.state.in_(_RUNNING_CODES),
        models.Backup.instance_id.in_(list(instance_ids))).distinct()
    return {row.instance_id for row in rows}


def record_started(context, backup_id):
    """The guest started streaming: NEW -> BUILDING (the flow keeps its
    lock; the deadline starts again from now).
    """
    return resource_locks.apply_report(context, BACKUP, backup_id,
                                       'backup_started', release=False)


def record_completed(context, backup_id, location, checksum, size_bytes,
                     backup_type, metadata):
    """The backup is stored: COMPLETED with where, its checksum, its size
    (GB, as upstream's column holds it) and the strategy's metadata.
    """
    values = {'location': location, 'checksum': checksum,
              'size': size_bytes / GB, 'backup_type': backup_type,
              'strategy_metadata': json.dumps(metadata or {}),
              'backup_timestamp': models.utcnow()}
    return resource_locks.apply_report(context, BACKUP, backup_id,
                                       'backup_done', values)


@db_api.writer
def record_failed(context, backup_id, message, details):
    """The backup failed: FAILED with a fault, if it still runs."""
    if not resource_locks.apply_report(context, BACKUP, backup_id,
                                       'backup_failed'):
        return False
    resource_locks.add_fault(context, BACKUP, backup_id, message, details)
    return True


@db_api.reader
def started_before(context, instance_id, moment):
    """The instance's BUILDING backups that started before ``moment``
    (naive UTC).
    """
    return BACKUP.rows(context.session).filter(
        models.Backup.instance_id == instance_id,
        models.Backup.state == states.BACKUP_BUILDING.code,
        models.Backup.task_start_time < moment).all()


@db_api.reader
def started_before_each(context, moments):
    """``started_before`` of several instances in one query (a batch of
    heartbeats).

    :param moments: ``{instance_id: moment}`` (naive UTC).
    :returns: ``{instance_id: [backup rows]}``, for the instances that
        have any.
    """
    if not moments:
        return {}
    found = {}
    for row in BACKUP.rows(context.session).filter(
            models.Backup.instance_id.in_(list(moments)),
            models.Backup.state == states.BACKUP_BUILDING.code,
            models.Backup.task_start_time < max(moments.values())):
        if row.task_start_time < moments[row.instance_id]:
            found.setdefault(row.instance_id, []).append(row)
    return found


@db_api.reader
def orphaned(context, heartbeat_expiry, now=None):
    """Running backups whose guest cannot report any more: ``[(row,
    reason)]``.

    - the instance is deleted or unknown;
    - the instance's last heartbeat is older than ``heartbeat_expiry``
      seconds, and so is the backup (the agent died or hangs: it will
      neither start a NEW backup nor finish a BUILDING one).
    """
    now = now or models.utcnow()
    session = context.session
    found = []
    rows = BACKUP.rows(session).filter(
        models.Backup.state.in_(_RUNNING_CODES)).all()
    if not rows:
        return found
    instance_ids = {row.instance_id for row in rows}
    live = {row.id for row in session.query(models.Instance.id).filter(
        models.Instance.id.in_(instance_ids),
        models.Instance.deleted.is_(False))}
    beats = dict(session.query(
        models.AgentHeartbeat.instance_id,
        sa.func.max(models.AgentHeartbeat.updated_at)).filter(
        models.AgentHeartbeat.instance_id.in_(instance_ids),
        models.AgentHeartbeat.deleted.is_(False)).group_by(
        models.AgentHeartbeat.instance_id).all())
    limit = now - datetime.timedelta(seconds=heartbeat_expiry)
    for row in rows:
        if row.instance_id not in live:
            found.append((row, 'The instance %s was deleted while the '
                               'backup ran.' % row.instance_id))
            continue
        beat = beats.get(row.instance_id)
        started = row.task_start_time or row.created
        if (beat is None or beat < limit) and started < limit:
            found.append((row, 'The guest agent of instance %s stopped '
                               'reporting (last heartbeat: %s) while the '
                               'backup ran.' % (row.instance_id,
                                                beat or 'never')))
    return found


@db_api.writer
def hand_over_all(context, holder, new_holder):
    """Pass every backup ``holder`` holds to ``new_holder``; how many."""
    if holder == new_holder:
        return BACKUP.rows(context.session).filter(
            models.Backup.lock_holder == holder).count()
    return BACKUP.rows(context.session).filter(
        models.Backup.lock_holder == holder).update(
        {'lock_holder': new_holder}, synchronize_session=False)


@db_api.writer
def record_ended_while_deleting(context, backup_id, location=None):
    """A guest's last report on a backup that is being deleted (it was
    taken over while running): the delete flow waits for it, and removes
    what it stored (``location``, for a backup that completed anyway).

    NOTE(backups): ``backup_timestamp`` marks that the guest is done with
    it; a DELETING row is never shown, so the column says nothing else
    here.
    """
    values = {'backup_timestamp': models.utcnow()}
    if location:
        values['location'] = location
    return BACKUP.rows(context.session).filter(
        models.Backup.id == backup_id,
        models.Backup.state == states.BACKUP_DELETING.code,
    ).update(values, synchronize_session=False) == 1
