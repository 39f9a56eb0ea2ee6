"""Progress of long operations, as guests report it.

A backup that streams gigabytes, a restore, a long prepare: the guest
says now and then how far it has got, and the conductor keeps the latest
report per (resource kind, resource id, operation) in
``operation_progress``, for the API to show without asking the guest.

A report counts only when it is sealed by the instance the resource
belongs to (``owner_of``) and is newer, by the guest's clock, than the
one stored (``record``); reads (``latest``, ``list_for``) serve what is
stored. Rows go with their resource: an instance's with the instance
(``instances.mark_deleted``), others through ``purge``.
"""

import uuid

from oslo_db import exception as db_exc

from trove_lite.db import api as db_api
from trove_lite.db import models

INSTANCE = 'instance'
BACKUP = 'backup'

# Column widths, so that a report is refused (not cut) when it does not fit.
MAX_OPERATION = 64
MAX_TEXT = 255


def _instance_owner(session, resource_id):
    row = session.query(models.Instance.id).filter(
        models.Instance.id == resource_id,
        models.Instance.deleted.is_(False)).first()
    return row.id if row else None


def _backup_owner(session, resource_id):
    row = session.query(models.Backup.instance_id).filter(
        models.Backup.id == resource_id,
        models.Backup.deleted.is_(False)).first()
    return row.instance_id if row else None


# NOTE(kinds): a resource kind whose guest may report progress names here
# how to find the instance that owns one: that instance's key must seal
# the report.
_OWNERS = {INSTANCE: _instance_owner, BACKUP: _backup_owner}

KINDS = frozenset(_OWNERS)


@db_api.reader
def owner_of(context, resource_kind, resource_id):
    """The id of the live instance a live resource belongs to, or None
    (an unknown kind, or no such live resource).
    """
    owner = _OWNERS.get(resource_kind)
    if owner is None:
        return None
    return owner(context.session, resource_id)


def _find(session, resource_kind, resource_id, operation):
    return session.query(models.OperationProgress).filter_by(
        resource_kind=resource_kind, resource_id=resource_id,
        operation=operation).first()


@db_api.writer
def _write(context, resource_kind, resource_id, operation, instance_id,
           sent, values):
    session = context.session
    row = _find(session, resource_kind, resource_id, operation)
    if row is not None and row.sent >= sent:
        return False
    if row is None:
        row = models.OperationProgress(
            id=str(uuid.uuid4()), resource_kind=resource_kind,
            resource_id=resource_id, operation=operation)
        session.add(row)
    row.instance_id = instance_id
    row.sent = sent
    row.updated_at = models.utcnow()
    for name, value in values.items():
        setattr(row, name, value)
    session.flush()
    return True


def record(context, resource_kind, resource_id, operation, instance_id,
           sent, step=None, percent=None, bytes_done=None, bytes_total=None,
           message=None):
    """Store a progress report unless an equally new one is stored.

    Every field replaces the stored one (a report says where the whole
    operation is, not what changed).

    :param instance_id: the instance whose key sealed the report.
    :param sent: the guest's clock when sending (epoch seconds).
    :returns: False when the report was stale and dropped.
    """
    values = {'step': step, 'percent': percent, 'bytes_done': bytes_done,
              'bytes_total': bytes_total, 'message': message}
    args = (context, resource_kind, resource_id, operation, instance_id,
            sent, values)
    try:
        return _write(*args)
    except db_exc.DBDuplicateEntry:
        # NOTE(race): two first reports of one operation inserted at once;
        # the loser's row exists now, so it is an update (or stale).
        return _write(*args)


@db_api.reader
def latest(context, resource_kind, resource_id, operation):
    """The stored progress of one operation, or None."""
    return _find(context.session, resource_kind, resource_id, operation)


@db_api.reader
def list_for(context, resource_kind, resource_id):
    """The stored progress of every operation of a resource, newest
    report first (what a view of the resource shows).
    """
    return context.session.query(models.OperationProgress).filter_by(
        resource_kind=resource_kind, resource_id=resource_id).order_by(
        models.OperationProgress.updated_at.desc()).all()


@db_api.writer
def purge(context, resource_kind, resource_id):
    """Forget the progress of a resource that is gone.

    :returns: how many rows went.
    """
    return context.session.query(models.OperationProgress).filter_by(
        resource_kind=resource_kind, resource_id=resource_id).delete(
        synchronize_session=False)
