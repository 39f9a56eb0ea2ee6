"""The replication topology: groups, group locks and compare-and-sets."""

import pytest

from tests.unit import db_utils
from trove_lite.common import exception
from trove_lite.common import states
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import replication as topology


@pytest.fixture
def group(ctx):
    """``(source id, [replica ids])``: a source and two replicas."""
    source = db_utils.add_active_instance(ctx).id
    replicas = sorted(db_utils.add_active_instance(ctx).id
                      for _ in range(2))
    for replica in replicas:
        instances.update(ctx, replica, slave_of_id=source)
    return source, replicas


def _members(source, replicas):
    return [source] + replicas


def test_group_is_the_source_first_then_its_replicas(ctx, group):
    source, replicas = group
    assert [row.id for row in topology.group(ctx, source)] == \
        _members(source, replicas)
    assert topology.replica_ids(ctx, source) == replicas
    assert topology.replica_ids(ctx, replicas[0]) == []


def test_start_group_locks_all_or_none(ctx, group):
    source, replicas = group
    instances.start(ctx, replicas[1], 'restart', 'someone-else')
    with pytest.raises(exception.InstanceNotAvailable):
        topology.start_group(ctx, _members(source, replicas), 'promote',
                             'h1')
    # Nothing of the refused change stays.
    for member in (source, replicas[0]):
        row = instances.get(ctx, member)
        assert states.task(row.task_id) is states.NONE
        assert row.lock_holder is None


def test_hand_over_all_passes_every_lock_of_the_change(ctx, group):
    source, replicas = group
    members = _members(source, replicas)
    topology.start_group(ctx, members, 'promote', 'api-holder')
    assert topology.hand_over_all(ctx, replicas[0], 'api-holder', 'flow')
    assert [row.id for row in topology.held_by(ctx, 'flow')] == \
        sorted(members)
    # A resumed run hands over from the holder the record names now.
    assert topology.hand_over_all(ctx, replicas[0], 'flow', 'flow')
    assert not topology.hand_over_all(ctx, replicas[0], 'gone', 'other')


def test_commit_new_source_swaps_roles_and_ends_the_change(ctx, group):
    source, replicas = group
    members = _members(source, replicas)
    topology.start_group(ctx, members, 'promote', 'h')
    topology.commit_new_source(ctx, replicas[0], source, members, 'h',
                               'promote_done')
    assert instances.get(ctx, replicas[0]).slave_of_id is None
    for member in (source, replicas[1]):
        assert instances.get(ctx, member).slave_of_id == replicas[0]
    for member in members:
        row = instances.get(ctx, member)
        assert states.task(row.task_id) is states.NONE
        assert row.lock_holder is None


def test_a_second_commit_changes_nothing(ctx, group):
    # Two conductors decided on the same group; the first one committed.
    source, replicas = group
    members = _members(source, replicas)
    topology.start_group(ctx, members, 'eject', 'first')
    topology.commit_new_source(ctx, replicas[0], source, members, 'first',
                               'eject_done')
    before = {m: instances.get(ctx, m).slave_of_id for m in members}
    with pytest.raises(exception.TopologyChanged):
        topology.commit_new_source(ctx, replicas[1], source, members,
                                   'second', 'eject_done')
    assert {m: instances.get(ctx, m).slave_of_id for m in members} == before


def test_commit_refuses_when_a_member_was_taken_over(ctx, group):
    source, replicas = group
    members = _members(source, replicas)
    topology.start_group(ctx, members, 'promote', 'h')
    # A delete takes one member over meanwhile.
    instances.start(ctx, replicas[1], 'delete', 'deleter')
    with pytest.raises(exception.TopologyChanged):
        topology.commit_new_source(ctx, replicas[0], source, members, 'h',
                                   'promote_done')
    assert instances.get(ctx, replicas[0]).slave_of_id == source
    assert instances.get(ctx, source).slave_of_id is None


def test_commit_detach_and_fail_members(ctx, group):
    source, replicas = group
    instances.start(ctx, replicas[0], 'detach', 'h')
    assert not topology.commit_detach(ctx, replicas[0], 'other',
                                      'detach_done')
    assert topology.commit_detach(ctx, replicas[0], 'h', 'detach_done')
    row = instances.get(ctx, replicas[0])
    assert row.slave_of_id is None and row.lock_holder is None
    assert topology.replica_ids(ctx, source) == [replicas[1]]
    topology.start_group(ctx, [source, replicas[1]], 'promote', 'p')
    topology.fail_members(ctx, [source, replicas[1]], 'promote_failed', 'p',
                          'The replica could not be promoted.', 'details')
    for member in (source, replicas[1]):
        row = instances.get(ctx, member)
        assert states.task(row.task_id) is states.PROMOTION_ERROR
        assert instances.get_fault(ctx, member).message == \
            'The replica could not be promoted.'
