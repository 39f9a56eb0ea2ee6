"""The transition table and its deadlines."""

import datetime

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
