"""Backup schedules: when each runs, who runs it, and what it may prune.

A schedule belongs to one instance (and its project). Its ``next_run`` is
both the time of its next backup and the claim on it: any number of
taskmanagers look for due schedules (``claim_due``), and each moves a
due schedule's ``next_run`` to the run after now with one conditional
UPDATE that names the ``next_run`` it read. The database lets exactly one
such UPDATE match (a row lock on MariaDB, the write lock on SQLite), so
one taskmanager wins each run and the others see zero rows changed. A
taskmanager that was down runs an overdue schedule once, not once per
missed period.

Retention (``prune_candidates``) only ever picks backups the schedule
made (``backups.schedule_id``), and never one that a backup which stays
depends on: deleting a backup deletes its incremental children with it,
so a full goes only when none of its descendants is kept or running, and
never when a descendant is not the schedule's own (a backup a user chained
to it by hand). Deleting a schedule leaves its backups alone.
"""

import datetime
import uuid

import sqlalchemy as sa

from trove_lite.common import exception
from trove_lite.common import schedule_patterns
from trove_lite.common import states
from trove_lite.db import api as db_api
from trove_lite.db import models

Schedule = models.BackupSchedule
Backup = models.Backup

# States of a backup retention may delete: a completed one beyond the
# kept, and a failed one that a newer success made moot (the latest
# failure stays visible until a backup succeeds again).
PRUNABLE = frozenset([states.BACKUP_COMPLETED.name,
                      states.BACKUP_FAILED.name])
RUNNING = frozenset(state.name for state in states.BACKUP_RUNNING)
# When a schedule whose pattern no longer reads is looked at again.
UNREADABLE_RETRY = datetime.timedelta(hours=1)


def _live(session):
    return session.query(Schedule).filter(Schedule.deleted.is_(False))


@db_api.writer
def create(context, instance_id, project_id, name, pattern, keep,
           incremental=False, description=None):
    """A new schedule whose first run is the pattern's next after now.

    :param keep: how many completed backups of the schedule to keep (>= 1).
    :returns: the new ``models.BackupSchedule``.
    :raises BadRequest: a pattern ``schedule_patterns`` refuses, or a
        ``keep`` below 1.
    """
    pattern = schedule_patterns.validate(pattern)
    if not isinstance(keep, int) or keep < 1:
        raise exception.BadRequest(
            'A backup schedule keeps at least one backup; give keep >= 1 '
            '(got %r).' % (keep,))
    now = models.utcnow()
    row = Schedule(id=str(uuid.uuid4()), tenant_id=project_id,
                   instance_id=instance_id, name=name,
                   description=description, pattern=pattern, keep=keep,
                   incremental=bool(incremental),
                   next_run=schedule_patterns.next_after(pattern, now),
                   created=now, updated=now)
    context.session.add(row)
    context.session.flush()
    return row


@db_api.reader
def list_for_instance(context, instance_id):
    """The live schedules of an instance, oldest first."""
    return _live(context.session).filter(
        Schedule.instance_id == instance_id).order_by(
        Schedule.created, Schedule.id).all()


@db_api.reader
def list_all(context, project_id=None):
    """Every live schedule (of ``project_id`` when given), by project,
    instance and age: what ``trove-lite-manage backup_schedule_list``
    shows.
    """
    query = _live(context.session)
    if project_id is not None:
        query = query.filter(Schedule.tenant_id == project_id)
    return query.order_by(Schedule.tenant_id, Schedule.instance_id,
                          Schedule.created, Schedule.id).all()


@db_api.reader
def get(context, schedule_id, instance_id):
    """A live schedule of ``instance_id``.

    :raises BackupScheduleNotFound: none of that id on that instance.
    """
    row = _live(context.session).filter(
        Schedule.id == schedule_id,
        Schedule.instance_id == instance_id).first()
    if row is None:
        raise exception.BackupScheduleNotFound(uuid=schedule_id)
    return row


@db_api.writer
def delete(context, schedule_id, instance_id):
    """Soft-delete a schedule; the backups it made stay.

    :raises BackupScheduleNotFound: none of that id on that instance
        (or it is deleted already).
    """
    changed = _live(context.session).filter(
        Schedule.id == schedule_id,
        Schedule.instance_id == instance_id).update(
        {'deleted': True, 'deleted_at': models.utcnow()},
        synchronize_session=False)
    if not changed:
        raise exception.BackupScheduleNotFound(uuid=schedule_id)


# -- Running --------------------------------------------------------------

@db_api.reader
def due(context, now, limit):
    """Up to ``limit`` live schedules whose ``next_run`` has come, the
    most overdue first; not yet claimed by anyone (see ``claim``).
    """
    return _live(context.session).filter(Schedule.next_run <= now).order_by(
        Schedule.next_run, Schedule.id).limit(limit).all()


