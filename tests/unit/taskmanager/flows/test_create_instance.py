"""The create flow end to end: fake driver, fake guests, real conductor,
in-memory bus."""

import configparser
import threading

import pytest

from tests.unit.rpc_fixtures import (  # noqa: F401
    notifications as notifications_on)
from tests import waiting
from trove_lite.broker import base as broker_base
from trove_lite.broker import fake as fake_broker
from trove_lite.common import notifications
from trove_lite.common import states
from trove_lite.compute import base as compute_base
from trove_lite.compute.fake import driver as fake_driver
from trove_lite.compute.fake import guest as fake_guest
from trove_lite.compute.local import driver as local_driver
from trove_lite.conductor import reconcilers
from trove_lite.db.repositories import datastores
from trove_lite.db.repositories import instances
from trove_lite.taskmanager.flows import create_instance
from trove_lite.taskmanager.flows import delete_instance
from trove_lite.taskmanager.tasks import base
from trove_lite.taskmanager.tasks import guest as guest_tasks


def _run(ctx, driver, instance_id, **kwargs):
    return create_instance.run(ctx, driver, instance_id, [{'name': 'd1'}],
                               [], 'secret', **kwargs)


def test_create_ends_active(ctx, driver, guests, conductor, new_instance):
    row = new_instance()
    assert _run(ctx, driver, row.id)
    row = instances.get(ctx, row.id)
    assert states.task(row.task_id) is states.NONE
    assert row.lock_holder is None and row.task_deadline is None
    assert row.server_status == states.SERVER_ACTIVE
    assert row.compute_instance_id == driver.servers[row.id].id
    assert instances.addresses_of(row) == driver.servers[row.id].addresses
    status, _ = instances.get_service_status(ctx, row.id)
    assert status is states.SVC_HEALTHY
    assert guests.guests[row.id].endpoint.calls == ['rpc_ping', 'prepare']


def test_create_runs_only_on_an_unclaimed_building_row(ctx, driver,
                                                       conductor,
                                                       new_instance):
    row = new_instance()
    instances.update(ctx, row.id, lock_holder='someone')
    assert not _run(ctx, driver, row.id)
    assert driver.servers == {}


def test_compute_failure_ends_in_error_without_a_server(
        ctx, guests, conductor, new_instance):
    driver = fake_driver.FakeDriver(launcher=guests,
                                    fail_create=RuntimeError('no room'))
    row = new_instance()
    assert not _run(ctx, driver, row.id)
    row = instances.get(ctx, row.id)
    assert states.task(row.task_id) is states.BUILDING_ERROR_SERVER
    assert row.lock_holder is None
    assert driver.servers == {} and driver.deleted == [row.id]
    fault = instances.get_fault(ctx, row.id)
    assert 'could not be created' in fault.message
    assert 'no room' in fault.details and 'CreateServer' in fault.details


def test_guest_failure_ends_in_error_with_its_fault(ctx, conductor,
                                                    new_instance):
    guests = fake_guest.FakeGuestLauncher(behaviour=fake_guest.FAILED)
    driver = fake_driver.FakeDriver(launcher=guests)
    row = new_instance()
    try:
        assert not _run(ctx, driver, row.id)
    finally:
        guests.stop_all()
    row = instances.get(ctx, row.id)
    assert states.task(row.task_id) is states.BUILDING_ERROR_GUEST
    assert driver.servers == {}
    assert instances.get_fault(ctx, row.id).message == \
        'The datastore failed to start.'


def test_dead_agent_fails_the_build_long_before_its_deadline(
        ctx, conductor, new_instance, monkeypatch):
    # build_timeout stays 600 s: the flow notices the agent is gone.
    monkeypatch.setattr(guest_tasks.WaitForAgent, 'ping_timeout', 0.2)
    guests = fake_guest.FakeGuestLauncher(behaviour=fake_guest.DEAD)
    driver = fake_driver.FakeDriver(launcher=guests)
    row = new_instance()
    assert not _run(ctx, driver, row.id)
    row = instances.get(ctx, row.id)
    assert states.task(row.task_id) is states.BUILDING_ERROR_GUEST
    assert row.lock_holder is None
    assert driver.servers == {} and driver.deleted == [row.id]
    fault = instances.get_fault(ctx, row.id)
    assert fault.message == base.AgentFailed.tenant_message
    assert 'WaitForAgent' in fault.details
    assert 'SHUTDOWN' in fault.details


