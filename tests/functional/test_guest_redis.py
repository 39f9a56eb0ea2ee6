"""A real Redis instance driven through its guest agent.

The agent runs in-process (as in ``trove-lite-all``) on the in-memory bus,
reads its identity from a ``guest_info.conf`` in a fresh instance
directory, and is driven through ``GuestAgentAPI`` exactly as the
taskmanager drives it. A fake conductor on the same bus collects the
heartbeats and faults. The server is this machine's ``redis-server``,
bound to a loopback address of its own (never 127.0.0.1:6379, where the
machine's shared Redis listens), and the tenant's side is checked with
the real ``redis-cli``.

A missing ``redis-server`` or ``redis-cli`` is a failure, not a skip:
these tests exist to prove the agent runs the real server.
"""

import os
import subprocess
import time

import pytest

from tests.functional import guests
from tests.functional.guests import bus  # noqa: F401
from tests.functional.guests import conductor  # noqa: F401
from tests.functional.guests import guest  # noqa: F401
from trove_lite.common import exception
from trove_lite.guestagent.datastores.redis import manager as redis_manager

PORT = 6379
FAULT_DEADLINE = 60
GUEST = {'datastore_manager': 'redis', 'datastore_version': '7.0'}
REPORT_INTERVAL = 1


REDIS = 'redis-server .*%s'


def _pids_of(instance_dir):
    """Pids of the servers whose command line names ``instance_dir``."""
    return guests.pids_of(REDIS, instance_dir)


def _cli(address, *args):
    """``redis-cli -h <address> -p 6379 <args>``: its output, stripped
    (errors included: redis-cli prints some on stderr).
    """
    result = subprocess.run(
        ['redis-cli', '--no-auth-warning', '-h', address, '-p', str(PORT)]
        + list(args), capture_output=True, text=True, timeout=30,
        stdin=subprocess.DEVNULL)
    return (result.stdout + result.stderr).strip()


@pytest.fixture
def instance_dir():
    guests.require('redis-server', 'redis-server', 'redis-cli')
    with guests.instance_dir(REDIS) as path:
        yield path


def _server_pid(agent):
    with open(agent.datastore.paths.pid_file) as handle:
        return int(handle.read())


def test_prepare_root_restart_adopt_stop(guest, conductor, instance_dir):  # noqa: F811
    agent, api = guest()
    address = agent.info.bind_host
    assert agent.info.port == PORT
    start = time.monotonic()
    api.prepare(256, [], [], root_password='first-pw', volume_size=1)
    guests.wait_status(conductor, 'healthy')
    print('redis create -> healthy: %.1fs' % (time.monotonic() - start))
    assert not conductor.faults

    # The tenant's side, with the real redis-cli.
    assert _cli(address, '-a', 'first-pw', 'ping') == 'PONG'
    assert 'NOAUTH' in _cli(address, 'ping')
    assert 'WRONGPASS' in _cli(address, '-a', 'wrong', 'ping')
    assert _cli(address, '--user', 'default', '--pass', 'first-pw',
                'ping') == 'PONG'
    assert _cli(address, '-a', 'first-pw', 'set', 'k', 'v') == 'OK'
    # ... which cannot take the server away from its agent.
    assert 'NOPERM' in _cli(address, '-a', 'first-pw', 'config', 'set',
                            'dir', '/tmp')
    assert 'NOPERM' in _cli(address, '-a', 'first-pw', 'acl', 'setuser',
                            'os_admin', 'off')
    assert 'NOPERM' in _cli(address, '-a', 'first-pw', 'shutdown')
    assert _cli(address, '-a', 'first-pw', 'config', 'get',
                'maxmemory') == 'maxmemory\n201326592'
    assert api.is_root_enabled() is True

    stats = api.get_filesystem_stats()
    assert stats['total'] == 1.0 and 0 < stats['used'] < 1.0

    # Redis has no databases or users.
    with pytest.raises(exception.DatastoreOperationNotSupported):
        api.list_databases()
    with pytest.raises(exception.DatastoreOperationNotSupported):
        api.create_users([{'name': 'app', 'password': 'x',
                           'databases': []}])

    # A new root password replaces the old one at once...
    assert api.enable_root('second-pw') == {'name': 'default',
                                            'password': 'second-pw'}
    assert 'WRONGPASS' in _cli(address, '-a', 'first-pw', 'ping')
    assert _cli(address, '-a', 'second-pw', 'ping') == 'PONG'

    # ... and both it and the data survive a restart (appendonly).
    first_pid = _server_pid(agent)
    start = time.monotonic()
    api.restart()
    print('restart: %.1fs' % (time.monotonic() - start))
    assert _server_pid(agent) != first_pid
    assert _cli(address, '-a', 'second-pw', 'get', 'k') == 'v'
    assert 'WRONGPASS' in _cli(address, '-a', 'first-pw', 'ping')

    # The server outlives its agent; the next agent adopts it.
    server_pid = _server_pid(agent)
    agent.stop()
    agent.wait()
    assert _cli(address, '-a', 'second-pw', 'ping') == 'PONG'
    seen = len(conductor.heartbeats)
    second, api = guest()
    assert second.datastore.adopt() == server_pid
    guests.wait_status(conductor, 'healthy', after=seen, deadline=30)
    assert _pids_of(instance_dir) == [server_pid]

    # Disabling root leaves a password nobody knows.
    api.disable_root()
    assert 'WRONGPASS' in _cli(address, '-a', 'second-pw', 'ping')
    assert 'NOAUTH' in _cli(address, 'ping')
    assert api.is_root_enabled() is False

    api.stop_db()
    assert not os.path.exists(second.datastore.paths.pid_file)
    assert _pids_of(instance_dir) == []
    seen = len(conductor.heartbeats)
    guests.wait_status(conductor, 'shutdown', after=seen - 1, deadline=30)


def test_prepare_on_a_busy_port_reports_failure(guest, conductor,  # noqa
                                                instance_dir):
    _, fault = guests.prepare_on_a_busy_port(
        guest, conductor, PORT, FAULT_DEADLINE, memory_mb=64,
        root_password='pw', volume_size=1)
    assert 'redis-server exited' in fault['details']
    # The log tail tells an admin why.
    assert 'address already in use' in fault['details'].lower()
    assert _pids_of(instance_dir) == []


def test_prepare_refuses_databases(guest, conductor, instance_dir):  # noqa: F811
    agent, api = guest()
    api.prepare(64, [{'name': 'app'}], [], root_password='pw',
                volume_size=1)
    assert conductor.wait_for(lambda c: c.faults, FAULT_DEADLINE), \
        conductor.statuses()
    assert 'Redis has no databases or users' in conductor.faults[0][
        'details']
    assert _pids_of(instance_dir) == []
    assert isinstance(agent.datastore, redis_manager.Manager)
