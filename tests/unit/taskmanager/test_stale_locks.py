"""A starting taskmanager ends the operations its previous life held."""

from tests.unit.rpc_fixtures import conf_overrides  # noqa: F401
from tests.unit.rpc_fixtures import memory_bus  # noqa: F401
from tests.unit.rpc_fixtures import notifications  # noqa: F401
from trove_lite.common import states
from trove_lite.db import api as db_api
from trove_lite.db import models
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import resource_locks
from trove_lite.db.repositories import workflows as workflow_repo
from trove_lite.db import resource_kinds
from trove_lite.taskmanager import stale_locks

HOST = 'tm_1'


@db_api.writer
def _add(context, row):
    context.session.add(row)


def _instance(ctx):
    return instances.create(ctx, {'name': 'db', 'tenant_id': 'p'})


def _restarting(ctx, holder):
    row = _instance(ctx)
    instances.finish(ctx, row.id, 'build_done', None)
    instances.start(ctx, row.id, 'restart', holder)
    return row


def test_the_flows_of_this_host_end_in_error(
        ctx, notifications):  # noqa: F811
    ours = resource_locks.new_holder(HOST)
    row = _restarting(ctx, ours)
    assert stale_locks.fail_stale_locks(ctx, HOST) == 1
    row = instances.get(ctx, row.id)
    assert states.task(row.task_id) is states.REBOOTING_ERROR
    assert row.lock_holder is None
    fault = instances.get_fault(ctx, row.id)
    assert fault.message == stale_locks.MESSAGE % 'instance'
    assert ours in fault.details
    assert notifications.types() == ['dbaas.instance_restart.error']
    error = notifications.of('dbaas.instance_restart.error')['payload']
    assert error['server_type'] == 'taskmanager'
    assert error['instance_id'] == row.id


def test_other_hosts_and_the_api_keep_their_locks(ctx):
    # 'tmx1' would match 'tm_1:%' if the host were a LIKE pattern.
    others = ['tmx1:1', resource_locks.new_holder('tm_10'),
              resource_locks.new_holder(HOST, role=resource_locks.API_ROLE)]
    rows = [_restarting(ctx, holder) for holder in others]
    assert stale_locks.fail_stale_locks(ctx, HOST) == 0
    for row, holder in zip(rows, others):
        row = instances.get(ctx, row.id)
        assert states.task(row.task_id) is states.REBOOTING
        assert row.lock_holder == holder


def test_a_lock_on_a_resting_task_is_released(ctx):
    row = _instance(ctx)
    instances.finish(ctx, row.id, 'build_done', None)
    instances.update(ctx, row.id,
                     lock_holder=resource_locks.new_holder(HOST))
    assert stale_locks.fail_stale_locks(ctx, HOST) == 0
    row = instances.get(ctx, row.id)
    assert row.lock_holder is None
    assert states.task(row.task_id) is states.NONE
    assert instances.get_fault(ctx, row.id) is None


def test_every_kind_is_walked(ctx):
    backup = models.Backup(id='b1', name='b', tenant_id='p',
                           state=states.BACKUP_NEW.code)
    _add(ctx, backup)
    kind = resource_kinds.BACKUP
    resource_locks.start(ctx, kind, 'b1', 'backup_started',
                         resource_locks.new_holder(HOST))
    assert stale_locks.fail_stale_locks(ctx, HOST) == 1
    row = resource_locks.get(ctx, kind, 'b1')
    assert row.state == states.BACKUP_FAILED.code
    assert resource_locks.get_fault(ctx, kind, 'b1').message == \
        stale_locks.MESSAGE % 'backup'


def test_a_lock_a_workflow_will_resume_is_spared(ctx):
    ours = resource_locks.new_holder(HOST)
    row = _restarting(ctx, ours)
    workflow_repo.record(ctx, 'instance', row.id, 'restart', holder=ours)
    assert stale_locks.fail_stale_locks(ctx, HOST) == 0
    row = instances.get(ctx, row.id)
    assert (states.task(row.task_id), row.lock_holder) == (
        states.REBOOTING, ours)