@pytest.mark.parametrize('speaks, announced', [
    # An agent too old for prepare: it answers the ping, naming 1.0.
    ('1.0', '1.0'),
    # An agent of another major version cannot even take the 1.0 ping.
    ('2.0', 'other than 1.x'),
])
def test_an_incompatible_agent_ends_the_create_in_error(
        ctx, conductor, new_instance, caplog, speaks, announced):
    guests = fake_guest.FakeGuestLauncher(api_version=speaks)
    driver = fake_driver.FakeDriver(launcher=guests)
    row = new_instance()
    try:
        assert not _run(ctx, driver, row.id)
    finally:
        guests.stop_all()
    row = instances.get(ctx, row.id)
    assert states.task(row.task_id) is states.BUILDING_ERROR_GUEST
    assert row.lock_holder is None
    assert driver.servers == {} and driver.deleted == [row.id]
    fault = instances.get_fault(ctx, row.id)
    assert fault.message == (
        'The guest agent of the instance is incompatible with this '
        'service: it speaks guest API %s, and this service needs 1.1 to '
        '%s. Delete the instance and ask an administrator to update the '
        'guest image.' % (announced, guest_tasks.OUR_GUEST_API))
    assert 'WaitForAgent' in fault.details
    assert 'speaks guest API %s' % announced in fault.details
    # No traceback on the agent's side either: it refused with a warning.
    assert not [r for r in caplog.records
                if r.name.startswith('oslo_messaging')
                and r.levelname == 'ERROR']


def test_silent_guest_is_expired_by_the_reconciler(ctx, conductor,
                                                   new_instance, override):
    override('build_timeout', 1)
    override('reconcile_interval', 1)
    guests = fake_guest.FakeGuestLauncher(behaviour=fake_guest.SILENT)
    driver = fake_driver.FakeDriver(launcher=guests)
    row = new_instance()
    service = reconcilers.ReconcilerService(
        [('expire_tasks', reconcilers.ExpireTasks())], interval=0.2)
    service.start()
    try:
        assert not _run(ctx, driver, row.id)
    finally:
        service.stop()
        service.wait()
        guests.stop_all()
    row = instances.get(ctx, row.id)
    assert states.task(row.task_id) is states.BUILDING_ERROR_TIMEOUT_GA
    fault = instances.get_fault(ctx, row.id)
    assert fault.message == \
        'The instance did not become ready within 1 seconds.'
    # The flow saw the expiry and removed the server.
    assert driver.servers == {}


def _prepared(guests, instance_id):
    guest = guests.guests.get(instance_id)
    return guest is not None and 'prepare' in guest.endpoint.calls


def test_delete_while_building_wins(ctx, conductor, new_instance):
    guests = fake_guest.FakeGuestLauncher(behaviour=fake_guest.SILENT)
    driver = fake_driver.FakeDriver(launcher=guests)
    row = new_instance()
    results = []
    creator = threading.Thread(
        target=lambda: results.append(_run(ctx, driver, row.id)))
    creator.start()
    try:
        # Wait until the flow waits for the guest (prepare was sent).
        assert waiting.wait_for(lambda: _prepared(guests, row.id))
        instances.start(ctx, row.id, 'delete', 'api-delete')
        assert delete_instance.run(ctx, driver, row.id)
        creator.join(10)
        assert not creator.is_alive()
    finally:
        guests.stop_all()
    # The create stopped without failing: no error, no revert.
    assert results == [True]
    assert instances.list_instances(ctx) == []
    assert driver.servers == {}
    status, _ = instances.get_service_status(ctx, row.id)
    assert status is states.SVC_DELETED


def test_stop_event_interrupts_the_wait(ctx, conductor, new_instance):
    guests = fake_guest.FakeGuestLauncher(behaviour=fake_guest.SILENT)
    driver = fake_driver.FakeDriver(launcher=guests)
    row = new_instance()
    stop = threading.Event()
    stop.set()
    try:
        assert _run(ctx, driver, row.id, stop_event=stop)
    finally:
        guests.stop_all()
    row = instances.get(ctx, row.id)
    # Left building, its deadline will settle it.
    assert states.task(row.task_id) is states.BUILDING


def _notice(ctx, instance_id):
    carried = {'operation': notifications.INSTANCE_CREATE,
               'payload': {'request_id': 'req-1', 'server_type': 'api',
                           'instance_id': instance_id}}
    return notifications.Operation.resume(ctx, carried,
                                          notifications.TASKMANAGER)


def test_a_failed_create_sends_its_error(ctx, guests, conductor,
                                         new_instance, notifications_on):  # noqa: F811
    driver = fake_driver.FakeDriver(launcher=guests,
                                    fail_create=RuntimeError('no room'))
    row = new_instance()
    assert not _run(ctx, driver, row.id, notice=_notice(ctx, row.id))
    assert notifications_on.types() == ['dbaas.instance_create.error']
    payload = notifications_on.of('dbaas.instance_create.error')['payload']
    assert 'could not be created' in payload['message']
    assert payload['exception'] == ['RuntimeError: no room\n']
    assert payload['request_id'] == 'req-1'
    assert payload['server_type'] == 'taskmanager'


def test_a_create_that_does_not_run_sends_an_error(ctx, driver, conductor,
                                                   new_instance,
                                                   notifications_on):  # noqa: F811
    row = new_instance()
    instances.update(ctx, row.id, lock_holder='someone')
    assert not _run(ctx, driver, row.id, notice=_notice(ctx, row.id))
    assert notifications_on.types() == ['dbaas.instance_create.error']


def _mariadb_version(ctx):
    datastores.update_datastore(ctx, 'mariadb')
    return datastores.upsert_version(ctx, 'mariadb', '11.4', 'mariadb',
                                     image_tags=['trove', 'mariadb'])


