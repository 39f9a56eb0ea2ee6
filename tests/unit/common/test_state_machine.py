"""The transition table and its deadlines."""

import datetime

from oslo_config import cfg
import pytest

from trove_lite.common import exception
from trove_lite.common import state_machine
from trove_lite.common import states


def test_every_transitional_task_expires_into_an_error():
    for task, (error, option) in state_machine.DEADLINES.items():
        assert error.is_error
        event = state_machine.expiry_event(task)
        assert state_machine.transition(event).target is error


def test_deadline_follows_the_option(override):
    now = datetime.datetime(2026, 1, 1)
    override('build_timeout', 42)
    assert state_machine.deadline_for(states.BUILDING, now) == \
        now + datetime.timedelta(seconds=42)
    assert state_machine.deadline_for(states.NONE, now) is None


def test_delete_and_reset_work_from_every_task():
    for task in states.TASKS.values():
        state_machine.check('delete', task)
        state_machine.check('reset', task)


def test_restart_needs_an_idle_instance():
    state_machine.check('restart', states.NONE)
    with pytest.raises(exception.InstanceNotAvailable) as err:
        state_machine.check('restart', states.BUILDING)
    assert err.value.code == 422
    assert 'BUILDING' in str(err.value)


@pytest.mark.parametrize('machine', [
    state_machine.INSTANCE, state_machine.BACKUP, state_machine.CLUSTER])
def test_every_kind_s_transitional_tasks_expire_into_errors(machine):
    for task, deadline in machine.deadlines.items():
        assert deadline.error.is_error
        assert machine.transition(machine.expiry_event(task)).target is \
            deadline.error
        assert '%d' in deadline.message
        assert isinstance(getattr(cfg.CONF, deadline.option),
                          int)
    # Every task that is neither resting nor an error has a deadline.
    resting = {machine.default} | {t for t in machine.tasks if t.is_error}
    resting |= {t for t in machine.tasks
                if t.name in ('NONE', 'COMPLETED', 'RESTORED')}
    assert set(machine.tasks) - resting == set(machine.deadlines)


def test_backup_states_are_upstream_s_names():
    assert {t.code for t in state_machine.BACKUP.tasks} >= {
        'NEW', 'BUILDING', 'SAVING', 'COMPLETED', 'FAILED', 'RESTORED',
        'DELETE_FAILED'}
    with pytest.raises(exception.ResourceNotAvailable) as err:
        state_machine.BACKUP.check('delete', states.BACKUP_DELETING)
    assert err.value.code == 422 and 'DELETING' in str(err.value)
    # A running backup may be deleted: a take-over.
    state_machine.BACKUP.check('delete', states.BACKUP_SAVING)
    assert 'delete' in state_machine.BACKUP.takeovers


def test_cluster_tasks_keep_upstream_s_codes():
    assert [(t.code, t.name) for t in state_machine.CLUSTER.tasks][:9] == [
        (1, 'NONE'), (2, 'BUILDING'), (3, 'DELETING'), (4, 'ADDING_SHARD'),
        (5, 'GROWING_CLUSTER'), (6, 'SHRINKING_CLUSTER'),
        (7, 'UPGRADING_CLUSTER'), (8, 'RESTARTING_CLUSTER'),
        (9, 'UPDATING_CLUSTER')]
    assert state_machine.CLUSTER.transition('grow').target is \
        states.CLUSTER_GROWING
    assert state_machine.CLUSTER.task(0x65).name == 'GROWING_CLUSTER_ERROR'


def test_a_declaration_that_contradicts_itself_is_refused():
    idle = states.Task(1, 'IDLE', 'IDLE', 'Idle.', False)
    busy = states.Task(2, 'BUSY', 'BUSY', 'Busy.', False)
    with pytest.raises(ValueError):
        state_machine.Machine(
            'thing', [idle, busy], {}, default=idle,
            deadlines={busy: state_machine.Deadline(idle, 'build_timeout',
                                                    '%d')})
    with pytest.raises(ValueError):
        state_machine.Machine(
            'thing', [idle], default=idle, deadlines={},
            transitions={'go': state_machine.Transition(
                frozenset([idle]), busy)})


REPLICATION_TASKS = [
    # (start event, its task, done, failed, the error task, API status)
    ('promote', states.PROMOTING, 'promote_done', 'promote_failed',
     states.PROMOTION_ERROR, 'PROMOTE'),
    ('eject', states.EJECTING, 'eject_done', 'eject_failed',
     states.EJECTION_ERROR, 'EJECT'),
    ('detach', states.DETACHING, 'detach_done', 'detach_failed',
     states.DETACHING_ERROR, 'DETACH'),
]


@pytest.mark.parametrize('start, task, done, failed, error, shown',
                         REPLICATION_TASKS)
def test_replication_changes_start_from_an_idle_instance(
        start, task, done, failed, error, shown):
    assert state_machine.transition(start).target is task
    for other in states.TASKS.values():
        if other is states.NONE:
            state_machine.check(start, other)
        else:
            with pytest.raises(exception.InstanceNotAvailable):
                state_machine.check(start, other)
    # A failed change is over: it is not retried from its error.
    assert error.is_error
    with pytest.raises(exception.InstanceNotAvailable):
        state_machine.check(start, error)


@pytest.mark.parametrize('start, task, done, failed, error, shown',
                         REPLICATION_TASKS)
def test_replication_changes_end_only_from_their_own_task(
        start, task, done, failed, error, shown):
    assert state_machine.transition(done).sources == frozenset([task])
    assert state_machine.transition(done).target is states.NONE
    assert state_machine.transition(failed).sources == frozenset([task])
    assert state_machine.transition(failed).target is error
    assert states.api_status(task.code, states.SERVER_ACTIVE) == shown
    assert states.api_status(error.code, states.SERVER_ACTIVE) == 'ERROR'


@pytest.mark.parametrize('task, error', [
    (states.PROMOTING, states.PROMOTION_ERROR),
    (states.EJECTING, states.EJECTION_ERROR),
    (states.DETACHING, states.DETACHING_ERROR)])
def test_replication_changes_have_a_deadline(override, task, error):
    now = datetime.datetime(2026, 1, 1)
    override('replication_change_timeout', 77)
    assert state_machine.deadline_for(task, now) == \
        now + datetime.timedelta(seconds=77)
    assert state_machine.transition(
        state_machine.expiry_event(task)).target is error


def test_replication_task_codes_are_upstream_s():
    # NOTE(compat): upstream's InstanceTasks codes, as stored in its
    # instances.task_id; upstream has no error task for a detach (0x64
    # is ours, beside the other 0x6x errors).
    assert [task.code for task in (
        states.PROMOTING, states.EJECTING, states.DETACHING,
        states.PROMOTION_ERROR, states.EJECTION_ERROR)] == [
        0x08, 0x09, 0x0b, 0x55, 0x56]
    assert len({task.code for task in states.TASKS.values()}) == len(
        states.TASKS)
