"""Workflows: the taskmanagers' work, recorded so that it outlives them.

Upstream Trove runs a flow in the memory of the taskmanager that got the
cast: when that process dies, the instance stays in BUILD until someone
notices. Here the API records each workflow (``record``) in the same
transaction as the change that starts it, and a taskmanager owns it only
while a lease lasts:

- ``claim`` is one conditional UPDATE: the row becomes the caller's if
  nobody owns it or its owner's lease lapsed (a dead owner stops renewing
  it), so exactly one taskmanager runs a workflow at a time, however many
  try, on SQLite as on MariaDB;
- the owner renews the leases of the flows it runs (``renew``), records
  each step that completed (``set_step``) and deletes the row when the
  flow ended (``finish``), or gives it back when it stops without ending
  it (``release``, a graceful shutdown);
- ``claimable`` lists what nobody runs: rows no cast reached (a
  taskmanager that was down, a message RabbitMQ lost) and rows whose
  owner died; ``own_leftovers`` the rows a previous life of this host
  owned, which a starting taskmanager takes back at once.

Every write that depends on ownership names the owner in its WHERE
clause: a taskmanager that lost its lease cannot record anything for a
workflow that another one now runs.
"""

import datetime
import json
import uuid

import sqlalchemy as sa

from trove_lite.common import key_storage
from trove_lite.db import api as db_api
from trove_lite.db import models


def _expiry(now, lease_seconds):
    return now + datetime.timedelta(seconds=lease_seconds)


def seal_arguments(arguments):
    """``arguments`` as stored: JSON, encrypted (they hold passwords)."""
    if arguments is None:
        return None
    return key_storage.encrypt(json.dumps(arguments))


def open_arguments(stored):
    """The arguments ``seal_arguments`` stored (``{}`` for none)."""
    if not stored:
        return {}
    return json.loads(key_storage.decrypt(stored))


def _stored_context(context):
    """What a record keeps of the request context: everything but the
    token, which will have expired by the time a resumed flow runs
    (nothing in a flow calls another service with it).
    """
    values = context.to_dict()
    for key in ('auth_token', 'auth_token_info'):
        values.pop(key, None)
    return json.dumps(values)


@db_api.writer
def record(context, kind, resource_id, operation, holder=None,
           arguments=None, request_context=None, notification=None,
           workflow_id=None):
    """Record a workflow nobody runs yet.

    Joins the caller's transaction when there is one, so that the change
    that starts the workflow and its record commit together.

    :param kind: the resource kind's name (``resource_kinds``).
    :param holder: the resource lock the workflow starts from (the API's
        holder of a delete or restart; None for a create, whose flow
        claims the unheld row).
    :param arguments: a JSON-able dict, stored encrypted.
    :param request_context: the request context the flow runs with
        (stored without its token).
    :param notification: what the API's operation notification handed off.
    :returns: the workflow's id.
    """
    now = models.utcnow()
    row = models.Workflow(
        id=workflow_id or str(uuid.uuid4()), resource_kind=kind,
        resource_id=resource_id, operation=operation, holder=holder,
        attempts=0, arguments=seal_arguments(arguments),
        request_context=(_stored_context(request_context)
                         if request_context is not None else None),
        notification=(json.dumps(notification)
                      if notification is not None else None),
        created_at=now, updated_at=now)
    context.session.add(row)
    context.session.flush()
    return row.id


@db_api.reader
def get(context, workflow_id):
    """The workflow, or None when it ended (or never was)."""
    return context.session.get(models.Workflow, workflow_id)


@db_api.reader
def of_resource(context, kind, resource_id):
    """The workflows of one resource, oldest first."""
    return context.session.query(models.Workflow).filter_by(
        resource_kind=kind, resource_id=resource_id).order_by(
        models.Workflow.created_at).all()


@db_api.reader
def holders(context, kind):
    """The resource locks the workflows of ``kind`` run as: locks a
    resumed flow takes over, which nobody may call stale.
    """
    rows = context.session.query(models.Workflow.holder).filter(
        models.Workflow.resource_kind == kind,
        models.Workflow.holder.isnot(None))
    return {row.holder for row in rows}


