"""Tests for build_service() of the taskmanager, conductor and guest agent.

``trove-lite-all`` builds these services itself, so what each one listens
on is part of the entry points' contract.
"""

from unittest import mock

from oslo_config import cfg
import pytest

from tests.unit import rpc_fixtures
from tests.unit.rpc_fixtures import conf_overrides  # noqa: F401
from tests.unit.rpc_fixtures import memory_bus  # noqa: F401
from trove_lite.cmd import conductor
from trove_lite.cmd import guestagent
from trove_lite.cmd import taskmanager
from trove_lite.common import context
from trove_lite.common import service
from trove_lite.common import states
from trove_lite.compute import base as compute_base
from trove_lite.conductor import failover
from trove_lite.conductor import manager as conductor_manager
from trove_lite.conductor import reconcilers
from trove_lite.db import models
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import resource_locks
from trove_lite.guestagent import agent as guest_agent
from trove_lite.guestagent import rpcapi as guest_rpcapi
from trove_lite.guestagent import service as guest_service
from trove_lite.taskmanager import backup_schedules
from trove_lite.taskmanager import flavor_sync
from trove_lite.taskmanager import manager as taskmanager_manager
from trove_lite.taskmanager import rpcapi as taskmanager_rpcapi
from trove_lite.taskmanager import stale_locks


def test_taskmanager_service(conf_overrides):  # noqa: F811
    conf_overrides.set('host', 'node-1')
    svc = taskmanager.build_service()
    assert isinstance(svc, service.RPCService)
    assert (svc.topic, svc.host) == ('taskmanager', 'node-1')
    assert isinstance(svc.manager, taskmanager_manager.Manager)


def test_conductor_service(conf_overrides):  # noqa: F811
    conf_overrides.set('host', 'node-1')
    svc = conductor.build_service()
    assert (svc.topic, svc.host) == ('trove-conductor', 'node-1')
    assert isinstance(svc.manager, conductor_manager.Manager)


def test_guestagent_service_from_config(memory_bus):  # noqa: F811
    memory_bus.set('guest_id', 'inst-1')
    agent = guestagent.build_service()
    assert isinstance(agent, guest_agent.Agent)
    svc = agent.rpc_service
    assert (svc.topic, svc.host) == ('guestagent.inst-1', 'inst-1')
    assert isinstance(svc.manager, guest_service.GuestAgentEndpoint)
    assert svc.manager.instance_id == 'inst-1'


def test_guestagent_service_for_given_instance(memory_bus):  # noqa: F811
    svc = guestagent.build_service('inst-2').rpc_service
    assert (svc.topic, svc.host) == ('guestagent.inst-2', 'inst-2')


def test_guestagent_service_from_guest_info(memory_bus,  # noqa: F811
                                            tmp_path):
    path = tmp_path / 'guest_info.conf'
    path.write_text('[DEFAULT]\nguest_id = inst-3\n[guest]\n'
                    'tenant_id = t1\n')
    with mock.patch.object(guestagent, 'config_files',
                           return_value=[str(path)]):
        agent = guestagent.build_service()
    assert agent.info.guest_id == 'inst-3'
    assert agent.info.tenant_id == 't1'
    assert agent.rpc_service.topic == 'guestagent.inst-3'


def test_guestagent_refuses_without_guest_id():
    assert rpc_fixtures.CONF.guest_id is None
    with pytest.raises(cfg.RequiredOptError):
        guestagent.build_service()


def test_built_services_answer(memory_bus):  # noqa: F811
    memory_bus.set('taskmanager_queue', rpc_fixtures.unique_topic('tm'))
    memory_bus.set('guest_id', rpc_fixtures.unique_topic('inst'))
    services = [taskmanager.build_service(),
                guestagent.build_service().rpc_service]
    for svc in services:
        svc.start()
    try:
        admin = context.get_admin_context()
        guest = guest_rpcapi.GuestAgentAPI(admin, rpc_fixtures.CONF.guest_id)
        assert guest.rpc_ping()['instance_id'] == rpc_fixtures.CONF.guest_id
        tm = taskmanager_rpcapi.TaskManagerAPI()
        assert tm.rpc_ping(admin)['service'] == 'taskmanager'
    finally:
        for svc in services:
            svc.stop()
        for svc in services:
            svc.wait()


