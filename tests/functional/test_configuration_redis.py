"""Configuration groups on a real Redis, through its manager.

One server for the module, prepared through the redis manager and driven
with ``apply_configuration`` as the agent is: directives change live
(``CONFIG GET`` as the agent sees them) and go back, when dropped, to
the layers' value or to the server's own; a directive Redis reads only
when it starts is pending until a restart (and survives a crash); a
value the server refuses changes nothing. The tests run in file order.
"""

import os
import signal

import pytest

from tests.functional import guests
from tests.functional import strategy_runs
from trove_lite.common import exception
from trove_lite.guestagent.datastores.redis import admin
from trove_lite.guestagent.datastores.redis import manager as redis_manager

REDIS = 'redis-server .*%s'
PORT = 6379
MEMORY_MB = 256


def _get(manager, name):
    with manager._admin() as conn:
        return admin.config_get(conn, name)


@pytest.fixture(scope='module')
def manager():
    guests.require('redis-server', 'redis-server')
    dirs = strategy_runs.instance_dirs('tl-rdc-', REDIS, count=1)
    path, = next(dirs)
    manager = strategy_runs.manager(redis_manager.Manager, path, 'redis',
                                    '7', PORT)
    try:
        manager.prepare(MEMORY_MB, [], [], volume_size=1,
                        overrides={'timeout': 300})
        yield manager
    finally:
        manager.stop_db()
        dirs.close()


def test_prepare_starts_with_the_overrides(manager):
    assert _get(manager, 'timeout') == '300'


def test_defaults_follow_the_flavor(manager):
    small = manager.configuration_defaults(256)
    assert small['maxmemory'] == '192mb'
    assert manager.configuration_defaults(4096)['maxmemory'] == '3072mb'
    assert small['maxmemory-policy'] == 'noeviction'
    assert not {'dir', 'port', 'bind', 'aclfile'} & set(small)
    assert _get(manager, 'maxmemory') == str(192 * 1024 * 1024)


def test_directives_are_live_then_dropped(manager):
    assert _get(manager, 'maxmemory-policy') == 'noeviction'
    assert _get(manager, 'hz') == '10'
    result = manager.apply_configuration(
        {'timeout': 300, 'maxmemory-policy': 'allkeys-lru', 'hz': 50,
         'lazyfree-lazy-eviction': True, 'save': '900 1 300 10'},
        MEMORY_MB)
    assert result == {'pending_restart': []}
    assert _get(manager, 'maxmemory-policy') == 'allkeys-lru'
    assert _get(manager, 'hz') == '50'
    assert _get(manager, 'lazyfree-lazy-eviction') == 'yes'
    assert _get(manager, 'save') == '900 1 300 10'
    # Dropped: back to the defaults layer's value, and to the server's
    # own for what no layer sets (recorded before the first override).
    assert manager.apply_configuration({'timeout': 300}, MEMORY_MB) == {
        'pending_restart': []}
    assert _get(manager, 'maxmemory-policy') == 'noeviction'
    assert _get(manager, 'hz') == '10'
    assert _get(manager, 'lazyfree-lazy-eviction') == 'no'
    assert _get(manager, 'save') == '3600 1 300 100 60 10000'
    # Overridden since prepare, so never seen without it: the server's
    # own value comes back with the next restart.
    assert manager.apply_configuration({}, MEMORY_MB) == {
        'pending_restart': ['timeout']}
    assert _get(manager, 'timeout') == '300'
    manager.restart()
    assert _get(manager, 'timeout') == '0'


def test_a_refused_value_changes_nothing(manager):
    manager.apply_configuration({'maxmemory-policy': 'allkeys-lru'},
                                MEMORY_MB)
    with open(manager.paths.conf) as handle:
        before = handle.read()
    for overrides in ({'maxmemory-policy': 'sometimes'},
                      {'hz': 50, 'appendonly': 'maybe'},
                      {'no-such-directive': 1}):
        with pytest.raises(exception.GuestError) as caught:
            manager.apply_configuration(overrides, MEMORY_MB)
        assert 'refused' in str(caught.value)
    with open(manager.paths.conf) as handle:
        assert handle.read() == before
    assert manager.config_overrides() == {'maxmemory-policy': 'allkeys-lru'}
    assert _get(manager, 'maxmemory-policy') == 'allkeys-lru'
    # hz was set before appendonly was refused, and set back.
    assert _get(manager, 'hz') == '10'
    # What the agent keeps for itself is refused before the server is
    # asked.
    for reserved in ({'dir': '/tmp'}, {'replicaof': 'no one'},
                     {'rename-command': 'CONFIG ""'}):
        with pytest.raises(exception.BadValue):
            manager.apply_configuration(reserved, MEMORY_MB)


def test_an_immutable_directive_is_pending_until_the_restart(manager):
    assert _get(manager, 'databases') == '16'
    result = manager.apply_configuration(
        {'maxmemory-policy': 'allkeys-lru', 'databases': 4}, MEMORY_MB)
    assert result == {'pending_restart': ['databases']}
    assert _get(manager, 'databases') == '16'
    manager.restart()
    assert _get(manager, 'databases') == '4'
    assert _get(manager, 'maxmemory-policy') == 'allkeys-lru'
    # A crash, and the start that follows it, keep them too.
    pid = manager._live_pid()
    os.kill(pid, signal.SIGKILL)
    assert manager._wait_gone(pid, 30)
    manager.start_db()
    assert _get(manager, 'databases') == '4'
    assert _get(manager, 'maxmemory-policy') == 'allkeys-lru'
