"""The taskmanager's endpoint hands flows to its runner."""

import threading
import types
from unittest import mock

import pytest

from tests.unit.rpc_fixtures import notifications  # noqa: F401
from tests import waiting
from trove_lite.common import notifications as notices
from trove_lite.common import states
from trove_lite.common import status_events
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import replication
from trove_lite.db.repositories import workflows as workflow_repo
from trove_lite.taskmanager import manager
from trove_lite.taskmanager import rpcapi
from trove_lite.taskmanager.tasks import guest as guest_tasks


def test_create_and_delete_over_rpc(ctx, driver, conductor, new_instance,
                                    memory_bus, start_service):
    memory_bus.set('taskmanager_queue', 'tm-unit')
    runner = manager.FlowRunner(workers=2)
    runner.start()
    start_service('tm-unit', 'tm-1', manager.Manager(driver, runner))
    api = rpcapi.TaskManagerAPI()
    row = new_instance()
    api.create_instance(ctx, row.id, [], [], None)
    assert waiting.wait_for(lambda: states.task(instances.get(
        ctx, row.id).task_id) is states.NONE)
    instances.start(ctx, row.id, 'restart', 'api')
    api.restart(ctx, row.id)
    assert waiting.wait_for(lambda: states.task(instances.get(
        ctx, row.id).task_id) is states.NONE)
    # A change of access (API 1.8): the workflow the API recorded.
    instances.start(ctx, row.id, 'update_access', 'api@h:access')
    api.update_access(ctx, row.id, workflow_id=workflow_repo.record(
        ctx, 'instance', row.id, 'update_access', holder='api@h:access',
        arguments={'access': {'is_public': True}}, request_context=ctx))
    assert waiting.wait_for(lambda: states.task(instances.get(
        ctx, row.id).task_id) is states.NONE)
    assert instances.get(ctx, row.id).access == '{"is_public": true}'
    assert driver.access[row.id].is_public
    instances.start(ctx, row.id, 'delete', 'api')
    api.delete_instance(ctx, row.id)
    assert waiting.wait_for(lambda: instances.list_instances(ctx) == [])
    runner.stop()
    runner.wait()


def _handed_off(ctx, operation, instance_id):
    request = types.SimpleNamespace(remote_addr='10.0.0.9', host='api:8779')
    with notices.Operation.for_request(ctx, operation, request,
                                       instance_id=instance_id) as notice:
        return notice.hand_off()


def test_flows_end_the_operations_the_api_handed_off(
        ctx, driver, conductor, new_instance, memory_bus, start_service,
        notifications):  # noqa: F811
    memory_bus.set('taskmanager_queue', 'tm-unit-n')
    runner = manager.FlowRunner(workers=2)
    runner.start()
    start_service('tm-unit-n', 'tm-1', manager.Manager(driver, runner))
    api = rpcapi.TaskManagerAPI()
    row = new_instance()
    api.create_instance(ctx, row.id, [], [{'name': 'u', 'password': 'pw'}],
                        'root-pw', notification=_handed_off(
                            ctx, notices.INSTANCE_CREATE, row.id))
    assert waiting.wait_for(lambda: 'trove.instance.create' in notifications.types())
    instances.start(ctx, row.id, 'restart', 'api')
    api.restart(ctx, row.id, notification=_handed_off(
        ctx, notices.INSTANCE_RESTART, row.id))
    assert waiting.wait_for(
        lambda: 'dbaas.instance_restart.end' in notifications.types())
    instances.start(ctx, row.id, 'delete', 'api')
    api.delete_instance(ctx, row.id, notification=_handed_off(
        ctx, notices.INSTANCE_DELETE, row.id))
    assert waiting.wait_for(lambda: 'trove.instance.delete' in notifications.types())
    runner.stop()
    runner.wait()
    assert notifications.types() == [
        'dbaas.instance_create.start', 'dbaas.instance_create.end',
        'trove.instance.create',
        'dbaas.instance_restart.start', 'dbaas.instance_restart.end',
        'dbaas.instance_delete.start', 'dbaas.instance_delete.end',
        'trove.instance.delete']
    end = notifications.of('dbaas.instance_create.end')
    assert end['publisher_id'].startswith('taskmanager.')
    assert end['payload']['server_type'] == 'taskmanager'
    assert end['payload']['instance_id'] == row.id
    created = notifications.of('trove.instance.create')['payload']
    assert created['instance_id'] == row.id
    assert created['state'] == 'active'
    assert created['instance_type'] == 'm1.tiny'
    assert created['instance_size'] == 512
    deleted = notifications.of('trove.instance.delete')['payload']
    assert deleted['state'] == 'deleted' and deleted['deleted_at']
    assert 'pw' not in repr(notifications.all())


