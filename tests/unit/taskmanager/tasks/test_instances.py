"""Tasks on the instance row."""

from unittest import mock

from taskflow.types import failure

from trove_lite.common import exception
from trove_lite.common import states
from trove_lite.compute import base as compute_base
from trove_lite.compute.fake import driver as fake_driver
from trove_lite.db.repositories import instances
from trove_lite.taskmanager.tasks import base
from trove_lite.taskmanager.tasks import instances as tasks


def _failure(exc):
    try:
        raise exc
    except Exception:
        return failure.Failure()


def _claimed(ctx, new_instance, holder='h1'):
    row = new_instance()
    assert instances.claim(ctx, row.id, holder, states.BUILDING)
    return row


def test_mark_build_failed_on_revert_for_the_server(ctx, new_instance):
    row = _claimed(ctx, new_instance)
    task = tasks.MarkBuildFailedOnRevert()
    task.execute()
    task.revert(ctx, row.id, 'h1', flow_failures={
        'trove_lite.taskmanager.tasks.compute.CreateServer':
            _failure(RuntimeError('boom'))})
    row = instances.get(ctx, row.id)
    assert states.task(row.task_id) is states.BUILDING_ERROR_SERVER
    assert row.lock_holder is None
    fault = instances.get_fault(ctx, row.id)
    assert fault.message.startswith('The server of the instance')
    assert 'CreateServer failed' in fault.details and 'boom' in fault.details


def test_mark_build_failed_on_revert_for_the_guest(ctx, new_instance):
    row = _claimed(ctx, new_instance)
    tasks.MarkBuildFailedOnRevert().revert(ctx, row.id, 'h1', flow_failures={
        'WaitForHealthy': _failure(base.GuestFailed(
            uuid=row.id, fault='x', tenant_message='Disk full.'))})
    row = instances.get(ctx, row.id)
    assert states.task(row.task_id) is states.BUILDING_ERROR_GUEST
    assert instances.get_fault(ctx, row.id).message == 'Disk full.'


def test_mark_failed_on_revert_leaves_a_taken_over_instance(ctx,
                                                            new_instance):
    row = _claimed(ctx, new_instance)
    instances.start(ctx, row.id, 'delete', 'deleter')
    tasks.MarkBuildFailedOnRevert().revert(ctx, row.id, 'h1', flow_failures={
        'Prepare': _failure(RuntimeError('x'))})
    row = instances.get(ctx, row.id)
    assert states.task(row.task_id) is states.DELETING
    assert row.lock_holder == 'deleter'
    assert instances.get_fault(ctx, row.id) is None


def test_mark_failed_on_revert_generic(ctx, new_instance):
    row = new_instance()
    instances.finish(ctx, row.id, 'build_done', None)
    instances.start(ctx, row.id, 'restart', 'h2')
    tasks.MarkFailedOnRevert('restart_failed', 'No restart.').revert(
        ctx, row.id, 'h2', flow_failures={})
    row = instances.get(ctx, row.id)
    assert states.task(row.task_id) is states.REBOOTING_ERROR
    assert instances.get_fault(ctx, row.id).message == 'No restart.'


class FlavorDriver(fake_driver.FakeDriver):
    """Flavors from somewhere other than the flavors table (Nova's)."""

    def get_flavor(self, context, flavor_id):
        if flavor_id != '42':
            raise exception.FlavorNotFound(uuid=flavor_id)
        return compute_base.Flavor('42', 'nova.big', 8192, 4, 40, 0)


def test_load_build_info(ctx, new_instance, flavor):
    row = new_instance()
    instance, got_flavor, guest_info, image = tasks.LoadBuildInfo(
        fake_driver.FakeDriver()).execute(ctx, row.id)
    assert instance.id == row.id
    assert got_flavor == compute_base.Flavor('1', 'm1.tiny', 512, 1, 1, 0)
    assert guest_info == {'tenant_id': 'p1'}
    assert image == {'image_id': None, 'image_tags': []}


