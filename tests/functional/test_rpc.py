"""The RPC services as real processes on the machine's RabbitMQ.

Each test starts the installed console scripts (``trove-lite-conductor``,
``trove-lite-taskmanager``, ``trove-lite-guestagent``) with a config file of
its own: the real RabbitMQ, an exchange and queues no other run uses
(``fixtures.unique_bus``) and a host name no other process has. The test
process then pings them through the versioned RPC clients, so an answer
that names the subprocess's host proves the whole path: config,
transport, topics, servers, serialization.

RabbitMQ being unreachable is a failure, not a skip: these tests exist to
prove the services work on it.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import uuid

import oslo_messaging
import pytest

from tests.functional import fixtures
from tests.unit import rpc_fixtures
from trove_lite.common import context
from trove_lite.common import exception
from trove_lite.common import rpc
from trove_lite.conductor import rpcapi as conductor_rpcapi
from trove_lite.guestagent import rpcapi as guest_rpcapi
from trove_lite.taskmanager import rpcapi as taskmanager_rpcapi

BIN_DIR = os.path.dirname(sys.executable)
READY_DEADLINE = 30
STOP_DEADLINE = 10
# Seconds one readiness ping waits; short, because the deadline retries.
PING_TIMEOUT = 2
NOT_YET = (exception.RPCTimeout, oslo_messaging.MessageUndeliverable)


def _require_rabbitmq():
    url = urllib.parse.urlparse(fixtures.RABBIT_URL)
    address = (url.hostname or '127.0.0.1', url.port or 5672)
    try:
        socket.create_connection(address, timeout=5).close()
    except OSError as err:
        pytest.fail('RabbitMQ is not reachable at %s:%s (%s); the functional '
                    'RPC tests need it (TROVE_LITE_TEST_RABBIT_URL)'
                    % (address + (err,)))


class ServiceProcess:
    """A console script we started, with its output in a file."""

    def __init__(self, script, config_path, log_path):
        path = os.path.join(BIN_DIR, script)
        if not os.path.exists(path):
            pytest.fail('%s is not installed in %s' % (script, BIN_DIR))
        self.script = script
        self.log_path = log_path
        with open(log_path, 'w') as log:
            self.popen = subprocess.Popen(
                [path, '--config-file', config_path], stdout=log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def log(self):
        with open(self.log_path) as handle:
            return handle.read()

    def check_alive(self):
        if self.popen.poll() is not None:
            pytest.fail('%s exited with %s:\n%s' % (
                self.script, self.popen.returncode, self.log()))

    def terminate(self):
        """SIGTERM; returns the exit code (None if it would not stop)."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(STOP_DEADLINE)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()


@pytest.fixture(scope='module')
def exchange():
    """The test process on RabbitMQ, on a bus of this module's own."""
    _require_rabbitmq()
    rpc_fixtures.register_messaging_opts()
    overrides = rpc_fixtures.Overrides()
    bus = fixtures.unique_bus('trove_lite_rpc')
    overrides.set('transport_url', fixtures.RABBIT_URL)
    for option, value in bus.items():
        overrides.set(option, value)
    overrides.set('rpc_ping_timeout', PING_TIMEOUT)
    overrides.set('agent_call_low_timeout', PING_TIMEOUT)
    rpc.init()
    yield bus
    rpc.cleanup()
    overrides.clear()


@pytest.fixture
def start(tmp_path, exchange):
    """``start(script, **defaults)`` -> (process, host).

    A process the test did not stop is killed at teardown.
    """
    started = []

    def _start(script, **defaults):
        host = 'func-%s' % uuid.uuid4().hex[:10]
        name = '%s-%s' % (script, host)
        options = dict(exchange, transport_url=fixtures.RABBIT_URL,
                       host=host, state_path=str(tmp_path / 'state'))
        options.update(defaults)
        config = fixtures.write_config(tmp_path / ('%s.conf' % name), {
            'DEFAULT': options,
            'database': {'connection': 'sqlite:///%s' % (tmp_path / 'infra.db')},
        })
        process = ServiceProcess(script, config, tmp_path / ('%s.log' % name))
        started.append(process)
        return process, host

    yield _start
    for process in started:
        process.kill()


def wait_for_ping(process, ping):
    """Retry ``ping()`` until it answers or READY_DEADLINE passes."""
    end = time.monotonic() + READY_DEADLINE
    while True:
        process.check_alive()
        try:
            return ping()
        except NOT_YET:
            if time.monotonic() > end:
                pytest.fail('%s did not answer rpc_ping within %ss:\n%s' % (
                    process.script, READY_DEADLINE, process.log()))


def assert_stops_cleanly(process):
    code = process.terminate()
    assert code == 0, '%s exited with %s on SIGTERM:\n%s' % (
        process.script, code, process.log())


@pytest.mark.parametrize('script, api_class, service', [
    ('trove-lite-conductor', conductor_rpcapi.ConductorAPI, 'conductor'),
    ('trove-lite-taskmanager', taskmanager_rpcapi.TaskManagerAPI,
     'taskmanager'),
])
def test_service_answers_rpc_ping(start, script, api_class, service):
    process, host = start(script)
    api = api_class()
    ctxt = context.get_admin_context()
    answer = wait_for_ping(process, lambda: api.rpc_ping(ctxt, host=host))
    assert answer['service'] == service
    assert answer['host'] == host
    assert answer['rpc_api_version'] == api_class.RPC_API_VERSION
    # Any server of the topic may answer an unpinned ping; ours is the one.
    assert api.rpc_ping(ctxt)['host'] == host
    assert_stops_cleanly(process)


def test_guest_agent_answers_rpc_ping(start):
    guest_id = str(uuid.uuid4())
    process, host = start('trove-lite-guestagent', guest_id=guest_id)
    api = guest_rpcapi.GuestAgentAPI(context.get_admin_context(), guest_id)
    answer = wait_for_ping(process, api.rpc_ping)
    assert answer['service'] == 'guestagent'
    assert answer['instance_id'] == guest_id
    assert answer['host'] == host
    assert_stops_cleanly(process)


def test_services_share_one_bus(start):
    conductor, conductor_host = start('trove-lite-conductor')
    taskmanager, taskmanager_host = start('trove-lite-taskmanager')
    ctxt = context.get_admin_context()
    conductor_api = conductor_rpcapi.ConductorAPI()
    taskmanager_api = taskmanager_rpcapi.TaskManagerAPI()
    assert wait_for_ping(conductor, lambda: conductor_api.rpc_ping(
        ctxt, host=conductor_host))['host'] == conductor_host
    assert wait_for_ping(taskmanager, lambda: taskmanager_api.rpc_ping(
        ctxt, host=taskmanager_host))['host'] == taskmanager_host
    assert_stops_cleanly(conductor)
    assert_stops_cleanly(taskmanager)


def test_guest_agent_refuses_to_start_without_guest_id(start):
    process, _ = start('trove-lite-guestagent')
    try:
        code = process.popen.wait(READY_DEADLINE)
    except subprocess.TimeoutExpired:
        pytest.fail('trove-lite-guestagent started without a guest_id')
    assert code != 0
    assert 'guest_id is not set' in process.log()
