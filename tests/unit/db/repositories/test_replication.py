"""The replication topology: groups as rows, changed only by
compare-and-sets that keep one source per group and no replica of a
replica.
"""

import pytest

from tests.unit import db_utils
from trove_lite.common import exception
from trove_lite.common import states
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import replication as topology

HOLDER = 'api@h:1'


def _task(ctx, instance_id):
    return states.task(instances.get(ctx, instance_id).task_id)


def _sources(ctx, ids):
    """``{id: slave_of_id}`` of ``ids``."""
    return {instance_id: instances.get(ctx, instance_id).slave_of_id
            for instance_id in ids}


@pytest.fixture
def group(ctx):
    """``[source, replica, replica]`` ids: two ACTIVE replicas following
    one ACTIVE source.
    """
    source = db_utils.add_active_instance(ctx).id
    replicas = [db_utils.add_active_instance(ctx).id for _ in range(2)]
    for replica in replicas:
        instances.update(ctx, replica, slave_of_id=source)
    return [source] + sorted(replicas)


def test_a_group_is_its_source_first_then_its_replicas(ctx, group):
    source, *replicas = group
    assert [row.id for row in topology.group(ctx, source)] == group
    assert [row.id for row in topology.replicas_of(ctx, source)] == replicas
    assert topology.replica_ids(ctx, source) == replicas
    # A replica's own group is itself: nobody follows it.
    assert [row.id for row in topology.group(ctx, replicas[0])] == [
        replicas[0]]
    assert topology.replica_ids(ctx, replicas[0]) == []


def test_deleted_replicas_are_no_members(ctx, group):
    source, first, second = group
    instances.mark_deleted(ctx, first)
    assert [row.id for row in topology.group(ctx, source)] == [source,
                                                               second]
    assert topology.replica_ids(ctx, source) == [second]


def test_start_group_locks_every_member_with_one_holder(ctx, group):
    topology.start_group(ctx, group, 'promote', HOLDER)
    for member in group:
        row = instances.get(ctx, member)
        assert states.task(row.task_id) is states.PROMOTING
        assert row.lock_holder == HOLDER
        assert row.task_deadline is not None
    assert [row.id for row in topology.held_by(ctx, HOLDER)] == sorted(group)


@pytest.mark.parametrize('busy, error', [
    ('task', exception.InstanceNotAvailable),
    ('lock', exception.InstanceBusy),
])
def test_start_group_is_all_or_none(ctx, group, busy, error):
    source, first, second = group
    # The last member is busy: the first two must not stay locked.
    if busy == 'task':
        instances.start(ctx, second, 'restart', 'someone')
    else:
        instances.update(ctx, second, lock_holder='someone')
    with pytest.raises(error):
        topology.start_group(ctx, group, 'promote', HOLDER)
    for member in (source, first):
        row = instances.get(ctx, member)
        assert states.task(row.task_id) is states.NONE
        assert row.lock_holder is None
    assert instances.get(ctx, second).lock_holder == 'someone'
    assert topology.held_by(ctx, HOLDER) == []


def test_hand_over_all_passes_every_lock_of_the_holder(ctx, group):
    source, first, second = group
    topology.start_group(ctx, group, 'promote', HOLDER)
    instances.update(ctx, db_utils.add_active_instance(ctx).id,
                     lock_holder='someone else')
    assert topology.hand_over_all(ctx, first, HOLDER, 'tm:1')
    assert [row.id for row in topology.held_by(ctx, 'tm:1')] == sorted(
        group)
    assert topology.held_by(ctx, HOLDER) == []
    # Again, as a resumed run on the same host: it still holds them.
    assert topology.hand_over_all(ctx, first, 'tm:1', 'tm:1')
    # A holder that holds nothing any more hands over nothing.
    assert not topology.hand_over_all(ctx, first, HOLDER, 'tm:2')
    assert topology.held_by(ctx, 'tm:2') == []


def test_hand_over_all_answers_for_the_workflow_s_instance(ctx, group):
    source, first, second = group
    topology.start_group(ctx, group, 'promote', HOLDER)
    # A delete took the replica the workflow is about over.
    instances.start(ctx, first, 'delete', 'api@h:delete')
    assert not topology.hand_over_all(ctx, first, HOLDER, 'tm:1')
    assert instances.get(ctx, first).lock_holder == 'api@h:delete'


def test_held_by_skips_deleted_rows(ctx, group):
    topology.start_group(ctx, group, 'promote', HOLDER)
    instances.mark_deleted(ctx, group[2])
    assert [row.id for row in topology.held_by(ctx, HOLDER)] == sorted(
        group[:2])


# -- commit_new_source ----------------------------------------------------------

def test_commit_new_source_repoints_the_group_and_ends_each_task(ctx,
                                                                 group):
    source, first, second = group
    topology.start_group(ctx, group, 'promote', HOLDER)
    topology.commit_new_source(ctx, first, source, group, HOLDER,
                               'promote_done')
    assert _sources(ctx, group) == {first: None, source: first,
                                    second: first}
    for member in group:
        row = instances.get(ctx, member)
        assert states.task(row.task_id) is states.NONE
        assert row.lock_holder is None and row.task_deadline is None
    assert [row.id for row in topology.group(ctx, first)] == [
        first] + sorted([source, second])


