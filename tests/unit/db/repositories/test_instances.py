"""Instance rows: test-and-set task changes, locks, deadlines, heartbeats."""

import datetime

import pytest

from trove_lite.common import exception
from trove_lite.common import states
from trove_lite.db import models
from trove_lite.db.repositories import flavors
from trove_lite.db.repositories import instances


@pytest.fixture
def instance(ctx):
    return instances.create(ctx, {
        'name': 'db1', 'tenant_id': 'p1', 'flavor_id': '1',
        'volume_size': 2})


def test_create_starts_building_with_a_deadline(ctx, instance):
    row = instances.get(ctx, instance.id)
    assert row.task_id == states.BUILDING.code
    assert row.task_deadline > row.task_start_time
    status, _ = instances.get_service_status(ctx, instance.id)
    assert status is states.SVC_NEW


def test_get_hides_other_projects(ctx, instance):
    with pytest.raises(exception.InstanceNotFound):
        instances.get(ctx, instance.id, project_id='p2')


def test_start_is_a_test_and_set(ctx, instance):
    assert instances.finish(ctx, instance.id, 'build_done', None)
    instances.start(ctx, instance.id, 'restart', 'worker-1')
    with pytest.raises(exception.InstanceNotAvailable):
        instances.start(ctx, instance.id, 'restart', 'worker-2')
    assert instances.holds_lock(ctx, instance.id, 'worker-1')
    assert not instances.finish(ctx, instance.id, 'restart_done',
                                'worker-2')
    assert instances.finish(ctx, instance.id, 'restart_done',
                            'worker-1')
    assert not instances.holds_lock(ctx, instance.id, 'worker-1')


def test_a_held_lock_makes_the_instance_busy(ctx, instance):
    instances.finish(ctx, instance.id, 'build_done', None)
    instances.update(ctx, instance.id, lock_holder='someone')
    with pytest.raises(exception.InstanceBusy):
        instances.start(ctx, instance.id, 'restart', 'me')


def test_delete_takes_the_lock_over(ctx, instance):
    instances.update(ctx, instance.id, lock_holder='creator')
    instances.start(ctx, instance.id, 'delete', 'deleter')
    assert not instances.holds_lock(ctx, instance.id, 'creator')
    assert not instances.finish(ctx, instance.id, 'build_done',
                                'creator')


def test_expire_ends_in_error_with_a_fault(ctx, instance):
    past = models.utcnow() - datetime.timedelta(seconds=1)
    instances.update(ctx, instance.id, task_deadline=past,
                     lock_holder='dead-worker')
    [expired] = instances.expired(ctx)
    assert expired.id == instance.id
    assert instances.expire(ctx, instance.id,
                            states.BUILDING.code, 'Build timed out.', 'x')
    row = instances.get(ctx, instance.id)
    assert row.task_id == states.BUILDING_ERROR_TIMEOUT_GA.code
    assert row.lock_holder is None and row.task_deadline is None
    assert instances.get_fault(ctx, instance.id).message == \
        'Build timed out.'
    assert not instances.expire(ctx, instance.id,
                                states.BUILDING.code, 'again', 'x')


def test_stale_heartbeats_are_dropped(ctx, instance):
    assert instances.record_heartbeat(ctx, instance.id, 10.0,
                                      states.SVC_HEALTHY, '0.1',
                                      volume_used=0.2, volume_total=2.0)
    assert not instances.record_heartbeat(ctx, instance.id, 9.0,
                                          states.SVC_SHUTDOWN, '0.1')
    status, _ = instances.get_service_status(ctx, instance.id)
    assert status is states.SVC_HEALTHY
    beat = instances.get_heartbeat(ctx, instance.id)
    assert beat.volume_used == 0.2


def _beat(instance_id, sent, status=states.SVC_HEALTHY, volume=None):
    return instances.Heartbeat(instance_id, sent, status, '0.2',
                               *(volume or (None, None)), None)