def test_taskmanager_services_adopt_instances(conf_overrides,  # noqa: F811
                                              monkeypatch):
    conf_overrides.set('compute_driver', 'fake')
    adopted = []
    monkeypatch.setattr(
        'trove_lite.compute.fake.driver.FakeDriver.adopt_servers',
        lambda self, ctx: adopted.append(ctx))
    launcher_svc, sync, runner, engine, schedules, rpc_svc = \
        taskmanager.build_services()
    assert isinstance(schedules, backup_schedules.ScheduleRunner)
    assert len(adopted) == 1
    assert isinstance(sync, flavor_sync.FlavorSyncService)
    assert isinstance(runner, taskmanager_manager.FlowRunner)
    assert rpc_svc.manager._runner is runner
    assert rpc_svc.manager.engine is engine and engine.runner is runner
    assert launcher_svc.launcher is not None


def test_conductor_services_run_reconcilers_and_failover(
        conf_overrides):  # noqa: F811
    writer, rpc_svc, reconciler_svc, failover_svc = \
        conductor.build_services()
    # The writer stops last, after the RPC service, and writes the
    # heartbeats of the endpoint that service serves.
    assert writer is rpc_svc.manager.heartbeats
    assert writer.interval == 0.05
    assert isinstance(rpc_svc, service.RPCService)
    assert isinstance(reconciler_svc, reconcilers.ReconcilerService)
    assert isinstance(failover_svc, failover.FailoverService)
    assert [n for n, _ in reconciler_svc.reconcilers] == ['expire_tasks',
                                                          'orphaned_backups']


def test_taskmanager_services_end_what_this_host_left_locked(
        conf_overrides, ctx):  # noqa: F811
    conf_overrides.set('compute_driver', 'fake')
    row = instances.create(ctx, {'name': 'db', 'tenant_id': 'p'})
    instances.claim(ctx, row.id,
                    resource_locks.new_holder(), states.BUILDING)
    taskmanager.build_services()
    row = instances.get(ctx, row.id)
    assert row.lock_holder is None
    assert states.task(row.task_id).is_error
    assert instances.get_fault(ctx, row.id).message == \
        stale_locks.MESSAGE % 'instance'


def test_taskmanager_services_adopt_only_when_the_driver_can(
        conf_overrides, monkeypatch):  # noqa: F811
    # NOTE(adoption): the interface has no adopt_servers; a driver that
    # does not add one (a cloud's) is not asked to adopt anything.
    driver = mock.create_autospec(compute_base.ComputeDriver, instance=True)
    monkeypatch.setattr('trove_lite.cmd.launchers.build_compute_driver',
                        lambda: (driver, None))
    services = taskmanager.build_services()
    assert not hasattr(driver, 'adopt_servers')
    assert driver.mock_calls == []
    assert services[1].driver is driver


def test_taskmanager_services_run_backup_schedules(
        conf_overrides):  # noqa: F811
    conf_overrides.set('compute_driver', 'fake')
    services = taskmanager.build_services()
    engine, runner, rpc_svc = services[3:]
    assert isinstance(runner, backup_schedules.ScheduleRunner)
    assert rpc_svc.manager.engine is engine
    assert isinstance(rpc_svc, service.RPCService)


def test_scheduled_backups_begin_as_the_api_and_run_here():
    calls = []
    schedule = models.BackupSchedule(id='s1', instance_id='i1',
                                     description='d')

    def begin(context, instance_id, name, description=None, parent_id=None,
              incremental=False, swift_container=None, schedule_id=None):
        calls.append(('begin', context, instance_id, name, description,
                      parent_id, incremental, swift_container, schedule_id))
        return models.Backup(id='b2'), 'w1', 'holder'

    def begin_delete(context, backup_id):
        calls.append(('begin_delete', context, backup_id))
        return ['b1', 'b1-child'], 'holder', 'w2'

    start_backup, start_delete = taskmanager.scheduled_backup_actions(
        begin, begin_delete, lambda workflow_id: calls.append(workflow_id))
    assert start_backup('ctx', schedule, 'n-1', 'b1') == 'b2'
    assert start_backup('ctx', schedule, 'n-2', None) == 'b2'
    assert start_delete('ctx', 'b1') == ['b1', 'b1-child']
    assert calls == [
        ('begin', 'ctx', 'i1', 'n-1', 'd', 'b1', True, None, 's1'), 'w1',
        ('begin', 'ctx', 'i1', 'n-2', 'd', None, False, None, 's1'), 'w1',
        ('begin_delete', 'ctx', 'b1'), 'w2']