@db_api.writer
def claim(context, schedule, now):
    """Take this run of ``schedule`` (a row ``due`` read): move its
    ``next_run`` past ``now``, if nobody has since.

    :returns: the schedule as it now is, or None when another caller
        claimed the run first (or it was deleted), or when its pattern no
        longer reads (it is put off by ``UNREADABLE_RETRY``).
    """
    try:
        next_run = schedule_patterns.next_after(schedule.pattern, now)
        runnable = True
    except exception.BadRequest:
        # NOTE(schedules): a pattern stored before a stricter release no
        # longer reads; it is put off, not run, so that it cannot fill
        # every round's batch, until someone deletes it.
        next_run = now + UNREADABLE_RETRY
        runnable = False
    changed = context.session.query(Schedule).filter(
        Schedule.id == schedule.id, Schedule.deleted.is_(False),
        Schedule.next_run == schedule.next_run).update(
        {'next_run': next_run, 'updated': models.utcnow()},
        synchronize_session=False)
    if not changed or not runnable:
        return None
    return context.session.get(Schedule, schedule.id,
                               populate_existing=True)


def claim_due(context, now, limit):
    """The due schedules this caller won, each claimed in a transaction
    of its own (so a claim is committed before its backup starts, and a
    row lock is held for one UPDATE only).

    :returns: the claimed schedules with their new ``next_run``.
    """
    claimed = []
    for schedule in due(context, now, limit):
        row = claim(context, schedule, now)
        if row is not None:
            claimed.append(row)
    return claimed


@db_api.writer
def record_run(context, schedule_id, backup_id, now=None):
    """Remember the backup a run started (and when)."""
    context.session.query(Schedule).filter(Schedule.id == schedule_id).update(
        {'last_run': now or models.utcnow(), 'last_backup_id': backup_id},
        synchronize_session=False)


# -- Retention ------------------------------------------------------------

def _newest_first(rows):
    return sorted(rows, key=lambda row: (row.created, row.id), reverse=True)


def _descendants(session, backups):
    """Every live backup that descends from ``backups`` through
    ``parent_id``, whoever made it: ``{id: row}``.
    """
    found = {}
    frontier = [row.id for row in backups]
    while frontier:
        children = session.query(Backup).filter(
            Backup.deleted.is_(False),
            Backup.parent_id.in_(frontier)).all()
        frontier = [row.id for row in children if row.id not in found]
        found.update((row.id, row) for row in children)
    return found


def _with_ancestors(ids, parents):
    """``ids`` and every backup they depend on through ``parents``."""
    protected = set()
    for backup_id in ids:
        while backup_id is not None and backup_id not in protected:
            protected.add(backup_id)
            backup_id = parents.get(backup_id)
    return protected


@db_api.reader
def prune_candidates(context, schedule):
    """The backups retention should delete now, oldest first.

    The schedule keeps its ``keep`` newest completed backups. Of the
    rest of its own live backups, a completed one goes, and so does a
    failed one older than its newest completed one; never one that is
    running or being deleted, and never one that a kept or running
    backup, or a backup that is not the schedule's, depends on through
    ``parent_id`` (deleting it would take them along).

    :returns: a list of ``models.Backup``.
    """
    session = context.session
    own = session.query(Backup).filter(Backup.schedule_id == schedule.id,
                                       Backup.deleted.is_(False)).all()
    completed = _newest_first(
        [row for row in own if row.state == states.BACKUP_COMPLETED.name])
    kept = completed[:schedule.keep]
    own_ids = {row.id for row in own}
    descendants = _descendants(session, own)
    others = [backup_id for backup_id in descendants
              if backup_id not in own_ids]
    parents = {row.id: row.parent_id
               for row in own + list(descendants.values())}
    protected = _with_ancestors(
        [row.id for row in kept] + others
        + [row.id for row in own if row.state in RUNNING], parents)
    newest_success = completed[0].created if completed else None
    candidates = [
        row for row in own
        if row.id not in protected and row.state in PRUNABLE
        and (row.state == states.BACKUP_COMPLETED.name
             or (newest_success is not None
                 and row.created < newest_success))]
    return sorted(candidates, key=lambda row: (row.created, row.id))


@db_api.reader
def over_keep(context):
    """The live schedules that have more live backups retention may look
    at than they keep: those worth a ``prune_candidates``.
    """
    counted = sa.select(Backup.schedule_id, sa.func.count().label('n')).where(
        Backup.deleted.is_(False), Backup.schedule_id.is_not(None),
        Backup.state.in_(sorted(PRUNABLE))).group_by(
        Backup.schedule_id).subquery()
    return _live(context.session).join(
        counted, counted.c.schedule_id == Schedule.id).filter(
        counted.c.n > Schedule.keep).order_by(Schedule.id).all()


@db_api.reader
def chain_parent(context, schedule):
    """The parent of the schedule's next backup: None for a full one.

    A schedule that is not incremental always takes fulls. An incremental
    one chains to its newest completed backup, and starts a new full
    once that chain holds ``keep`` backups, so that retention can let
    the old chain go whole (a chain is deleted only when none of its
    backups is kept).
    """
    if not schedule.incremental:
        return None
    own = context.session.query(Backup).filter(
        Backup.schedule_id == schedule.id, Backup.deleted.is_(False)).all()
    completed = _newest_first(
        [row for row in own if row.state == states.BACKUP_COMPLETED.name])
    if not completed:
        return None
    parents = {row.id: row.parent_id for row in own}
    length = 0
    backup_id = completed[0].id
    while backup_id is not None and length <= schedule.keep:
        length += 1
        backup_id = parents.get(backup_id)
    return None if length >= schedule.keep else completed[0].id
