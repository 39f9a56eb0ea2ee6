"""Tasks on the compute driver."""

import pytest

from trove_lite.common import states
from trove_lite.compute.fake import driver as fake_driver
from trove_lite.db.repositories import instances
from trove_lite.taskmanager.tasks import base
from trove_lite.taskmanager.tasks import compute


@pytest.fixture
def plain_driver():
    return fake_driver.FakeDriver()


def test_create_server_and_revert(ctx, new_instance, flavor, plain_driver):
    row = new_instance()
    instances.claim(ctx, row.id, 'h', states.BUILDING)
    task = compute.CreateServer(plain_driver)
    server = task.execute(ctx, row.id, 'h', row, flavor, {})
    assert plain_driver.servers[row.id] == server
    task.revert(ctx, row)
    assert plain_driver.servers == {}


def test_create_server_refuses_without_the_lock(ctx, new_instance, flavor,
                                                plain_driver):
    row = new_instance()
    with pytest.raises(base.LockLost):
        compute.CreateServer(plain_driver).execute(ctx, row.id, 'h', row,
                                                   flavor, {})
    assert plain_driver.servers == {}


def test_create_server_notices_a_takeover_during_create(
        ctx, new_instance, flavor, plain_driver, monkeypatch):
    row = new_instance()
    instances.claim(ctx, row.id, 'h', states.BUILDING)
    create = plain_driver.create_server

    def create_then_delete_request(*args):
        server = create(*args)
        instances.start(ctx, row.id, 'delete', 'deleter')
        return server

    monkeypatch.setattr(plain_driver, 'create_server',
                        create_then_delete_request)
    with pytest.raises(base.LockLost):
        compute.CreateServer(plain_driver).execute(ctx, row.id, 'h', row,
                                                   flavor, {})


def test_revert_swallows_driver_errors(ctx, new_instance, plain_driver,
                                       monkeypatch, caplog):
    tried = []

    def broken(context, instance):
        tried.append(instance.id)
        raise RuntimeError('stuck')

    monkeypatch.setattr(plain_driver, 'delete_server', broken)
    row = new_instance()
    # Returns instead of raising: the flow's revert goes on.
    assert compute.CreateServer(plain_driver).revert(ctx, row) is None
    assert tried == [row.id]
    assert 'Could not delete the server of instance %s' % row.id in \
        caplog.text


def test_delete_server(ctx, new_instance, flavor, plain_driver):
    row = new_instance()
    plain_driver.create_server(ctx, row, flavor, {})
    compute.DeleteServer(plain_driver).execute(ctx, row)
    assert plain_driver.deleted == [row.id]
    # Idempotent.
    compute.DeleteServer(plain_driver).execute(ctx, row)
