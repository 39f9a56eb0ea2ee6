"""Task changes and row locks of any resource kind, as test-and-sets.

A ``ResourceKind`` binds a kind's ``state_machine.Machine`` to its table:
the model, the column that stores its task, where its faults go. Every
function here takes the kind first and does what the instances used to do
alone:

- ``start`` applies an event as one conditional UPDATE: it succeeds only
  if the row is in one of the event's source tasks and nobody holds its
  lock (``lock_holder``), unless the event takes over (a delete). The
  caller becomes the holder, and a transitional target gets its deadline.
- ``finish`` ends what the holder started and releases the lock in the
  same statement; ``holds_lock`` and ``hand_over`` let a flow check and
  pass on its lock.
- ``expire`` moves a row past its deadline to the declared error task
  with a fault (the conductor's reconciler), ``fail_host_locks`` the rows
  a restarted taskmanager held before (their flows are gone).

Lock holders name the host that runs the operation (``<host>:<uuid>``,
Ironic's conductor-host reservations), so that a taskmanager that starts
again can tell its own stale locks from everyone else's. The API takes a
lock as ``api@<host>:<uuid>`` and hands it over in the cast; the
taskmanager that runs the flow renames it to its own host
(``adopted``).
"""

import uuid

from oslo_config import cfg
import sqlalchemy as sa

from trove_lite.common import exception
from trove_lite.common import notifications
from trove_lite.db import api as db_api
from trove_lite.db import models

API_ROLE = 'api'


# -- Holders ------------------------------------------------------------------

def new_holder(host=None, role=None):
    """A new lock holder id for an operation run on ``host``.

    :param host: ``[DEFAULT] host`` when None.
    :param role: ``API_ROLE`` for a lock the API takes and hands over in
        its cast (``api@<host>:<uuid>``); None for the host that runs the
        flow (``<host>:<uuid>``).
    """
    host = host or cfg.CONF.host
    if role:
        host = '%s@%s' % (role, host)
    return '%s:%s' % (host, uuid.uuid4())


def adopted(holder, host=None):
    """``holder`` as ``host`` (this one when None) holds it: same
    operation id, the host that runs the flow.
    """
    return '%s:%s' % (host or cfg.CONF.host, holder.rsplit(':', 1)[-1])


def host_prefix(host):
    """What every holder id of a flow on ``host`` starts with."""
    return '%s:' % host


# -- Declarations -------------------------------------------------------------

class FaultStore:
    """Where a kind stores why a resource failed.

    :param model: the fault model (columns ``id``, ``message``,
        ``details``, ``created``, ``updated``, ``deleted``).
    :param key: the column naming the resource.
    :param kind_column: a column for the kind's name, when the table
        holds the faults of many kinds (``resource_faults``).
    """

    def __init__(self, model, key, kind_column=None):
        self.model = model
        self.key = key
        self.kind_column = kind_column

    def _match(self, kind, resource_id):
        match = {self.key: resource_id}
        if self.kind_column:
            match[self.kind_column] = kind.name
        return match

    def add(self, context, kind, resource_id, message, details, now=None):
        now = now or models.utcnow()
        values = self._match(kind, resource_id)
        values.update(id=str(uuid.uuid4()), message=message[:255],
                      details=details or '', created=now, updated=now)
        context.session.add(self.model(**values))

    def newest(self, context, kind, resource_id):
        model = self.model
        return context.session.query(model).filter_by(
            deleted=False, **self._match(kind, resource_id)).order_by(
            sa.desc(model.created)).first()


def shared_faults():
    """The ``resource_faults`` table, for kinds without one of their own."""
    return FaultStore(models.ResourceFault, 'resource_id',
                      kind_column='resource_kind')


