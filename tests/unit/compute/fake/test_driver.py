"""The fake driver and fake guests."""

import pytest

from tests.unit.rpc_fixtures import conf_overrides  # noqa: F401
from tests.unit.rpc_fixtures import memory_bus  # noqa: F401
from trove_lite.cmd import launchers
from trove_lite.common import exception
from trove_lite.common import sealing
from trove_lite.common import states
from trove_lite.compute import base
from trove_lite.compute.fake import driver as fake_driver
from trove_lite.compute.fake import guest as fake_guest
from trove_lite.db.repositories import flavors
from trove_lite.db.repositories import instances
from trove_lite.guestagent import rpcapi as guest_rpcapi


class Row:
    def __init__(self, instance_id):
        self.id = instance_id


SPEC = base.ServerSpec(name='db', flavor=base.Flavor('1', 'm1.tiny', 512,
                                                     1, 1, 0),
                       image_tags=('trove', 'mariadb'))


def test_servers_in_a_dict(ctx):
    driver = base.load_driver('fake')
    assert isinstance(driver, fake_driver.FakeDriver)
    row = Row('i1')
    server = driver.create_server(ctx, row, SPEC)
    assert driver.server_status(ctx, row) == states.SERVER_ACTIVE
    assert server.addresses[0]['type'] == 'private'
    assert driver.specs == {'i1': SPEC}
    driver.delete_server(ctx, row)
    driver.delete_server(ctx, row)
    assert driver.deleted == ['i1']
    assert driver.server_status(ctx, row) == states.SERVER_DELETED
    assert driver.console_output(ctx, row) == ''


def test_a_server_whose_agent_does_not_run_is_shut_down(ctx):
    launcher = fake_guest.FakeGuestLauncher(behaviour=fake_guest.DEAD)
    driver = fake_driver.FakeDriver(launcher=launcher)
    row = Row('i1')
    driver.create_server(ctx, row, SPEC)
    assert not launcher.running('i1')
    assert driver.server_status(ctx, row) == \
        states.SERVER_SHUTDOWN


def test_failing_create_keeps_what_it_made(ctx):
    driver = fake_driver.FakeDriver(fail_create=RuntimeError('x'))
    with pytest.raises(RuntimeError):
        driver.create_server(ctx, Row('i1'), SPEC)
    assert 'i1' in driver.servers


def test_fake_guests_answer_on_the_bus(ctx, memory_bus):  # noqa
    launcher = fake_guest.FakeGuestLauncher()
    driver = fake_driver.FakeDriver(launcher=launcher)
    row = instances.create(ctx, {'name': 'db', 'tenant_id': 'p'})
    # NOTE(sealing): the taskmanager makes the key before the server.
    instances.set_key(ctx, row.id, sealing.generate_key())
    driver.create_server(ctx, row, SPEC)
    try:
        key = instances.key_of(ctx, row.id)
        api = guest_rpcapi.GuestAgentAPI(ctx, row.id, key=key)
        assert api.rpc_ping()['instance_id'] == row.id
        assert api.get_filesystem_stats()['total'] == 1.0
        launcher.stop(row.id)
        assert driver.adopt_servers(ctx) == [row.id]
        assert launcher.running(row.id)
    finally:
        launcher.stop_all()


def test_fake_guests_serve_databases_users_and_root(ctx,
                                                    memory_bus):  # noqa
    launcher = fake_guest.FakeGuestLauncher(
        datastore_factory=launchers.fake_datastore_factory)
    driver = fake_driver.FakeDriver(launcher=launcher)
    row = instances.create(ctx, {'name': 'db', 'tenant_id': 'p'})
    driver.create_server(ctx, row, SPEC)
    try:
        api = guest_rpcapi.for_instance(ctx,
                                        instances.get(ctx, row.id))
        api.prepare(512, [{'name': 'app'}], [
            {'name': 'u', 'password': 'p', 'databases': [{'name': 'app'}]}])
        assert api.list_databases() == [{'name': 'app'}]
        assert api.list_access('u', '%') == [{'name': 'app'}]
        with pytest.raises(exception.UserNotFound):
            api.get_user('nobody', '%') or api.delete_user('nobody', '%')
        assert api.enable_root('pw') == {'name': 'root', 'password': 'pw'}
        assert api.is_root_enabled() is True
    finally:
        launcher.stop_all()


def test_without_a_datastore_the_calls_are_guest_errors(ctx,
                                                        memory_bus):  # noqa
    launcher = fake_guest.FakeGuestLauncher()
    driver = fake_driver.FakeDriver(launcher=launcher)
    row = instances.create(ctx, {'name': 'db', 'tenant_id': 'p'})
    driver.create_server(ctx, row, SPEC)
    try:
        api = guest_rpcapi.for_instance(ctx,
                                        instances.get(ctx, row.id))
        with pytest.raises(exception.GuestError):
            api.list_users()
        for call in (api.get_replication_state, api.promote_to_replica_source,
                     api.fence_replica_source, api.detach_replica):
            with pytest.raises(exception.GuestError):
                call()
    finally:
        launcher.stop_all()


def test_volumes_and_server_groups_in_dicts(ctx):
    driver = fake_driver.FakeDriver()
    row = Row('i1')
    volume = driver.create_volume(ctx, row, base.VolumeSpec(2))
    assert driver.volumes == {volume.id: volume}
    assert driver.attach_volume(ctx, row, volume.id)
    assert driver.volumes[volume.id].status == 'in-use'
    assert driver.extend_volume(ctx, row, volume.id, 3).size == 3
    # Again (a repeated resize): the size it has.
    assert driver.extend_volume(ctx, row, volume.id, 3).size == 3
    with pytest.raises(base.ComputeError):
        driver.extend_volume(ctx, row, volume.id, 2)
    driver.delete_volume(ctx, row, volume.id)
    driver.delete_volume(ctx, row, volume.id)
    assert driver.volumes == {}
    with pytest.raises(base.ComputeError):
        driver.attach_volume(ctx, row, volume.id)
    group = driver.create_server_group(ctx, 'g', 'anti-affinity')
    assert driver.server_groups == {group: ('g', 'anti-affinity')}
    driver.delete_server_group(ctx, group)
    assert driver.server_groups == {}


def test_flavors_are_the_flavors_table(ctx):
    flavors.create_flavor(ctx, '7', 'm1.small', 2048, 1, 20)
    driver = fake_driver.FakeDriver()
    assert driver.list_flavors(ctx) == [
        base.Flavor('7', 'm1.small', 2048, 1, 20, 0)]
    assert driver.get_flavor(ctx, '7').ram == 2048
    with pytest.raises(exception.FlavorNotFound):
        driver.get_flavor(ctx, '8')


def test_the_access_of_each_server_is_recorded(ctx):
    driver = fake_driver.FakeDriver()
    row = Row('i1')
    driver.create_server(ctx, row, SPEC)
    # A spec without access: private, every source network.
    assert driver.access == {'i1': base.AccessSpec()}
    wanted = base.AccessSpec(True, ('192.0.2.0/24',), (3306,))
    assert driver.apply_access(ctx, row, wanted) == \
        driver.servers['i1'].addresses
    assert driver.access == {'i1': wanted}
    driver.fail_access = base.ComputeError(reason='no')
    with pytest.raises(base.ComputeError):
        driver.apply_access(ctx, row, base.AccessSpec())
    assert driver.access == {'i1': wanted}
    driver.delete_server(ctx, row)
    assert driver.access == {}
    with pytest.raises(base.ComputeError, match='no server'):
        driver.apply_access(ctx, row, wanted)
