"""The API status of an instance, derived as upstream derives it."""

import pytest

from trove_lite.common import states


@pytest.mark.parametrize('task,server,expected', [
    (states.BUILDING, 'BUILD', 'BUILD'),
    (states.BUILDING, 'ERROR', 'ERROR'),
    (states.BUILDING_ERROR_TIMEOUT_GA, 'ACTIVE', 'ERROR'),
    (states.BUILDING_ERROR_GUEST, 'ACTIVE', 'ERROR'),
    (states.REBOOTING, 'ACTIVE', 'REBOOT'),
    (states.RESIZING, 'ACTIVE', 'RESIZE'),
    (states.DELETING, 'ACTIVE', 'SHUTDOWN'),
    (states.DELETING, None, 'SHUTDOWN'),
    (states.DELETING, 'BUILD', 'SHUTDOWN'),
    (states.DELETING, 'ERROR', 'ERROR'),
    (states.NONE, 'ACTIVE', 'ACTIVE'),
    (states.NONE, 'SHUTDOWN', 'SHUTDOWN'),
    (states.NONE, 'PAUSED', 'UNKNOWN'),
])
def test_api_status(task, server, expected):
    assert states.api_status(task.code, server) == expected


def test_a_running_backup_shows_backup_unless_a_task_says_more():
    assert states.api_status(states.NONE.code, 'ACTIVE', True) == 'BACKUP'
    assert states.api_status(states.NONE.code, 'ACTIVE', False) == 'ACTIVE'
    assert states.api_status(states.REBOOTING.code, 'ACTIVE',
                             True) == 'REBOOT'
    assert states.api_status(states.DELETING.code, 'ACTIVE',
                             True) == 'SHUTDOWN'
    assert states.api_status(states.REBOOTING_ERROR.code, 'ACTIVE',
                             True) == 'ERROR'


def test_a_server_the_guest_gave_up_on_shows_error_when_no_task_runs():
    failed = states.SVC_FAILED
    assert states.api_status(states.NONE.code, 'ACTIVE', False,
                             failed) == 'ERROR'
    # Over a backup too: none can run on a server that is down.
    assert states.api_status(states.NONE.code, 'ACTIVE', True,
                             failed) == 'ERROR'
    # A task says more (a restart that may bring it back), and so does a
    # server that is not running.
    assert states.api_status(states.REBOOTING.code, 'ACTIVE', False,
                             failed) == 'REBOOT'
    assert states.api_status(states.NONE.code, 'SHUTDOWN', False,
                             failed) == 'SHUTDOWN'
    for other in (states.SVC_HEALTHY, states.SVC_CRASHED,
                  states.SVC_SHUTDOWN, None):
        assert states.api_status(states.NONE.code, 'ACTIVE', False,
                                 other) == 'ACTIVE'


def test_a_configuration_waiting_for_a_restart_shows_restart_required():
    pending = states.SVC_RESTART_REQUIRED
    assert states.api_status(states.NONE.code, 'ACTIVE', False,
                             pending) == 'RESTART_REQUIRED'
    # The restart itself shows as the restart.
    assert states.api_status(states.REBOOTING.code, 'ACTIVE', False,
                             pending) == 'REBOOT'


def test_operating_status_only_when_idle_and_running():
    assert states.operating_status(states.NONE.code, 'ACTIVE',
                                   states.SVC_HEALTHY) == 'HEALTHY'
    assert states.operating_status(states.BUILDING.code, 'ACTIVE',
                                   states.SVC_HEALTHY) == ''
    assert states.operating_status(states.NONE.code, 'BUILD',
                                   states.SVC_HEALTHY) == ''
    assert states.operating_status(
        states.NONE.code, 'ACTIVE',
        states.SVC_FAILED_TIMEOUT_GUESTAGENT) == 'ERROR'


def test_unknown_codes_are_safe():
    assert states.task(999) is states.NONE
    assert states.service_status(999) is states.SVC_UNKNOWN


def test_error_tasks_are_the_ones_named_error():
    for task in states.TASKS.values():
        assert task.is_error == ('ERROR' in task.name), task.name