def _claimable_clause(now):
    table = models.Workflow
    return sa.or_(table.owner.is_(None), table.lease_expires < now)


@db_api.writer
def claim(context, workflow_id, owner, lease_seconds, steal_from=None):
    """Own the workflow for ``lease_seconds`` if nobody does.

    :param steal_from: also take it from this previous owner, whatever its
        lease says (a previous life of this taskmanager: it is dead).
    :returns: the claimed row, or None when someone else owns it (or it
        ended).
    """
    now = models.utcnow()
    table = models.Workflow
    condition = _claimable_clause(now)
    if steal_from:
        condition = sa.or_(condition, table.owner == steal_from)
    count = context.session.query(table).filter(
        table.id == workflow_id, condition).update(
        {'owner': owner, 'lease_expires': _expiry(now, lease_seconds),
         'attempts': table.attempts + 1, 'updated_at': now},
        synchronize_session=False)
    if not count:
        return None
    row = context.session.get(table, workflow_id)
    context.session.refresh(row)
    return row


@db_api.reader
def claimable(context, grace_seconds, limit=50):
    """Ids of workflows nobody runs: unowned for longer than
    ``grace_seconds`` (the cast that should have started them is late or
    lost), or owned under a lapsed lease (the owner died). Oldest first.
    """
    now = models.utcnow()
    table = models.Workflow
    unowned_since = now - datetime.timedelta(seconds=grace_seconds)
    rows = context.session.query(table.id).filter(sa.or_(
        sa.and_(table.owner.is_(None), table.created_at <= unowned_since),
        table.lease_expires < now)).order_by(table.created_at).limit(
        limit).all()
    return [row.id for row in rows]


@db_api.reader
def own_leftovers(context, host_prefix, owner):
    """``(id, previous owner)`` of the workflows owned on this host by
    anyone but ``owner``: a previous life of this taskmanager, which
    cannot be running any more.
    """
    table = models.Workflow
    rows = context.session.query(table.id, table.owner).filter(
        table.owner.startswith(host_prefix, autoescape=True),
        table.owner != owner).order_by(table.created_at).all()
    return [(row.id, row.owner) for row in rows]


@db_api.writer
def renew(context, owner, workflow_ids, lease_seconds):
    """Extend the leases ``owner`` holds on ``workflow_ids``.

    :returns: the ids among them that ``owner`` no longer owns.
    """
    if not workflow_ids:
        return set()
    now = models.utcnow()
    table = models.Workflow
    context.session.query(table).filter(
        table.id.in_(list(workflow_ids)), table.owner == owner).update(
        {'lease_expires': _expiry(now, lease_seconds)},
        synchronize_session=False)
    owned = {row.id for row in context.session.query(table.id).filter(
        table.id.in_(list(workflow_ids)), table.owner == owner)}
    return set(workflow_ids) - owned


@db_api.writer
def _update_owned(context, workflow_id, current_owner, **values):
    values['updated_at'] = models.utcnow()
    table = models.Workflow
    return bool(context.session.query(table).filter(
        table.id == workflow_id, table.owner == current_owner).update(
        values, synchronize_session=False))


def set_step(context, workflow_id, owner, step):
    """Record that ``step`` completed; False when ``owner`` lost it."""
    return _update_owned(context, workflow_id, owner, step=step)


def set_holder(context, workflow_id, owner, holder):
    """Record the resource lock the flow now runs as."""
    return _update_owned(context, workflow_id, owner, holder=holder)


def release(context, workflow_id, owner):
    """Give the workflow back unfinished, for anyone to resume now."""
    return _update_owned(context, workflow_id, owner, owner=None,
                         lease_expires=None)


@db_api.writer
def finish(context, workflow_id, owner):
    """The flow ended (done, failed or superseded): forget it.

    :returns: False when ``owner`` no longer owned it.
    """
    table = models.Workflow
    return bool(context.session.query(table).filter(
        table.id == workflow_id, table.owner == owner).delete(
        synchronize_session=False))


@db_api.writer
def discard(context, workflow_id):
    """Forget a workflow whoever owns it (its resource is gone)."""
    context.session.query(models.Workflow).filter_by(
        id=workflow_id).delete(synchronize_session=False)