class ResourceKind:
    """A resource kind: its state machine bound to its table.

    The table has ``id``, the task column, ``task_start_time``,
    ``task_deadline`` and ``lock_holder``; a ``deleted`` column, when it
    has one, hides soft-deleted rows.

    :param machine: the kind's ``state_machine.Machine``.
    :param model: the ORM model of its table.
    :param task_column: the column storing ``Task.code``.
    :param description_column: a column for ``Task.description``, if any.
    :param faults: its ``FaultStore`` (``shared_faults()`` when None).
    :param project_column: the column naming the owner's project.
    :param not_found: the exception (``uuid=``) for a missing row.
    :param busy: the exception (``uuid=``, ``kind=``) for a held lock.
    """

    def __init__(self, machine, model, task_column='task_id',
                 description_column=None, faults=None,
                 project_column='tenant_id', not_found=exception.NotFound,
                 busy=exception.ResourceBusy):
        self.machine = machine
        self.model = model
        self.task_column = task_column
        self.description_column = description_column
        self.faults = faults or shared_faults()
        self.project_column = project_column
        self.not_found = not_found
        self.busy = busy

    @property
    def name(self):
        return self.machine.name

    def column(self, name):
        return getattr(self.model, name)

    def task_of(self, row):
        """The ``Task`` a row is in."""
        return self.machine.task(getattr(row, self.task_column))

    def rows(self, session):
        """A query of the kind's live rows."""
        query = session.query(self.model)
        if hasattr(self.model, 'deleted'):
            query = query.filter(self.model.deleted.is_(False))
        return query

    def end_operation(self, context, row, task, message, service):
        """Send the ``error`` of the operation that ``task`` ran, when the
        machine declares one: its worker is gone and will not.
        """
        operation = self.machine.expiry_operations.get(task)
        if operation is None:
            return
        notifications.Operation.expired(
            context, operation, service, getattr(row, self.project_column),
            row.id, id_key='%s_id' % self.name).error(message)

    def task_values(self, target, now):
        """The columns that put a row in task ``target`` from ``now``."""
        values = {self.task_column: target.code, 'task_start_time': now,
                  'task_deadline': self.machine.deadline_for(target, now)}
        if self.description_column:
            values[self.description_column] = target.description
        return values


# -- Reads --------------------------------------------------------------------

@db_api.reader
def get(context, kind, resource_id):
    """The live row.

    :raises: ``kind.not_found``.
    """
    row = kind.rows(context.session).filter(
        kind.model.id == resource_id).first()
    if row is None:
        raise kind.not_found(uuid=resource_id)
    return row


@db_api.reader
def holds_lock(context, kind, resource_id, holder):
    """Whether ``holder`` still holds the row.

    It may have been taken over (a delete), reset by an administrator, or
    expired.
    """
    return kind.rows(context.session).filter(
        kind.model.id == resource_id,
        kind.model.lock_holder == holder).count() == 1


@db_api.reader
def expired(context, kind, now=None):
    """Live rows whose transitional task is past its deadline."""
    now = now or models.utcnow()
    return kind.rows(context.session).filter(
        kind.model.task_deadline.isnot(None),
        kind.model.task_deadline < now).all()


# -- Test-and-sets ------------------------------------------------------------

def _in_sources(kind, transition):
    return kind.column(kind.task_column).in_(
        [t.code for t in transition.sources])


@db_api.writer
def start(context, kind, resource_id, event, holder):
    """Apply ``event`` and take the row's lock for ``holder``.

    An event the machine declares a take-over (``takeovers``) takes the
    lock from whoever holds it; the flow that lost it notices at its next
    step (``holds_lock``) and stops.

    :returns: the updated row.
    :raises: ``kind.not_found``; ``machine.not_available`` (422) when the
        task does not allow ``event``; ``kind.busy`` (409) when someone
        else holds the lock.
    """
    machine = kind.machine
    transition = machine.transition(event)
    query = kind.rows(context.session).filter(
        kind.model.id == resource_id, _in_sources(kind, transition))
    if event not in machine.takeovers:
        query = query.filter(kind.model.lock_holder.is_(None))
    values = kind.task_values(transition.target, models.utcnow())
    values['lock_holder'] = holder
    if query.update(values, synchronize_session=False) == 1:
        return get(context, kind, resource_id)
    current = get(context, kind, resource_id)
    machine.check(event, kind.task_of(current))
    raise kind.busy(uuid=resource_id, kind=kind.name)


@db_api.writer
def claim(context, kind, resource_id, holder, task):
    """Take the unheld lock of a row that is in ``task``.

    How a worker picks up a row the API left unlocked (the API creates
    instances in BUILDING with no holder, then casts ``create_instance``).

    :returns: True if ``holder`` now holds it; False if it is gone, in
        another task, or someone holds it already.
    """
    return kind.rows(context.session).filter(
        kind.model.id == resource_id,
        kind.column(kind.task_column) == task.code,
        kind.model.lock_holder.is_(None),
    ).update({'lock_holder': holder}, synchronize_session=False) == 1


@db_api.writer
def hand_over(context, kind, resource_id, holder, new_holder):
    """Pass the lock from ``holder`` to ``new_holder`` (the taskmanager
    that runs the flow the API started).

    :returns: False when ``holder`` no longer holds the row.
    """
    if holder == new_holder:
        return holds_lock(context, kind, resource_id, holder)
    return kind.rows(context.session).filter(
        kind.model.id == resource_id,
        kind.model.lock_holder == holder,
    ).update({'lock_holder': new_holder}, synchronize_session=False) == 1


