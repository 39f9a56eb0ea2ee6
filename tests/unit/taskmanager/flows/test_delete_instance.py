"""The delete flow."""

from trove_lite.broker import fake as fake_broker
from trove_lite.common import states
from trove_lite.compute.fake import driver as fake_driver
from trove_lite.db.repositories import instances
from trove_lite.taskmanager.flows import create_instance
from trove_lite.taskmanager.flows import delete_instance


def test_delete_an_active_instance(ctx, driver, guests, conductor,
                                   new_instance):
    row = new_instance()
    assert create_instance.run(ctx, driver, row.id, [], [], None)
    assert len(driver.volumes) == 1
    guest = guests.guests[row.id]
    instances.start(ctx, row.id, 'delete', 'api')
    assert delete_instance.run(ctx, driver, row.id)
    assert guest.endpoint.calls == ['rpc_ping', 'prepare', 'stop_db']
    assert driver.servers == {} and row.id not in guests.guests
    assert driver.volumes == {}, 'the volume goes with the instance'
    assert instances.list_instances(ctx) == []


def test_delete_removes_the_broker_identity(ctx, driver, guests, conductor,
                                            new_instance):
    broker = fake_broker.FakeDriver()
    row = new_instance()
    assert create_instance.run(ctx, driver, row.id, [], [], None,
                               broker=broker)
    assert row.id in broker.identities
    instances.start(ctx, row.id, 'delete', 'api')
    assert delete_instance.run(ctx, driver, row.id, broker=broker)
    assert broker.identities == {} and broker.deleted == [row.id]


def test_delete_a_row_without_server(ctx, driver, conductor, new_instance):
    row = new_instance()
    instances.start(ctx, row.id, 'delete', 'api')
    assert delete_instance.run(ctx, driver, row.id)
    assert instances.list_instances(ctx) == []


def test_delete_only_a_deleting_instance(ctx, driver, new_instance):
    row = new_instance()
    assert not delete_instance.run(ctx, driver, row.id)
    assert not delete_instance.run(ctx, driver, 'no-such-instance')
    assert instances.get(ctx, row.id)


def test_failed_delete_is_an_error_with_a_fault(ctx, conductor,
                                                new_instance, monkeypatch):
    driver = fake_driver.FakeDriver()

    def broken(*args):
        raise RuntimeError('busy disk')

    monkeypatch.setattr(driver, 'delete_server', broken)
    row = new_instance()
    instances.start(ctx, row.id, 'delete', 'api')
    assert not delete_instance.run(ctx, driver, row.id)
    row = instances.get(ctx, row.id)
    assert states.task(row.task_id) is states.DELETING_ERROR
    assert row.lock_holder is None
    fault = instances.get_fault(ctx, row.id)
    assert fault.message == delete_instance.FAULT
    assert 'busy disk' in fault.details
    # And it can be deleted again.
    instances.start(ctx, row.id, 'delete', 'api-2')
