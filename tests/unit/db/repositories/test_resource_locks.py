"""Task changes and locks of any resource kind.

The first tests declare a throw-away kind, with a table of its own in the
tests' SQLite file, and get deadlines, expiry with a fault and locking from
the shared machinery; the conductor's reconciler is used as it is.
"""

import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import orm

from tests.unit.rpc_fixtures import conf_overrides  # noqa: F401
from tests.unit.rpc_fixtures import memory_bus  # noqa: F401
from tests.unit.rpc_fixtures import notifications  # noqa: F401
from trove_lite.common import exception
from trove_lite.common import state_machine
from trove_lite.common import states
from trove_lite.conductor import reconcilers
from trove_lite.db import api as db_api
from trove_lite.db import models
from trove_lite.db.repositories import resource_locks
from trove_lite.db import resource_kinds


# -- A throw-away kind: a "snapshot" that is TAKING, then READY ---------------

class _Base(orm.DeclarativeBase):
    pass


class Snapshot(_Base):
    __tablename__ = 'unit_snapshots'

    id = sa.Column(sa.String(36), primary_key=True)
    tenant_id = sa.Column(sa.String(36))
    status = sa.Column(sa.Integer, nullable=False)
    task_start_time = sa.Column(sa.DateTime)
    task_deadline = sa.Column(sa.DateTime)
    lock_holder = sa.Column(sa.String(255))


Task = states.Task
READY = Task(1, 'READY', 'READY', 'The snapshot is ready.', False)
TAKING = Task(2, 'TAKING', 'TAKING', 'The snapshot is being taken.', False)
TAKE_FAILED = Task(3, 'TAKE_FAILED', 'TAKING', 'The snapshot failed.', True)
Transition = state_machine.Transition

SNAPSHOT = resource_locks.ResourceKind(
    state_machine.Machine(
        'snapshot', [READY, TAKING, TAKE_FAILED],
        transitions={
            'take': Transition(frozenset([READY, TAKE_FAILED]), TAKING),
            'take_done': Transition(frozenset([TAKING]), READY),
            'forget': Transition(frozenset([READY, TAKING, TAKE_FAILED]),
                                 READY),
        },
        deadlines={TAKING: state_machine.Deadline(
            TAKE_FAILED, 'restart_timeout',
            'The snapshot was not taken within %d seconds.')},
        default=READY,
        expiry_operations={TAKING: 'snapshot_take'},
        takeovers=['forget']),
    Snapshot, task_column='status')


@pytest.fixture
def snapshot_kind():
    engine = db_api.get_engine()
    _Base.metadata.create_all(engine)
    resource_kinds.register(SNAPSHOT)
    yield SNAPSHOT
    resource_kinds.unregister('snapshot')
    _Base.metadata.drop_all(engine)


@db_api.writer
def _add(context, row):
    context.session.add(row)


@db_api.writer
def _past_deadline(context, model, resource_id):
    """The row's task was given 30 s and they passed a second ago."""
    now = models.utcnow()
    context.session.query(model).filter_by(id=resource_id).update(
        {'task_start_time': now - datetime.timedelta(seconds=31),
         'task_deadline': now - datetime.timedelta(seconds=1)})


def _snapshot(ctx, task=READY):
    _add(ctx, Snapshot(id='s1', tenant_id='p', status=task.code))
    return 's1'


def test_a_declared_kind_gets_deadlines_and_locks(
        ctx, snapshot_kind, override):
    override('restart_timeout', 30)
    sid = _snapshot(ctx)
    row = resource_locks.start(ctx, snapshot_kind, sid, 'take',
                               'h:1')
    assert row.status == TAKING.code and row.lock_holder == 'h:1'
    assert row.task_deadline - row.task_start_time == \
        datetime.timedelta(seconds=30)
    # The lock is held: the task cannot start twice...
    with pytest.raises(exception.ResourceNotAvailable):
        resource_locks.start(ctx, snapshot_kind, sid, 'take', 'h:2')
    # ... nor can anything but a take-over act while it is held.
    assert not resource_locks.finish(ctx, snapshot_kind, sid,
                                     'take_done', 'h:2')
    assert resource_locks.holds_lock(ctx, snapshot_kind, sid,
                                     'h:1')
    assert resource_locks.finish(ctx, snapshot_kind, sid,
                                 'take_done', 'h:1')
    row = resource_locks.get(ctx, snapshot_kind, sid)
    assert (row.status, row.lock_holder, row.task_deadline) == \
        (READY.code, None, None)


def test_a_declared_kind_is_taken_over(ctx, snapshot_kind):
    sid = _snapshot(ctx)
    resource_locks.start(ctx, snapshot_kind, sid, 'take', 'h:1')
    resource_locks.start(ctx, snapshot_kind, sid, 'forget', 'h:2')
    assert not resource_locks.holds_lock(ctx, snapshot_kind, sid,
                                         'h:1')
    assert not resource_locks.finish(ctx, snapshot_kind, sid,
                                     'take_done', 'h:1')