def test_a_batch_of_heartbeats_is_stored_as_each_would_be_alone(ctx):
    def make(name):
        return instances.create(ctx, {'name': name, 'tenant_id': 'p1'}).id

    fresh, newer, stale, waiting, deleted = [make('db%d' % n)
                                             for n in range(5)]
    for instance_id in (newer, stale):
        instances.record_heartbeat(ctx, instance_id, 10.0,
                                   states.SVC_RUNNING, '0.1', 0.2, 2.0)
    instances.set_service_status(ctx, waiting, states.SVC_RESTART_REQUIRED)
    instances.mark_deleted(ctx, deleted)
    stored, gone = instances.record_heartbeats(ctx, [
        _beat(fresh, 1.0, volume=(0.1, 1.0)), _beat(newer, 11.0),
        _beat(stale, 9.0, states.SVC_SHUTDOWN), _beat(waiting, 1.0),
        _beat(deleted, 1.0), _beat('no-such-instance', 1.0)])
    assert stored == {fresh: states.SVC_NEW, newer: states.SVC_RUNNING,
                      waiting: states.SVC_RESTART_REQUIRED}
    assert gone == {deleted, 'no-such-instance'}
    status = {instance_id: instances.get_service_status(ctx, instance_id)[0]
              for instance_id in (fresh, newer, stale, waiting, deleted)}
    assert status == {fresh: states.SVC_HEALTHY, newer: states.SVC_HEALTHY,
                      stale: states.SVC_RUNNING,
                      waiting: states.SVC_RESTART_REQUIRED,
                      deleted: states.SVC_DELETED}
    beats = {instance_id: instances.get_heartbeat(ctx, instance_id)
             for instance_id in (fresh, newer, stale)}
    # A report without volume figures keeps the stored ones.
    assert [(beat.sent, beat.guest_agent_version, beat.volume_used)
            for beat in beats.values()] == [
        (1.0, '0.2', 0.1), (11.0, '0.2', 0.2), (10.0, '0.1', 0.2)]
    assert instances.get_heartbeat(ctx, waiting).sent == 1.0


def test_a_heartbeat_after_the_delete_is_dropped(ctx, instance):
    # The guest said SHUTDOWN while it was stopped; the delete finished
    # before the conductor stored it.
    instances.mark_deleted(ctx, instance.id)
    assert not instances.record_heartbeat(ctx, instance.id, 10.0,
                                          states.SVC_SHUTDOWN, '0.1')
    status, _ = instances.get_service_status(ctx, instance.id)
    assert status is states.SVC_DELETED


def test_usage_counts_live_instances(ctx, instance):
    flavors.create_flavor(ctx, '1', 'm1.tiny', 512, 1)
    assert instances.usage(ctx, 'p1') == {
        'instances': 1, 'ram': 512, 'volumes': 2}
    instances.mark_deleted(ctx, instance.id)
    assert instances.usage(ctx, 'p1') == {
        'instances': 0, 'ram': 0, 'volumes': 0}
    with pytest.raises(exception.InstanceNotFound):
        instances.get(ctx, instance.id)


def test_claim_takes_an_unheld_building_row(ctx, instance):
    assert instances.claim(ctx, instance.id, 'w1', states.BUILDING)
    assert instances.holds_lock(ctx, instance.id, 'w1')
    assert not instances.claim(ctx, instance.id, 'w2',
                               states.BUILDING)
    assert not instances.claim(ctx, 'nope', 'w2', states.BUILDING)


def test_claim_needs_the_task(ctx, instance):
    assert not instances.claim(ctx, instance.id, 'w1',
                               states.NONE)


def test_effective_status_expires_silent_agents(ctx, instance):
    now = models.utcnow()
    later = now + datetime.timedelta(seconds=61)
    instances.record_heartbeat(ctx, instance.id, 1.0,
                               states.SVC_HEALTHY, '1')
    beat = instances.get_heartbeat(ctx, instance.id)

    def effective(status, at):
        row = instances.get(ctx, instance.id)
        return instances.effective_service_status(row, status, beat, at, 60)

    # While building, the stored status stands.
    assert effective(states.SVC_HEALTHY, later) is states.SVC_HEALTHY
    instances.finish(ctx, instance.id, 'build_done', None)
    assert effective(states.SVC_HEALTHY, now) is states.SVC_HEALTHY
    assert effective(states.SVC_HEALTHY, later) is \
        states.SVC_FAILED_TIMEOUT_GUESTAGENT
    assert effective(states.SVC_RESTART_REQUIRED, later) is \
        states.SVC_RESTART_REQUIRED
