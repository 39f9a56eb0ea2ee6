"""The fake driver and fake guests."""

import pytest

from tests.unit.rpc_fixtures import conf_overrides  # noqa: F401
from tests.unit.rpc_fixtures import memory_bus  # noqa: F401
from trove_lite.cmd import launchers
from trove_lite.common import exception
from trove_lite.common import states
from trove_lite.compute import base
from trove_lite.compute.fake import driver as fake_driver
from trove_lite.compute.fake import guest as fake_guest
from trove_lite.db.repositories import instances
from trove_lite.guestagent import rpcapi as guest_rpcapi


class Row:
    def __init__(self, instance_id):
        self.id = instance_id


def test_servers_in_a_dict(ctx):
    driver = base.load_driver('fake')
    assert isinstance(driver, fake_driver.FakeDriver)
    row = Row('i1')
    server = driver.create_server(ctx, row, None, {})
    assert driver.server_status(ctx, row) == states.SERVER_ACTIVE
    assert server.addresses[0]['type'] == 'private'
    driver.delete_server(ctx, row)
    driver.delete_server(ctx, row)
    assert driver.deleted == ['i1']
    assert driver.server_status(ctx, row) == states.SERVER_DELETED
    assert driver.console_output(ctx, row) == ''


def test_a_server_whose_agent_does_not_run_is_shut_down(ctx):
    launcher = fake_guest.FakeGuestLauncher(behaviour=fake_guest.DEAD)
    driver = fake_driver.FakeDriver(launcher=launcher)
    row = Row('i1')
    driver.create_server(ctx, row, None, {})
    assert not launcher.running('i1')
    assert driver.server_status(ctx, row) == \
        states.SERVER_SHUTDOWN


def test_failing_create_keeps_what_it_made(ctx):
    driver = fake_driver.FakeDriver(fail_create=RuntimeError('x'))
    with pytest.raises(RuntimeError):
        driver.create_server(ctx, Row('i1'), None, {})
    assert 'i1' in driver.servers


def test_fake_guests_answer_on_the_bus(ctx, memory_bus):  # noqa
    launcher = fake_guest.FakeGuestLauncher()
    driver = fake_driver.FakeDriver(launcher=launcher)
    row = instances.create(ctx, {'name': 'db', 'tenant_id': 'p'})
    driver.create_server(ctx, row, None, {})
    try:
        key = instances.key_of(ctx, row.id)
        assert key, 'the fake driver gives every instance a key'
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
    driver.create_server(ctx, row, None, {})
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
    driver.create_server(ctx, row, None, {})
    try:
        api = guest_rpcapi.for_instance(ctx,
                                        instances.get(ctx, row.id))
        with pytest.raises(exception.GuestError):
            api.list_users()
    finally:
        launcher.stop_all()