def test_load_build_info_takes_the_flavor_from_the_driver(ctx,
                                                          new_instance):
    row = new_instance()
    instances.update(ctx, row.id, flavor_id='42')
    _, got_flavor, _, _ = tasks.LoadBuildInfo(FlavorDriver()).execute(
        ctx, row.id)
    assert got_flavor.name == 'nova.big' and got_flavor.ram == 8192


def test_load_build_info_reads_the_datastore(ctx, new_instance):
    row = new_instance()
    version = mock.Mock(manager='mariadb', version='11.4', image_id=None,
                        image_tags='trove, mariadb',
                        packages='mariadb-server, /opt/mariadb-11.4/sbin')
    instances.update(ctx, row.id, datastore_version_id=None)
    with mock.patch.object(instances, 'get') as get, \
            mock.patch.object(tasks.datastores, 'get_version_by_id',
                              return_value=version):
        get.return_value = mock.Mock(flavor_id='1', tenant_id='p1',
                                     datastore_version_id='v1')
        _, _, guest_info, image = tasks.LoadBuildInfo(
            fake_driver.FakeDriver()).execute(ctx, row.id)
    # The absolute paths among its packages are where its binaries are.
    assert guest_info == {'tenant_id': 'p1', 'datastore_manager': 'mariadb',
                          'datastore_version': '11.4', 'port': 3306,
                          'server_path': ['/opt/mariadb-11.4/sbin']}
    assert image == {'image_id': None, 'image_tags': ['trove', 'mariadb']}


def test_load_build_info_of_a_missing_flavor_fails(ctx, new_instance):
    row = new_instance()
    instances.update(ctx, row.id, flavor_id='nope')
    try:
        tasks.LoadBuildInfo(fake_driver.FakeDriver()).execute(ctx, row.id)
    except exception.FlavorNotFound:
        pass
    else:
        raise AssertionError('no FlavorNotFound')


def test_save_server_and_revert(ctx, new_instance):
    row = new_instance()
    server = compute_base.Server('s1', [{'address': '127.77.0.1',
                                         'type': 'private'}],
                                 states.SERVER_ACTIVE)
    tasks.SaveServer().execute(ctx, row.id, server)
    saved = instances.get(ctx, row.id)
    assert saved.compute_instance_id == 's1'
    assert instances.addresses_of(saved)[0]['address'] == '127.77.0.1'
    assert saved.server_status == states.SERVER_ACTIVE
    tasks.SaveServer().revert(ctx, row.id)
    saved = instances.get(ctx, row.id)
    assert saved.compute_instance_id is None
    assert instances.addresses_of(saved) == []


def test_finish_build_only_when_ready(ctx, new_instance):
    row = _claimed(ctx, new_instance)
    assert not tasks.FinishBuild().execute(ctx, row.id, 'h1', 'lost')
    assert instances.holds_lock(ctx, row.id, 'h1')
    assert tasks.FinishBuild().execute(ctx, row.id, 'h1', 'ready')
    row = instances.get(ctx, row.id)
    assert states.task(row.task_id) is states.NONE


def test_finish_task_reports_a_lost_lock(ctx, new_instance):
    row = _claimed(ctx, new_instance)
    assert not tasks.FinishTask('build_done').execute(ctx, row.id, 'other')


def test_set_service_status(ctx, new_instance):
    row = new_instance()
    tasks.SetServiceStatus(states.SVC_RESTARTING).execute(ctx, row.id)
    assert instances.get_service_status(ctx, row.id)[0] is \
        states.SVC_RESTARTING


def test_load_instance_and_mark_deleted(ctx, new_instance):
    row = new_instance()
    assert tasks.LoadInstance().execute(ctx, row.id).id == row.id
    tasks.MarkDeleted().execute(ctx, row.id)
    assert instances.list_instances(ctx) == []