def test_a_second_commit_fails_and_changes_nothing(ctx, group):
    """Two workers decided on the same group (a promote and a failover):
    the first to commit wins, the second's compare fails.
    """
    source, first, second = group
    topology.start_group(ctx, group, 'promote', HOLDER)
    topology.commit_new_source(ctx, first, source, group, HOLDER,
                               'promote_done')
    before = _sources(ctx, group)
    with pytest.raises(exception.TopologyChanged) as caught:
        topology.commit_new_source(ctx, second, source, group, HOLDER,
                                   'promote_done')
    assert caught.value.code == 409
    assert '%s follows another source' % second in str(caught.value)
    assert _sources(ctx, group) == before
    for member in group:
        assert _task(ctx, member) is states.NONE


def test_a_commit_after_the_locks_were_released_changes_nothing(ctx,
                                                                group):
    source, first, second = group
    topology.start_group(ctx, group, 'promote', HOLDER)
    topology.commit_new_source(ctx, first, source, group, HOLDER,
                               'promote_done')
    # The same change again (its new source is the source now): the
    # holder no longer holds anything, so nothing is changed.
    with pytest.raises(exception.TopologyChanged) as caught:
        topology.commit_new_source(ctx, first, source, group, HOLDER,
                                   'promote_done')
    assert 'taken over by another request' in str(caught.value)
    assert _sources(ctx, group) == {first: None, source: first,
                                    second: first}


def test_a_commit_whose_member_was_taken_over_changes_nothing(ctx, group):
    source, first, second = group
    topology.start_group(ctx, group, 'promote', HOLDER)
    instances.start(ctx, second, 'delete', 'api@h:delete')
    with pytest.raises(exception.TopologyChanged) as caught:
        topology.commit_new_source(ctx, first, source, group, HOLDER,
                                   'promote_done')
    assert '%s was taken over' % second in str(caught.value)
    assert _sources(ctx, group) == {source: None, first: source,
                                    second: source}
    # The members still held stay in their task, held: the flow's
    # revert ends them.
    assert _task(ctx, source) is states.PROMOTING
    assert instances.get(ctx, first).lock_holder == HOLDER


def test_a_commit_whose_new_source_is_gone_changes_nothing(ctx, group):
    source, first, second = group
    topology.start_group(ctx, group, 'promote', HOLDER)
    instances.mark_deleted(ctx, first)
    with pytest.raises(exception.TopologyChanged) as caught:
        topology.commit_new_source(ctx, first, source, group, HOLDER,
                                   'promote_done')
    assert 'the new source is gone' in str(caught.value)
    assert _sources(ctx, [source, second]) == {source: None,
                                               second: source}


def test_a_commit_that_would_leave_a_replica_of_a_replica_fails(ctx,
                                                                group):
    """A replica of the old source the change did not lock (it joined
    after the change began) would end up following a replica.
    """
    source, first, second = group
    topology.start_group(ctx, group, 'promote', HOLDER)
    late = db_utils.add_active_instance(ctx).id
    instances.update(ctx, late, slave_of_id=source)
    with pytest.raises(exception.TopologyChanged) as caught:
        topology.commit_new_source(ctx, first, source, group, HOLDER,
                                   'promote_done')
    assert 'a replica has replicas' in str(caught.value)
    # The transaction rolled back: the topology and the tasks are as
    # they were.
    assert _sources(ctx, group + [late]) == {
        source: None, first: source, second: source, late: source}
    for member in group:
        assert _task(ctx, member) is states.PROMOTING
        assert instances.get(ctx, member).lock_holder == HOLDER


def test_eject_commit_makes_the_dead_source_a_replica(ctx, group):
    source, first, second = group
    topology.start_group(ctx, group, 'eject', HOLDER)
    topology.commit_new_source(ctx, second, source, group, HOLDER,
                               'eject_done')
    assert _sources(ctx, group) == {second: None, source: second,
                                    first: second}
    assert all(_task(ctx, member) is states.NONE for member in group)


# -- commit_detach and fail_members ---------------------------------------------

def test_commit_detach_makes_a_standalone_instance(ctx, group):
    source, first, second = group
    instances.start(ctx, first, 'detach', HOLDER)
    assert topology.commit_detach(ctx, first, HOLDER, 'detach_done')
    row = instances.get(ctx, first)
    assert row.slave_of_id is None and row.lock_holder is None
    assert states.task(row.task_id) is states.NONE
    assert topology.replica_ids(ctx, source) == [second]


def test_commit_detach_of_a_replica_taken_over_changes_nothing(ctx,
                                                               group):
    source, first, second = group
    instances.start(ctx, first, 'detach', HOLDER)
    instances.start(ctx, first, 'delete', 'api@h:delete')
    assert not topology.commit_detach(ctx, first, HOLDER, 'detach_done')
    assert instances.get(ctx, first).slave_of_id == source
    assert not topology.commit_detach(ctx, 'no-such-instance', HOLDER,
                                      'detach_done')


def test_fail_members_ends_those_still_held_with_a_fault(ctx, group):
    source, first, second = group
    topology.start_group(ctx, group, 'promote', HOLDER)
    instances.start(ctx, second, 'delete', 'api@h:delete')
    topology.fail_members(ctx, group, 'promote_failed', HOLDER,
                          'The replica could not be promoted.', 'why')
    for member in (source, first):
        row = instances.get(ctx, member)
        assert states.task(row.task_id) is states.PROMOTION_ERROR
        assert row.lock_holder is None
        fault = instances.get_fault(ctx, member)
        assert (fault.message, fault.details) == (
            'The replica could not be promoted.', 'why')
    # The one a delete took over is the delete's.
    assert _task(ctx, second) is states.DELETING
    assert instances.get_fault(ctx, second) is None
    assert _sources(ctx, group) == {source: None, first: source,
                                    second: source}
