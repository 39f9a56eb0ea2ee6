"""The change of an instance's access, on the fake compute driver."""

import json

from trove_lite.common import states
from trove_lite.compute import base as compute_base
from trove_lite.db.repositories import instances
from trove_lite.taskmanager.flows import create_instance
from trove_lite.taskmanager.flows import update_access


def _built(ctx, driver, new_instance, access=None):
    row = new_instance()
    if access is not None:
        instances.update(ctx, row.id, access=json.dumps(access))
    assert create_instance.run(ctx, driver, row.id, [], [], None)
    return row.id


def test_a_create_gives_the_driver_the_stored_access(
        ctx, driver, guests, conductor, new_instance):
    instance_id = _built(ctx, driver, new_instance,
                         {'is_public': True,
                          'allowed_cidrs': ['10.0.0.0/8']})
    assert driver.specs[instance_id].access == compute_base.AccessSpec(
        True, ('10.0.0.0/8',), ())
    # Without a datastore version the instance has no service port; the
    # spec's access names the ones it has.
    assert driver.access[instance_id].is_public


def test_a_change_is_enforced_then_recorded(ctx, driver, guests, conductor,
                                            new_instance):
    instance_id = _built(ctx, driver, new_instance)
    instances.start(ctx, instance_id, 'update_access', 'api')
    assert states.task(instances.get(ctx, instance_id).task_id) is \
        states.UPDATING
    wanted = {'is_public': True, 'allowed_cidrs': ['192.0.2.7']}
    assert update_access.run(ctx, driver, instance_id, wanted)
    row = instances.get(ctx, instance_id)
    assert states.task(row.task_id) is states.NONE
    assert row.lock_holder is None
    # Stored as the request gave it (the view shows it); enforced as it
    # means.
    assert json.loads(row.access) == wanted
    assert driver.access[instance_id] == compute_base.AccessSpec(
        True, ('192.0.2.7/32',), ())


def test_a_failed_change_keeps_the_old_access_and_may_be_retried(
        ctx, driver, guests, conductor, new_instance):
    old = {'is_public': False}
    instance_id = _built(ctx, driver, new_instance, old)
    before = driver.access[instance_id]
    instances.start(ctx, instance_id, 'update_access', 'api')
    driver.fail_access = compute_base.ComputeError(reason='no rules today')
    assert not update_access.run(ctx, driver, instance_id,
                                 {'is_public': True})
    row = instances.get(ctx, instance_id)
    assert states.task(row.task_id) is states.UPDATING_ERROR_ACCESS
    assert instances.get_fault(ctx, instance_id).message == \
        update_access.FAULT
    assert json.loads(row.access) == old
    assert driver.access[instance_id] == before
    # The error task allows another try, which works.
    driver.fail_access = None
    instances.start(ctx, instance_id, 'update_access', 'api-2')
    assert update_access.run(ctx, driver, instance_id, {'is_public': True})
    assert json.loads(instances.get(ctx, instance_id).access) == {
        'is_public': True}
    assert driver.access[instance_id].is_public


def test_a_change_taken_over_by_a_delete_records_nothing(
        ctx, driver, guests, conductor, new_instance):
    instance_id = _built(ctx, driver, new_instance)
    instances.start(ctx, instance_id, 'update_access', 'api')
    before = driver.access[instance_id]
    instances.start(ctx, instance_id, 'delete', 'deleter')
    assert not update_access.run(ctx, driver, instance_id,
                                 {'is_public': True}, holder='api')
    row = instances.get(ctx, instance_id)
    assert states.task(row.task_id) is states.DELETING
    assert row.access is None
    assert driver.access[instance_id] == before


def test_only_an_updating_instance_changes(ctx, driver, guests, conductor,
                                           new_instance):
    instance_id = _built(ctx, driver, new_instance)
    assert not update_access.run(ctx, driver, instance_id,
                                 {'is_public': True})
    assert instances.get(ctx, instance_id).access is None
