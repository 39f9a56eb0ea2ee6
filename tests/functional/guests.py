"""Guest agents on the in-memory bus, driving this machine's real
datastore servers: what the ``test_guest_*`` modules share.

``GuestBus`` sets up the in-memory bus and a fake conductor (which keeps
the heartbeats and faults it gets) and starts agents for instance
directories, exactly as ``trove-lite-all`` runs them (as the fixtures
``bus``, ``conductor`` and ``guest`` for a test: import them into the
module, which defines ``instance_dir``, ``GUEST`` and ``PORT``); ``instance_dir``
makes a directory the datastore's own user can enter and, whatever
happened, leaves no server of it running; ``wait_status`` waits for a
heartbeat.
"""

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import uuid

import pytest

from tests.functional import fixtures
from tests.unit.guestagent import fakes
from tests.unit import rpc_fixtures
from trove_lite.cmd import common
from trove_lite.common import context
from trove_lite.common import rpc
from trove_lite.common import sealing
from trove_lite.common import service
from trove_lite.guestagent import agent as guest_agent
from trove_lite.guestagent.datastores import process as ds_process
from trove_lite.guestagent import rpcapi

READY_DEADLINE = 120


def require(package, *binaries):
    """Fail (never skip) when a program these tests run is not installed.

    :param binaries: names, or lists of names any one of which will do.
    """
    for binary in binaries:
        names = [binary] if isinstance(binary, str) else list(binary)
        if ds_process.find_binary(names) is None:
            pytest.fail('%s is not installed; these tests run the real '
                        'server (apt-get install %s)'
                        % (' or '.join(names), package))


def pids_of(pattern, instance_dir):
    """Pids of the processes whose command line matches ``pattern % dir``
    (e.g. ``'mariadbd .*%s'``), the test process excluded.
    """
    result = subprocess.run(['pgrep', '-f', pattern % re.escape(instance_dir)],
                            capture_output=True, text=True)
    return [int(pid) for pid in result.stdout.split()
            if int(pid) != os.getpid()]


def make_instance_dir(prefix='trove-lite-guest-'):
    """An instance directory the datastore's user can reach.

    Not under pytest's tmp_path: /tmp/pytest-of-<user> is private to its
    owner, so a server that drops to ``mysql``, ``postgres`` or ``redis``
    could not enter it.
    """
    path = tempfile.mkdtemp(prefix=prefix)
    os.chmod(path, 0o755)
    return path


def remove_instance_dir(path, pattern, kill=os.kill):
    """Kill every server ``pattern`` finds in ``path``; remove it."""
    for pid in pids_of(pattern, path):
        try:
            kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def instance_dir(pattern, prefix='trove-lite-guest-'):
    """``make_instance_dir``, removed (servers and all) afterwards."""
    path = make_instance_dir(prefix)
    try:
        yield path
    finally:
        remove_instance_dir(path, pattern)