NOTIFICATION = {'operation': 'x'}
HOLDER = 'api@h:1'


@pytest.mark.parametrize('cap, sending, version, sent', [
    (None, {}, '1.1', set()),
    (None, {'notification': NOTIFICATION}, '1.2', {'notification'}),
    ('1.1', {'notification': NOTIFICATION}, '1.1', set()),
    (None, {'holder': HOLDER}, '1.3', {'holder'}),
    (None, {'notification': NOTIFICATION, 'holder': HOLDER}, '1.3',
     {'notification', 'holder'}),
    # An old taskmanager gets what it understands, never the holder.
    ('1.2', {'notification': NOTIFICATION, 'holder': HOLDER}, '1.2',
     {'notification'}),
    ('1.1', {'notification': NOTIFICATION, 'holder': HOLDER}, '1.1', set()),
])
def test_arguments_need_their_version(ctx, memory_bus, cap, sending,
                                      version, sent):  # noqa: F811
    if cap:
        memory_bus.set('taskmanager', cap, group='upgrade_levels')
    api = rpcapi.TaskManagerAPI()
    with mock.patch.object(api, 'client') as client:
        client.can_send_version.side_effect = \
            lambda v: cap is None or v <= cap
        api.restart(ctx, 'i1', **sending)
    client.prepare.assert_called_once_with(version=version)
    [cast] = client.prepare.return_value.cast.call_args_list
    assert set(cast.kwargs) - {'instance_id'} == sent


def test_flows_do_not_block_the_dispatcher(ctx, new_instance):
    runner = manager.FlowRunner(workers=1)
    running = threading.Event()
    release = threading.Event()
    mgr = manager.Manager(driver=mock.Mock(), runner=runner)
    ids = []
    for _ in range(2):
        row = new_instance()
        instances.start(ctx, row.id, 'delete', 'api-holder-%s' % row.id)
        ids.append(row.id)

    def flow(*args, **kwargs):
        running.set()
        release.wait(30)

    def dispatch():
        for instance_id in ids:
            mgr.delete_instance(ctx, instance_id)

    with mock.patch.object(manager.delete_instance, 'run_job',
                           side_effect=flow):
        dispatcher = threading.Thread(target=dispatch, daemon=True)
        dispatcher.start()
        dispatcher.join(10)
        # Both casts were dispatched while the first flow still runs and
        # the second waits for a worker.
        assert not dispatcher.is_alive()
        assert running.wait(10) and not release.is_set()
        release.set()
    runner.stop()
    runner.wait()


def test_a_stopped_runner_refuses_work():
    runner = manager.FlowRunner(workers=1)
    runner.start()
    runner.stop()
    runner.wait()
    assert runner.stop_event.is_set()
    assert runner.submit('x', lambda: None) is None


def test_the_driver_is_loaded_from_config(override):
    override('compute_driver', 'fake')
    mgr = manager.Manager()
    assert type(mgr._get_driver()).__name__ == 'FakeDriver'


def test_only_rpc_methods_are_public():
    public = {name for name in dir(manager.Manager)
              if not name.startswith('_') and name != 'target'}
    assert public == {'rpc_ping', 'create_instance', 'delete_instance',
                      'restart', 'status_changed', 'create_backup',
                      'delete_backup', 'promote_to_replica_source',
                      'eject_replica_source', 'detach_replica',
                      'resize_volume', 'resize_flavor',
                      'update_access', 'upgrade'}


def _group_change(ctx, event, resource_id, source_id, members):
    """What the API does for a promote or an eject: one holder locks the
    group, and the change is recorded with its workflow.
    """
    holder = 'api@h:%s' % event
    replication.start_group(ctx, members, event, holder)
    return workflow_repo.record(
        ctx, 'instance', resource_id, event, holder=holder,
        arguments={'source_id': source_id, 'members': members},
        request_context=ctx)


def _follows(ctx, instance_id):
    return instances.get(ctx, instance_id).slave_of_id


