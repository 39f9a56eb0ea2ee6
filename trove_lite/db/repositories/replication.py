"""The replication topology: who follows whom, as rows, and its changes.

A replication group is one source (``slave_of_id`` NULL) and the
instances whose ``slave_of_id`` names it; a replica never has replicas of
its own. Every change of a group is one transaction that checks the group
is still what the change was decided on (a compare-and-set on
``slave_of_id`` and on the lock the change holds) and that the result
keeps the invariants: one source per group, no replica of a replica. So
two workers (two conductors failing over, a tenant's promote racing an
automatic failover) can never both commit a new source: the second one's
compare fails and it changes nothing.

A change that takes several instances (promote, eject) locks every
member of the group with one holder in one transaction (``start_group``);
the flow that runs it takes all of them over at once (``hand_over_all``)
and releases each as it commits.
"""

import sqlalchemy as sa

from trove_lite.common import exception
from trove_lite.db import api as db_api
from trove_lite.db import models
from trove_lite.db.repositories import instances as instance_repo


def _live(session):
    return session.query(models.Instance).filter(
        models.Instance.deleted.is_(False))


@db_api.reader
def replicas_of(context, source_id):
    """The live replicas of ``source_id``, in id order."""
    return _live(context.session).filter(
        models.Instance.slave_of_id == source_id).order_by(
        models.Instance.id).all()


@db_api.reader
def replica_ids(context, source_id):
    return [row.id for row in replicas_of(context, source_id)]


@db_api.reader
def group(context, source_id):
    """``[source, replica, ...]``: the live members of the group of
    ``source_id``.
    """
    members = _live(context.session).filter(sa.or_(
        models.Instance.id == source_id,
        models.Instance.slave_of_id == source_id)).order_by(
        models.Instance.id).all()
    return sorted(members, key=lambda row: row.id != source_id)


@db_api.writer
def start_group(context, instance_ids, event, holder):
    """Apply ``event`` to every instance of ``instance_ids`` with one
    holder, all or none.

    :raises InstanceNotAvailable: one is busy or in the wrong task (422);
        nothing is changed.
    """
    for instance_id in instance_ids:
        instance_repo.start(context, instance_id, event, holder)


@db_api.writer
def hand_over_all(context, resource_id, holder, new_holder):
    """Pass every lock ``holder`` has to ``new_holder`` (the members of a
    group the API locked for one change).

    :returns: whether ``resource_id`` is among them.
    """
    if holder != new_holder:
        context.session.query(models.Instance).filter(
            models.Instance.lock_holder == holder).update(
            {'lock_holder': new_holder}, synchronize_session=False)
    return instance_repo.holds_lock(context, resource_id, new_holder)


@db_api.reader
def held_by(context, holder):
    """The live instances ``holder`` holds, in id order."""
    return _live(context.session).filter(
        models.Instance.lock_holder == holder).order_by(
        models.Instance.id).all()


def _check_invariants(session, source_id):
    members = session.query(models.Instance).filter(
        models.Instance.deleted.is_(False),
        sa.or_(models.Instance.id == source_id,
               models.Instance.slave_of_id == source_id)).all()
    source = [row for row in members if row.id == source_id]
    if not source or source[0].slave_of_id is not None:
        raise exception.TopologyChanged(
            uuid=source_id, reason='the new source is not a source')
    replica_ids = [row.id for row in members if row.id != source_id]
    if replica_ids:
        nested = session.query(models.Instance.id).filter(
            models.Instance.deleted.is_(False),
            models.Instance.slave_of_id.in_(replica_ids)).first()
        if nested is not None:
            raise exception.TopologyChanged(
                uuid=source_id, reason='a replica has replicas')


@db_api.writer
def commit_new_source(context, new_source_id, old_source_id, members,
                      holder, done_event):
    """Make ``new_source_id`` the source of the group that was
    ``old_source_id``'s, and end the change for every member.

    One transaction: the rows are locked, the compare is that
    ``holder`` still holds every member and that the new source followed
    the old one (or already is the source: a repeat), then the new source
    gets no source and every other member follows it; ``done_event``
    ends each member's task and releases its lock.

    :param members: ids of the group's members when the change began.
    :raises TopologyChanged: the compare failed; nothing is changed.
    """
    session = context.session
    rows = {row.id: row for row in session.query(models.Instance).filter(
        models.Instance.id.in_(sorted(members)),
        models.Instance.deleted.is_(False)).with_for_update().all()}
    new_source = rows.get(new_source_id)
    if new_source is None:
        raise exception.TopologyChanged(uuid=old_source_id,
                                        reason='the new source is gone')
    if new_source.slave_of_id not in (old_source_id, None):
        raise exception.TopologyChanged(
            uuid=old_source_id,
            reason='%s follows another source' % new_source_id)
    for row in rows.values():
        if row.lock_holder != holder:
            raise exception.TopologyChanged(
                uuid=old_source_id,
                reason='%s was taken over by another request' % row.id)
    for row in rows.values():
        row.slave_of_id = None if row.id == new_source_id else new_source_id
    session.flush()
    _check_invariants(session, new_source_id)
    for member_id in sorted(rows):
        instance_repo.finish(context, member_id, done_event, holder)


@db_api.writer
def commit_detach(context, replica_id, holder, done_event):
    """The replica follows nothing from now on; its task ends.

    :returns: False when ``holder`` no longer holds it (nothing changed).
    """
    session = context.session
    row = session.query(models.Instance).filter_by(
        id=replica_id, deleted=False).with_for_update().first()
    if row is None or row.lock_holder != holder:
        return False
    row.slave_of_id = None
    session.flush()
    return instance_repo.finish(context, replica_id, done_event, holder)


def fail_members(context, members, failed_event, holder, message,
                 details):
    """End a failed change on every member ``holder`` still holds, each
    with the fault.
    """
    for member_id in members:
        if instance_repo.finish(context, member_id, failed_event, holder):
            instance_repo.add_fault(context, member_id, message, details)