class GuestBus:
    """The in-memory bus, a fake conductor on it, and the agents started
    with ``guest``; ``close`` stops them all and undoes the options.

    :param report_interval: seconds between the agents' heartbeats.
    """

    def __init__(self, report_interval=2):
        rpc_fixtures.register_messaging_opts()
        self.overrides = rpc_fixtures.Overrides()
        self.overrides.set('transport_url', rpc_fixtures.MEMORY_URL)
        self.overrides.set('control_exchange',
                           'guest_%s' % uuid.uuid4().hex)
        self.overrides.set('heartbeat_timeout_threshold', 0,
                           group='oslo_messaging_rabbit')
        self.overrides.set('report_interval', report_interval)
        rpc.init(common.CONF)
        topic = rpc_fixtures.unique_topic('conductor')
        self.overrides.set('conductor_queue', topic)
        self.conductor = fakes.FakeConductor()
        self.keys = {}
        self.service = service.RPCService(
            topic, 'conductor-1', self.conductor,
            sealing.ConductorSerializer(self.keys.get))
        self.service.start()
        self.agents = []

    def write_guest_info(self, instance_dir, guest, guest_id=None):
        """Write the instance's ``guest_info.conf``; returns (path, id,
        key).

        :param guest: its ``[guest]`` options besides the directory and
            the key (datastore_manager, datastore_version, bind_host...).
        """
        guest_id = guest_id or str(uuid.uuid4())
        key = self.keys.get(guest_id) or sealing.generate_key()
        self.keys[guest_id] = key
        options = dict({'tenant_id': 'tenant-1'}, **guest)
        options.update(instance_dir=instance_dir, instance_key=key)
        path = fixtures.write_config(
            os.path.join(instance_dir, 'guest_info.conf'), {
                'DEFAULT': {'guest_id': guest_id}, 'guest': options})
        return path, guest_id, key

    def start_agent(self, path, guest_id, key):
        """Start the agent of a ``guest_info.conf``; (agent, api)."""
        agent = guest_agent.from_guest_info(path)
        agent.start()
        self.agents.append(agent)
        api = rpcapi.GuestAgentAPI(context.get_admin_context(), guest_id,
                                   key=key)
        return agent, api

    def guest(self, instance_dir, guest, guest_id=None):
        """``write_guest_info`` and ``start_agent``: (agent, api)."""
        return self.start_agent(
            *self.write_guest_info(instance_dir, guest, guest_id))

    def stop_agent(self, agent):
        agent.stop()
        agent.wait()
        self.agents.remove(agent)

    def close(self):
        """Stop the agents, their servers and the bus."""
        agents = list(self.agents)
        for agent in agents:
            self.stop_agent(agent)
        for agent in reversed(agents):
            agent.datastore.stop_db()
        self.service.stop()
        self.service.wait()
        rpc.cleanup()
        self.overrides.clear()


@pytest.fixture
def bus(request, instance_dir):
    """A ``GuestBus`` for one test; the module's ``instance_dir`` fixture
    outlives it. ``REPORT_INTERVAL`` in the module sets the heartbeats'
    interval (2 s unless set).
    """
    running = GuestBus(getattr(request.module, 'REPORT_INTERVAL', 2))
    yield running
    running.close()


@pytest.fixture
def conductor(bus):
    """The fake conductor: the heartbeats and faults the agents sent."""
    return bus.conductor


@pytest.fixture
def guest(request, bus, instance_dir):
    """``guest()`` -> (agent, api): an agent for the test's instance,
    started; every call starts another agent of the same instance.

    The module's ``GUEST`` holds the ``[guest]`` options of its
    ``guest_info.conf`` (datastore_manager, datastore_version...); the
    server binds a free loopback address for the module's ``PORT``.
    """
    options = dict(request.module.GUEST)
    options.setdefault('bind_host',
                       fixtures.free_loopback_address(request.module.PORT))
    info = bus.write_guest_info(instance_dir, options)
    return lambda: bus.start_agent(*info)


def wait_status(conductor, description, after=0, deadline=READY_DEADLINE):
    """Wait for a heartbeat saying ``description`` after the first
    ``after`` ones the fake conductor got.
    """
    ok = conductor.wait_for(
        lambda c: description in c.statuses()[after:], deadline)
    assert ok, 'no %r heartbeat within %ss; got %s; faults: %s' % (
        description, deadline, conductor.statuses(), conductor.faults)


def prepare_on_a_busy_port(guest, conductor, port, deadline, **prepare):
    """Prepare a new guest while something else holds its datastore's
    port, and return ``(agent, fault)``: the fault the guest reported once
    its status said "failed to spawn".

    :param prepare: ``prepare``'s arguments besides the memory size and
        the (empty) databases and users.
    """
    agent, api = guest()
    with socket.socket() as blocker:
        blocker.bind((agent.info.bind_host, port))
        blocker.listen(1)
        api.prepare(prepare.pop('memory_mb', 256), [], [], **prepare)
        assert conductor.wait_for(lambda c: c.faults, deadline), \
            conductor.statuses()
        wait_status(conductor, 'failed to spawn', deadline=deadline)
    fault = conductor.faults[0]
    assert fault['instance_id'] == agent.guest_id
    assert 'could not be set up' in fault['message']
    return agent, fault
