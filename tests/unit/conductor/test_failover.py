"""Automatic failover: which sources the conductor ejects, and fencing."""

import datetime
from unittest import mock

import pytest

from tests.unit import db_utils
from tests.unit.rpc_fixtures import conf_overrides  # noqa: F401
from tests.unit.rpc_fixtures import memory_bus  # noqa: F401
from trove_lite.common import states
from trove_lite.conductor import failover
from trove_lite.db import models
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import workflows as workflow_repo


def _silence(ctx, instance_id, seconds):
    db_utils.update_rows(
        ctx, models.AgentHeartbeat, {'instance_id': instance_id},
        updated_at=models.utcnow() - datetime.timedelta(seconds=seconds))


@pytest.fixture
def group(ctx):
    """A source (failover on) and two healthy replicas."""
    source = db_utils.add_active_instance(ctx)
    replicas = [db_utils.add_active_instance(ctx) for _ in range(2)]
    for replica in replicas:
        instances.update(ctx, replica.id, slave_of_id=source.id)
    instances.update(ctx, source.id, failover=True)
    return source.id, sorted(replica.id for replica in replicas)


@pytest.fixture
def taskmanager():
    with mock.patch('trove_lite.taskmanager.rpcapi.TaskManagerAPI') as api:
        yield api.return_value


def test_a_silent_source_that_wants_failover_is_found(ctx, group):
    source, replicas = group
    assert failover.lost_sources(ctx) == []
    _silence(ctx, source, 60)
    [(row, silent, members)] = failover.lost_sources(ctx)
    assert row.id == source and silent >= 60
    assert sorted(members) == sorted([source] + replicas)


def test_no_failover_unless_asked(ctx, group, override):
    source, _ = group
    _silence(ctx, source, 60)
    instances.update(ctx, source, failover=None)
    assert failover.lost_sources(ctx) == []
    override('failover_default', True, group='replication')
    assert len(failover.lost_sources(ctx)) == 1
    instances.update(ctx, source, failover=False)
    assert failover.lost_sources(ctx) == []


def test_no_failover_without_a_healthy_replica(ctx, group):
    source, replicas = group
    _silence(ctx, source, 60)
    for replica in replicas:
        _silence(ctx, replica, 60)
    assert failover.lost_sources(ctx) == []


def test_no_failover_of_a_busy_source(ctx, group):
    source, _ = group
    _silence(ctx, source, 60)
    instances.start(ctx, source, 'restart', 'someone')
    assert failover.lost_sources(ctx) == []


def test_start_failover_locks_the_group_and_records_an_eject(
        ctx, group, taskmanager):
    source, replicas = group
    _silence(ctx, source, 60)
    [(row, silent, members)] = failover.lost_sources(ctx)
    workflow_id = failover.start_failover(ctx, row, silent, members)
    assert workflow_id
    holders = {instances.get(ctx, member).lock_holder for member in members}
    assert len(holders) == 1 and None not in holders
    for member in members:
        assert states.task(instances.get(ctx, member).task_id) is \
            states.EJECTING
    record = workflow_repo.get(ctx, workflow_id)
    assert record.operation == 'eject'
    taskmanager.eject_replica_source.assert_called_once_with(
        ctx, source, workflow_id=workflow_id)
    # A second conductor finds the group busy and changes nothing.
    assert failover.lost_sources(ctx) == []
    assert failover.start_failover(ctx, row, silent, members) is None


def test_a_returning_source_is_fenced_once(ctx, group):
    source, replicas = group
    # The topology moved on while the old source was away.
    instances.update(ctx, source, slave_of_id=replicas[0])
    instances.update(ctx, replicas[0], slave_of_id=None)
    with mock.patch.object(failover, '_fence') as fence, \
            mock.patch.object(failover.threading, 'Thread') as thread:
        thread.return_value.start.side_effect = lambda: None
        assert failover.fence_returning_source(ctx, source,
                                               {'role': 'source'})
        # Already being fenced: not twice at once.
        assert not failover.fence_returning_source(ctx, source,
                                                   {'role': 'source'})
        assert not failover.fence_returning_source(ctx, replicas[1],
                                                   {'role': 'replica'})
        assert not failover.fence_returning_source(ctx, replicas[0],
                                                   {'role': 'source'})
    assert fence.call_count == 0
    args = thread.call_args.kwargs['args']
    assert args[1:] == (source, replicas[0])
    failover._fencing.discard(source)


def test_a_source_whose_agent_answers_is_late_not_lost(ctx, group,
                                                       taskmanager):
    source, _ = group
    _silence(ctx, source, 60)
    service = failover.FailoverService()
    with mock.patch.object(failover, 'answers', return_value=True):
        service.run_once()
    assert states.task(instances.get(ctx, source).task_id) is states.NONE
    taskmanager.eject_replica_source.assert_not_called()
    with mock.patch.object(failover, 'answers', return_value=False):
        service.run_once()
    assert states.task(instances.get(ctx, source).task_id) is \
        states.EJECTING
    taskmanager.eject_replica_source.assert_called_once()


def test_an_agent_that_does_not_answer_a_ping_is_lost(ctx, group,
                                                      override):
    # Nothing listens on the bus for this instance's agent.
    source, _ = group
    override('failover_ping_timeout', 0.2, group='replication')
    assert not failover.answers(ctx, instances.get(ctx, source))