def test_the_driver_gets_the_spec_a_nova_driver_would_boot(
        ctx, driver, guests, conductor, new_instance, override):
    """The fake driver records the spec: this is what a Nova driver gets."""
    override('management_networks', ['mgmt-net'])
    override('management_security_groups', ['trove-guests'])
    row = new_instance()
    instances.update(ctx, row.id,
                     datastore_version_id=_mariadb_version(ctx).id)
    assert _run(ctx, driver, row.id, broker=fake_broker.FakeDriver())
    spec = driver.specs[row.id]
    row = instances.get(ctx, row.id)
    assert spec.name == 'db'
    assert spec.flavor == compute_base.Flavor('1', 'm1.tiny', 512, 1, 1, 0)
    assert (spec.image_id, spec.image_tags) == (None, ('trove', 'mariadb'))
    assert spec.networks == ()
    assert spec.management_networks == ('mgmt-net',)
    assert spec.security_groups == ('trove-guests',)
    assert spec.service_ports == (3306,)
    assert spec.availability_zone is None and spec.server_group_id is None
    assert spec.volume == compute_base.VolumeSpec(1, None, row.volume_id)
    assert driver.volumes[row.volume_id].size == 1
    assert spec.metadata == {'trove_instance_id': row.id,
                             'trove_project_id': 'p1'}
    assert list(spec.files) == [compute_base.GUEST_INFO_PATH]
    config = configparser.ConfigParser(interpolation=None)
    config.read_string(spec.files[compute_base.GUEST_INFO_PATH])
    assert config['DEFAULT']['guest_id'] == row.id
    # The guest's own broker identity, never the control plane's.
    assert config['DEFAULT']['transport_url'].startswith(
        'rabbit://fake-%s:' % row.id)
    assert {key: config['guest'][key] for key in (
        'datastore_manager', 'datastore_version', 'tenant_id', 'port',
        'instance_key')} == {
        'datastore_manager': 'mariadb', 'datastore_version': '11.4',
        'tenant_id': 'p1', 'port': '3306',
        'instance_key': instances.key_of(ctx, row.id)}


def test_a_failed_create_deletes_its_volume(ctx, guests, conductor,
                                            new_instance):
    driver = fake_driver.FakeDriver(launcher=guests,
                                    fail_create=RuntimeError('no room'))
    row = new_instance()
    assert not _run(ctx, driver, row.id)
    assert driver.volumes == {}
    assert instances.get(ctx, row.id).volume_id is None


def test_the_local_driver_writes_the_files_the_taskmanager_rendered(
        ctx, conductor, new_instance, tmp_path, override):
    override('instances_path', str(tmp_path / 'instances'), group='local')
    override('address_range', '127.77.0.0/29', group='local')
    guests = fake_guest.FakeGuestLauncher()
    driver = local_driver.LocalDriver(launcher=guests)
    row = new_instance()
    try:
        assert _run(ctx, driver, row.id)
    finally:
        guests.stop_all()
    config = configparser.ConfigParser(interpolation=None)
    config.read(tmp_path / 'instances' / row.id / 'guest_info.conf')
    assert config['DEFAULT']['guest_id'] == row.id
    assert config['guest']['instance_key'] == instances.key_of(ctx, row.id)
    assert config['guest']['tenant_id'] == 'p1'
    # The local driver's own additions, and nothing else of its own.
    assert config['guest']['instance_dir'] == str(
        tmp_path / 'instances' / row.id)
    assert config['guest']['bind_host'] == '127.77.0.1'


def test_create_gives_the_guest_a_broker_identity_of_its_own(
        ctx, driver, guests, conductor, new_instance):
    broker = fake_broker.FakeDriver()
    row = new_instance()
    assert _run(ctx, driver, row.id, broker=broker)
    assert broker.identities[row.id].topic == 'guestagent.%s' % row.id
    config = configparser.ConfigParser(interpolation=None)
    config.read_string(driver.specs[row.id].files[
        compute_base.GUEST_INFO_PATH])
    assert config['DEFAULT']['transport_url'].startswith(
        'rabbit://fake-%s:' % row.id)


def test_failed_create_removes_the_broker_identity(ctx, guests, conductor,
                                                   new_instance):
    broker = fake_broker.FakeDriver()
    driver = fake_driver.FakeDriver(launcher=guests,
                                    fail_create=RuntimeError('no room'))
    row = new_instance()
    assert not _run(ctx, driver, row.id, broker=broker)
    assert broker.identities == {} and broker.deleted == [row.id]


def test_broker_failure_ends_in_error_without_a_server(
        ctx, driver, conductor, new_instance):
    broker = fake_broker.FakeDriver(
        fail_create=broker_base.BrokerError(reason='broker down'))
    row = new_instance()
    assert not _run(ctx, driver, row.id, broker=broker)
    row = instances.get(ctx, row.id)
    assert states.task(row.task_id) is states.BUILDING_ERROR_SERVER
    assert driver.servers == {}
    assert 'broker down' in instances.get_fault(ctx, row.id).details