def test_a_declared_kind_expires_through_the_reconciler(
        ctx, snapshot_kind, notifications):  # noqa: F811
    sid = _snapshot(ctx)
    resource_locks.start(ctx, snapshot_kind, sid, 'take', 'h:1')
    assert reconcilers.ExpireTasks().run(ctx) == 0
    _past_deadline(ctx, Snapshot, sid)
    assert reconcilers.ExpireTasks().run(ctx) == 1
    row = resource_locks.get(ctx, snapshot_kind, sid)
    assert (row.status, row.lock_holder) == (TAKE_FAILED.code, None)
    fault = resource_locks.get_fault(ctx, snapshot_kind, sid)
    assert fault.message == \
        'The snapshot was not taken within 30 seconds.'
    assert 'TAKING' in fault.details and 'h:1' in fault.details
    assert notifications.types() == ['dbaas.snapshot_take.error']
    payload = notifications.of('dbaas.snapshot_take.error')['payload']
    assert (payload['snapshot_id'], payload['tenant_id']) == (sid, 'p')
    # Expired once only.
    assert reconcilers.ExpireTasks().run(ctx) == 0


# -- The declared kinds -------------------------------------------------------

def test_backups_have_deadlines_and_faults(ctx, override):
    override('backup_timeout', 60)
    _add(ctx, models.Backup(id='b1', name='b', tenant_id='p',
                            state=states.BACKUP_NEW.code))
    kind = resource_kinds.BACKUP
    row = resource_locks.start(ctx, kind, 'b1', 'backup_started',
                               'h:1')
    assert row.state == 'BUILDING'
    assert row.task_deadline - row.task_start_time == \
        datetime.timedelta(seconds=60)
    _add(ctx, models.Backup(id='b2', name='b', tenant_id='p',
                            state=states.BACKUP_DELETING.code))
    with pytest.raises(exception.ResourceNotAvailable):
        resource_locks.start(ctx, kind, 'b2', 'delete', 'h:2')
    assert resource_locks.expire(ctx, kind, 'b1', 'BUILDING',
                                 'late', 'details') is False
    _past_deadline(ctx, models.Backup, 'b1')
    assert resource_locks.expire(ctx, kind, 'b1', 'BUILDING',
                                 'late', 'details')
    assert resource_locks.get(ctx, kind, 'b1').state == 'FAILED'
    assert resource_locks.get_fault(ctx, kind, 'b1').message == \
        'late'
    # Another kind's faults are its own.
    assert resource_locks.get_fault(ctx, resource_kinds.CLUSTER,
                                    'b1') is None


def test_clusters_lock_and_reset(ctx):
    _add(ctx, models.Cluster(
        id='c1', name='c', tenant_id='p', datastore_version_id=_version(
            ctx), task_id=states.CLUSTER_NONE.code))
    kind = resource_kinds.CLUSTER
    row = resource_locks.start(ctx, kind, 'c1', 'grow', 'h:1')
    assert kind.task_of(row) is states.CLUSTER_GROWING
    with pytest.raises(exception.ResourceBusy):
        resource_locks.start(ctx, kind, 'c1', 'reset', 'h:2')
    resource_locks.force(ctx, kind, 'c1', 'reset')
    row = resource_locks.get(ctx, kind, 'c1')
    assert kind.task_of(row) is states.CLUSTER_NONE
    assert row.lock_holder is None


def _version(ctx):
    _add(ctx, models.Datastore(id='d1', name='mysql'))
    _add(ctx, models.DatastoreVersion(
        id='v1', datastore_id='d1', name='8.0', active=True,
        registry_ext='', repl_strategy=''))
    return 'v1'


def test_missing_rows_are_the_kind_s_not_found(ctx):
    with pytest.raises(exception.InstanceNotFound):
        resource_locks.get(ctx, resource_kinds.INSTANCE, 'x')
    with pytest.raises(exception.NotFound):
        resource_locks.get(ctx, resource_kinds.BACKUP, 'x')


# -- Holders ------------------------------------------------------------------

def test_holders_name_the_host_that_runs_the_flow(override):
    override('host', 'tm-a')
    mine = resource_locks.new_holder()
    api = resource_locks.new_holder('api-a', role=resource_locks.API_ROLE)
    assert mine.startswith(resource_locks.host_prefix('tm-a'))
    assert api.startswith('api@api-a:')
    handed = resource_locks.adopted(api)
    assert handed.startswith('tm-a:')
    # The operation keeps its id across the hand-over.
    assert handed.rsplit(':', 1)[1] == api.rsplit(':', 1)[1]
    assert len({resource_locks.new_holder() for _ in range(3)}) == 3
