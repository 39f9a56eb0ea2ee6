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