def test_replication_workflows_over_rpc(ctx, build_fake, datastore_driver,
                                        memory_bus, start_service):
    memory_bus.set('taskmanager_queue', 'tm-unit-r')
    runner = manager.FlowRunner(workers=2)
    runner.start()
    start_service('tm-unit-r', 'tm-1', manager.Manager(datastore_driver,
                                                       runner))
    api = rpcapi.TaskManagerAPI()
    source = build_fake()
    first, second = (build_fake(replica_of=source) for _ in range(2))
    try:
        members = sorted([source, first, second])
        api.promote_to_replica_source(ctx, first, workflow_id=_group_change(
            ctx, 'promote', first, source, members))
        assert waiting.wait_for(lambda: _follows(ctx, source) == first)
        assert _follows(ctx, second) == first
        assert _follows(ctx, first) is None

        instances.start(ctx, second, 'detach', 'api@h:detach')
        api.detach_replica(ctx, second, workflow_id=workflow_repo.record(
            ctx, 'instance', second, 'detach', holder='api@h:detach',
            request_context=ctx))
        assert waiting.wait_for(lambda: _follows(ctx, second) is None)

        # The source is ejected (the API checked its heartbeat): its only
        # replica, the old source, takes over.
        members = sorted([first, source])
        api.eject_replica_source(ctx, first, workflow_id=_group_change(
            ctx, 'eject', first, first, members))
        assert waiting.wait_for(lambda: _follows(ctx, first) == source)
        assert _follows(ctx, source) is None
        assert waiting.wait_for(lambda: not any(
            instances.get(ctx, member).lock_holder
            for member in (source, first, second)))
    finally:
        runner.stop()
        runner.wait()


# -- waking a workflow that waits for its guest (API 1.4) ---------------------

def _waiting_for_health(ctx, instance_id, outcome, stop_event=None):
    """A thread running WaitForHealthy; started once it watches."""
    waiter = threading.Thread(target=lambda: outcome.append(
        guest_tasks.WaitForHealthy().execute(ctx, instance_id, 'h',
                                             stop_event)))
    waiter.start()
    assert waiting.wait_for(lambda: status_events._watchers.get(instance_id))
    return waiter


def test_the_status_changed_cast_wakes_a_waiting_flow(
        ctx, new_instance, memory_bus, start_service, monkeypatch):
    # NOTE(tests): a fallback poll far longer than the join below: only the
    # cast can end the wait in time (no timing is asserted).
    monkeypatch.setattr(guest_tasks.WaitForHealthy, 'poll_interval', 600)
    memory_bus.set('taskmanager_queue', 'tm-unit-w')
    start_service('tm-unit-w', 'tm-1', manager.Manager(mock.Mock()))
    row = new_instance()
    instances.claim(ctx, row.id, 'h', states.BUILDING)
    outcome = []
    waiter = _waiting_for_health(ctx, row.id, outcome)
    try:
        # Stored as by a conductor in another process: nothing here knows.
        instances.set_service_status(ctx, row.id, states.SVC_HEALTHY)
        rpcapi.TaskManagerAPI().status_changed(ctx, row.id)
        waiter.join(60)
        assert outcome == [guest_tasks.READY]
    finally:
        instances.mark_deleted(ctx, row.id)
        status_events.changed(row.id)
        waiter.join(60)


class _Recording:
    target = manager.Manager.target

    def __init__(self):
        self.changed = []

    def status_changed(self, context, instance_id):
        self.changed.append(instance_id)


def test_status_changed_reaches_every_taskmanager(memory_bus, start_service,
                                                  ctx):
    memory_bus.set('taskmanager_queue', 'tm-unit-f')
    first, second = _Recording(), _Recording()
    start_service('tm-unit-f', 'tm-1', first)
    start_service('tm-unit-f', 'tm-2', second)
    rpcapi.TaskManagerAPI().status_changed(ctx, 'inst-1')
    assert waiting.wait_for(lambda: first.changed and second.changed)
    assert (first.changed, second.changed) == (['inst-1'], ['inst-1'])


def test_status_changed_is_not_sent_to_older_taskmanagers(memory_bus, ctx):
    memory_bus.set('taskmanager', '1.3', group='upgrade_levels')
    api = rpcapi.TaskManagerAPI()
    with mock.patch.object(rpcapi.rpc, 'cast') as cast:
        api.status_changed(ctx, 'inst-1')
    cast.assert_not_called()


def test_stopping_the_runner_ends_a_wait_at_once(ctx, new_instance,
                                                 monkeypatch):
    monkeypatch.setattr(guest_tasks.WaitForHealthy, 'poll_interval', 600)
    runner = manager.FlowRunner(workers=1)
    row = new_instance()
    instances.claim(ctx, row.id, 'h', states.BUILDING)
    outcome = []
    waiter = _waiting_for_health(ctx, row.id, outcome, runner.stop_event)
    runner.stop()
    waiter.join(60)
    assert outcome == [guest_tasks.INTERRUPTED]
