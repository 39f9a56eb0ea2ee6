"""Reconcilers: expire_tasks and the service that runs them."""

import datetime
import threading

from tests.unit import db_utils
from tests.unit.rpc_fixtures import conf_overrides  # noqa: F401
from tests.unit.rpc_fixtures import memory_bus  # noqa: F401
from tests.unit.rpc_fixtures import notifications  # noqa: F401
from trove_lite.common import states
from trove_lite.conductor import reconcilers
from trove_lite.db import models
from trove_lite.db.repositories import backup_reports
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import resource_locks
from trove_lite.db import resource_kinds


def _past(seconds=1):
    return models.utcnow() - datetime.timedelta(seconds=seconds)


def _instance(ctx):
    return instances.create(ctx, {'name': 'db', 'tenant_id': 'p'})


def test_expire_tasks(ctx):
    late, on_time = _instance(ctx), _instance(ctx)
    instances.update(ctx, late.id, task_start_time=_past(601),
                     task_deadline=_past(), lock_holder='dead-worker')
    assert reconcilers.ExpireTasks().run(ctx) == 1
    row = instances.get(ctx, late.id)
    assert states.task(row.task_id) is states.BUILDING_ERROR_TIMEOUT_GA
    assert row.lock_holder is None
    fault = instances.get_fault(ctx, late.id)
    assert fault.message == \
        'The instance did not become ready within 600 seconds.'
    assert 'BUILDING' in fault.details and 'dead-worker' in fault.details
    assert states.task(instances.get(
        ctx, on_time.id).task_id) is states.BUILDING
    assert reconcilers.ExpireTasks().run(ctx) == 0


def test_expiry_names_the_time_the_row_was_given(ctx, override):
    # The API that set the deadline allowed 30 s; this conductor's own
    # build_timeout (600) is not what the instance was given.
    row = _instance(ctx)
    instances.update(ctx, row.id, task_start_time=_past(31),
                     task_deadline=_past(1))
    reconcilers.ExpireTasks().run(ctx)
    assert instances.get_fault(ctx, row.id).message == \
        'The instance did not become ready within 30 seconds.'


def test_expire_a_stuck_delete(ctx, override):
    override('delete_timeout', 30)
    row = _instance(ctx)
    instances.start(ctx, row.id, 'delete', 'w')
    instances.update(ctx, row.id, task_deadline=_past())
    reconcilers.ExpireTasks().run(ctx)
    assert states.task(instances.get(ctx, row.id).task_id) is \
        states.DELETING_ERROR
    assert 'try deleting it again' in instances.get_fault(
        ctx, row.id).message


def test_orphaned_backups_are_failed_with_the_reason(ctx):
    instance = instances.create(ctx, {'name': 'db', 'tenant_id': 'p'})
    backup_id = db_utils.add_backup(ctx, instance.id)
    backup_reports.record_started(ctx, backup_id)
    assert reconcilers.OrphanedBackups().run(ctx) == 0
    instances.mark_deleted(ctx, instance.id)
    assert reconcilers.OrphanedBackups().run(ctx) == 1
    row = resource_locks.get(ctx, resource_kinds.BACKUP, backup_id)
    assert row.state == states.BACKUP_FAILED.code
    fault = resource_locks.get_fault(ctx, resource_kinds.BACKUP, backup_id)
    assert 'was deleted while the backup ran' in fault.message
    assert reconcilers.OrphanedBackups().run(ctx) == 0


def test_load_by_name():
    [(name, obj), (second, watch)] = reconcilers.load()
    assert name == 'expire_tasks'
    assert isinstance(obj, reconcilers.ExpireTasks)
    assert second == 'orphaned_backups'
    assert isinstance(watch, reconcilers.OrphanedBackups)
    assert reconcilers.load(['no_such_one']) == []


class Counting(reconcilers.Reconciler):
    def __init__(self, fail=False):
        self.ran = threading.Event()
        self.fail = fail

    def run(self, context, now=None):
        self.ran.set()
        if self.fail:
            raise RuntimeError('broken')


def test_service_runs_them_and_survives_errors():
    broken, fine = Counting(fail=True), Counting()
    service = reconcilers.ReconcilerService(
        [('broken', broken), ('fine', fine)], interval=0.05)
    service.start()
    try:
        assert fine.ran.wait(5) and broken.ran.wait(5)
        fine.ran.clear()
        assert fine.ran.wait(5)
    finally:
        service.stop()
        service.wait()


def test_an_expired_task_ends_its_operation_in_error(
        ctx, notifications):  # noqa: F811
    row = _instance(ctx)
    instances.update(ctx, row.id, task_start_time=_past(601),
                     task_deadline=_past())
    assert reconcilers.ExpireTasks().run(ctx) == 1
    assert notifications.types() == ['dbaas.instance_create.error']
    error = notifications.of('dbaas.instance_create.error')
    assert error['publisher_id'].startswith('conductor.')
    assert error['payload']['server_type'] == 'conductor'
    assert error['payload']['instance_id'] == row.id
    assert error['payload']['tenant_id'] == 'p'
    assert error['payload']['message'] == (
        'The instance did not become ready within 600 seconds.')