@db_api.writer
def finish(context, kind, resource_id, event, holder, note=None):
    """Apply ``event`` if ``holder`` still holds the lock; release it.

    :param note: ``(message, details)`` of a fault stored with the change
        when it applies, stamped with the moment the new task starts: how
        an operation that was put back ended (the instance view shows it
        while the row stays in that task).
    :returns: True if applied, False if the lock was lost (someone took
        the row over, e.g. a delete) or the task moved on.
    """
    transition = kind.machine.transition(event)
    now = models.utcnow()
    values = kind.task_values(transition.target, now)
    values['lock_holder'] = None
    done = kind.rows(context.session).filter(
        kind.model.id == resource_id,
        kind.model.lock_holder == holder,
        _in_sources(kind, transition),
    ).update(values, synchronize_session=False) == 1
    if done and note is not None:
        kind.faults.add(context, kind, resource_id, note[0], note[1],
                        now=now)
    return done


@db_api.writer
def force(context, kind, resource_id, event):
    """Apply ``event`` whoever holds the lock, and release it (an
    administrator's reset).

    :raises: ``kind.not_found``; ``machine.not_available``.
    """
    current = get(context, kind, resource_id)
    kind.machine.check(event, kind.task_of(current))
    transition = kind.machine.transition(event)
    values = kind.task_values(transition.target, models.utcnow())
    values['lock_holder'] = None
    kind.rows(context.session).filter(
        kind.model.id == resource_id, _in_sources(kind, transition),
    ).update(values, synchronize_session=False)


@db_api.writer
def apply_report(context, kind, resource_id, event, values=None,
                 release=True):
    """Apply ``event`` as reported by whoever does the work (a guest
    agent taking a backup), whoever holds the lock.

    The flow holding the lock only waits for such a report; the report
    decides. It counts only while the row is in one of the event's
    sources, so a late or repeated report changes nothing.

    :param values: other columns to set with it (what was reported).
    :param release: release the lock (the operation ended).
    :returns: whether it was applied.
    """
    transition = kind.machine.transition(event)
    update = kind.task_values(transition.target, models.utcnow())
    update.update(values or {})
    if release:
        update['lock_holder'] = None
    return kind.rows(context.session).filter(
        kind.model.id == resource_id, _in_sources(kind, transition),
    ).update(update, synchronize_session=False) == 1


@db_api.writer
def _end_in_error(context, kind, resource_id, task, message, details,
                  *conditions):
    """Move a row still in ``task`` (and ``conditions``) to ``task``'s
    error, release the lock, store the fault.
    """
    event = kind.machine.expiry_event(task)
    if event is None:
        return False
    target = kind.machine.transition(event).target
    values = kind.task_values(target, models.utcnow())
    values['lock_holder'] = None
    updated = kind.rows(context.session).filter(
        kind.model.id == resource_id,
        kind.column(kind.task_column) == task.code,
        *conditions).update(values, synchronize_session=False)
    if updated == 1:
        kind.faults.add(context, kind, resource_id, message, details)
    return updated == 1


def expire(context, kind, resource_id, task_code, message, details):
    """End an expired task in its error task with a fault, whoever holds
    the lock (the holder is presumed dead).

    :returns: True if this call expired it (another reconciler may have).
    """
    return _end_in_error(context, kind, resource_id,
                         kind.machine.task(task_code), message, details,
                         kind.model.task_deadline < models.utcnow())


@db_api.writer
def fail_host_locks(context, kind, host, message, spare=()):
    """End the operations whose lock a flow on ``host`` holds.

    Called by a taskmanager as it starts: no flow of its previous life can
    still run, so a row in a transitional task goes to its error task with
    a fault at once (rather than at its deadline, which may be hours
    away), and a lock on any other task is released.

    :param spare: holders to leave alone (the locks of recorded
        workflows, which are resumed instead).
    :returns: ``[(row, task)]`` of the rows ended in error.
    """
    stale = kind.model.lock_holder.startswith(host_prefix(host),
                                              autoescape=True)
    if spare:
        stale = sa.and_(stale, kind.model.lock_holder.notin_(list(spare)))
    failed = []
    for row in kind.rows(context.session).filter(stale).all():
        task = kind.task_of(row)
        details = ('Task %s started at %s was held by %s, a flow of '
                   'taskmanager %s that started again.'
                   % (task.name, row.task_start_time, row.lock_holder, host))
        if _end_in_error(context, kind, row.id, task, message, details,
                         kind.model.lock_holder == row.lock_holder):
            failed.append((row, task))
    kind.rows(context.session).filter(stale).update(
        {'lock_holder': None}, synchronize_session=False)
    return failed


# -- Faults -------------------------------------------------------------------

@db_api.writer
def add_fault(context, kind, resource_id, message, details):
    """Store why a resource failed.

    ``message`` is for its owner, ``details`` for administrators. The
    newest fault is the one shown.
    """
    kind.faults.add(context, kind, resource_id, message, details)


@db_api.reader
def get_fault(context, kind, resource_id):
    """The newest live fault of a resource, or None."""
    return kind.faults.newest(context, kind, resource_id)
