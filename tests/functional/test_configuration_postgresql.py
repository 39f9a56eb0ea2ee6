"""Configuration groups on a real PostgreSQL, through its manager.

One server for the module, prepared through the postgresql manager with
overrides (as a create with a configuration group does), then driven
with ``apply_configuration`` as the agent is: a dynamic parameter is
live at once (``SHOW`` in a new session) and goes back to the layers'
value when dropped; a parameter that needs a restart is reported pending
and is live after ``restart`` (and after a crash and the start that
follows it); a value the server refuses changes nothing. The tests run
in file order.
"""

import os
import signal

import pytest

from tests.functional import guests
from tests.functional import strategy_runs
from trove_lite.common import exception
from trove_lite.guestagent.datastores.postgresql import admin
from trove_lite.guestagent.datastores.postgresql import config
from trove_lite.guestagent.datastores.postgresql import manager as pg_manager

POSTGRES = 'postgres --config_file=%s/'
PORT = 5432
MEMORY_MB = 256


def _show(manager, name):
    """``SHOW name`` in a new session (what a new client gets)."""
    with admin.connect(manager.paths.rundir, PORT) as conn:
        return conn.execute('SHOW %s' % name).fetchone()[0]


@pytest.fixture(scope='module')
def manager():
    guests.require('postgresql', [pg_manager.find_binary('postgres') or
                                  'postgres'])
    dirs = strategy_runs.instance_dirs('tl-pgc-', POSTGRES, count=1,
                                       kill=os.killpg)
    path, = next(dirs)
    manager = strategy_runs.manager(pg_manager.Manager, path, 'postgresql',
                                    '15', PORT)
    try:
        manager.prepare(MEMORY_MB, [], [], volume_size=1,
                        overrides={'statement_timeout': 5000})
        yield manager
    finally:
        manager.stop_db()
        dirs.close()


def test_prepare_starts_with_the_overrides(manager):
    assert _show(manager, 'statement_timeout') == '5s'
    assert manager.config_overrides() == {'statement_timeout': 5000}


def test_defaults_follow_the_flavor(manager):
    small = manager.configuration_defaults(256)
    large = manager.configuration_defaults(4096)
    assert small['shared_buffers'] == '64MB'
    assert large['shared_buffers'] == '1024MB'
    assert small['max_connections'] == 32
    # Plain values, and none of the instance's own places.
    assert small['timezone'] == 'UTC'
    assert not set(small) & config.FIXED_PARAMETERS
    # What the server runs with.
    assert _show(manager, 'shared_buffers') == small['shared_buffers']


def test_a_dynamic_parameter_is_live_then_dropped(manager):
    assert manager.configuration_defaults(MEMORY_MB)['work_mem'] == '2048kB'
    assert _show(manager, 'work_mem') == '2MB'
    result = manager.apply_configuration(
        {'statement_timeout': 5000, 'work_mem': 8192,
         'timezone': 'Europe/Paris', 'autovacuum': False}, MEMORY_MB)
    assert result == {'pending_restart': []}
    assert _show(manager, 'work_mem') == '8MB'
    assert _show(manager, 'timezone') == 'Europe/Paris'
    assert _show(manager, 'autovacuum') == 'off'
    # Dropped: back to the flavor's value, and to PostgreSQL's own
    # default for what no layer sets.
    assert manager.apply_configuration({}, MEMORY_MB) == {
        'pending_restart': []}
    assert _show(manager, 'work_mem') == '2MB'
    assert _show(manager, 'statement_timeout') == '0'
    assert _show(manager, 'timezone') == 'UTC'
    assert _show(manager, 'autovacuum') == 'on'
    assert manager.config_overrides() == {}


def test_a_refused_value_changes_nothing(manager):
    manager.apply_configuration({'work_mem': 4096}, MEMORY_MB)
    with open(manager.paths.conf) as handle:
        before = handle.read()
    for overrides, reason in (
            ({'work_mem': 'lots'},
             'invalid value for parameter "work_mem": "lots"'),
            ({'shared_buffers': -5}, 'outside the valid range'),
            ({'work_mem': 8192, 'no_such_parameter': 1},
             'unrecognized configuration parameter "no_such_parameter"')):
        with pytest.raises(exception.GuestError) as caught:
            manager.apply_configuration(overrides, MEMORY_MB)
        assert 'refused' in str(caught.value)
        assert reason in str(caught.value)
    with open(manager.paths.conf) as handle:
        assert handle.read() == before
    assert manager.config_overrides() == {'work_mem': 4096}
    assert _show(manager, 'work_mem') == '4MB'
    # What the agent keeps for itself is refused before the server is
    # asked.
    with pytest.raises(exception.BadValue):
        manager.apply_configuration({'port': 5433}, MEMORY_MB)
    with pytest.raises(exception.BadValue):
        manager.apply_configuration({'archive_command': 'rm -rf /'},
                                    MEMORY_MB)


def test_a_restart_parameter_is_pending_until_the_restart(manager):
    assert _show(manager, 'max_connections') == '32'
    result = manager.apply_configuration(
        {'work_mem': 4096, 'max_connections': 40}, MEMORY_MB)
    assert result == {'pending_restart': ['max_connections']}
    assert _show(manager, 'max_connections') == '32'
    manager.restart()
    assert _show(manager, 'max_connections') == '40'
    assert _show(manager, 'work_mem') == '4MB'
    # A crash, and the start that follows it, keep them too.
    pid = manager._live_pid()
    os.killpg(pid, signal.SIGKILL)
    assert manager._wait_gone(pid, 30)
    manager.start_db()
    assert _show(manager, 'max_connections') == '40'
    # Back to the flavor's value: pending again, live after a restart.
    assert manager.apply_configuration({}, MEMORY_MB) == {
        'pending_restart': ['max_connections']}
    manager.restart()
    assert _show(manager, 'max_connections') == '32'
    assert _show(manager, 'work_mem') == '2MB'
