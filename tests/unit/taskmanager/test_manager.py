"""The taskmanager's endpoint hands flows to its runner."""

import threading
import time
from unittest import mock

from trove_lite.common import states
from trove_lite.db.repositories import instances
from trove_lite.taskmanager import manager
from trove_lite.taskmanager import rpcapi


def _wait_for(predicate, timeout=10):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_create_and_delete_over_rpc(ctx, driver, conductor, new_instance,
                                    memory_bus, start_service):
    memory_bus.set('taskmanager_queue', 'tm-unit')
    runner = manager.FlowRunner(workers=2)
    runner.start()
    start_service('tm-unit', 'tm-1', manager.Manager(driver, runner))
    api = rpcapi.TaskManagerAPI()
    row = new_instance()
    api.create_instance(ctx, row.id, [], [], None)
    assert _wait_for(lambda: states.task(instances.get(
        ctx, row.id).task_id) is states.NONE)
    instances.start(ctx, row.id, 'restart', 'api')
    api.restart(ctx, row.id)
    assert _wait_for(lambda: states.task(instances.get(
        ctx, row.id).task_id) is states.NONE)
    instances.start(ctx, row.id, 'delete', 'api')
    api.delete_instance(ctx, row.id)
    assert _wait_for(lambda: instances.list_instances(ctx) == [])
    runner.stop()
    runner.wait()


def test_flows_do_not_block_the_dispatcher():
    runner = manager.FlowRunner(workers=1)
    release = threading.Event()
    mgr = manager.Manager(driver=mock.Mock(), runner=runner)
    with mock.patch.object(manager.delete_instance, 'run',
                           side_effect=lambda *a: release.wait(10)):
        started = time.monotonic()
        mgr.delete_instance(None, 'i1')
        mgr.delete_instance(None, 'i2')
        assert time.monotonic() - started < 1
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
                      'restart'}
