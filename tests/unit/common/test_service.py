"""Tests for trove_lite.common.service: RPCService and ServiceLauncher."""

import os
import signal
import threading

import oslo_messaging
import pytest

from tests.unit import rpc_fixtures
from tests.unit.rpc_fixtures import conf_overrides  # noqa: F401
from tests.unit.rpc_fixtures import memory_bus  # noqa: F401
from tests import waiting
from trove_lite.common import context
from trove_lite.common import rpc
from trove_lite.common import service


class Pong:
    target = oslo_messaging.Target(version='1.0')

    def ping(self, context):
        return 'pong'


class FakeService:
    """Records the calls a launcher makes."""

    def __init__(self, fail_start=False):
        self.calls = []
        self.fail_start = fail_start

    def start(self):
        self.calls.append('start')
        if self.fail_start:
            raise RuntimeError('cannot start')

    def stop(self):
        self.calls.append('stop')

    def wait(self):
        self.calls.append('wait')


def _ping(topic, host=None):
    client = rpc.get_client(topic, '1.0', timeout=5)
    cctxt = rpc.prepare(client, '1.0', server=host)
    return rpc.call(cctxt, context.get_admin_context(), 'ping', topic)


@pytest.fixture
def rpc_service(memory_bus):  # noqa: F811
    svc = service.RPCService(rpc_fixtures.unique_topic(), 'h1', Pong())
    yield svc
    svc.stop()
    svc.wait()


def test_rpc_service_serves_while_running(rpc_service):
    assert rpc_service.state == service.NEW
    rpc_service.start()
    assert rpc_service.state == service.RUNNING
    assert _ping(rpc_service.topic) == 'pong'
    assert _ping(rpc_service.topic, host='h1') == 'pong'
    rpc_service.stop()
    rpc_service.wait()
    assert rpc_service.state == service.STOPPED


def test_rpc_service_start_twice_is_a_no_op(rpc_service):
    rpc_service.start()
    server = rpc_service._server
    rpc_service.start()
    assert rpc_service._server is server


def test_rpc_service_cannot_restart(rpc_service):
    rpc_service.start()
    rpc_service.stop()
    with pytest.raises(RuntimeError):
        rpc_service.start()


def test_rpc_service_stop_and_wait_before_start(rpc_service):
    rpc_service.wait()
    rpc_service.stop()
    rpc_service.wait()
    assert rpc_service.state == service.STOPPED


def test_rpc_service_wait_while_running_returns(rpc_service):
    rpc_service.start()
    rpc_service.wait()
    assert rpc_service.state == service.RUNNING


def test_rpc_service_concurrent_stop(rpc_service):
    rpc_service.start()
    errors = []

    def stop_and_wait():
        try:
            rpc_service.stop()
            rpc_service.wait()
        except Exception as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=stop_and_wait) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not errors
    assert rpc_service.state == service.STOPPED


def test_rpc_service_needs_rpc_init():
    rpc.cleanup()
    svc = service.RPCService('topic', 'h1', Pong())
    with pytest.raises(RuntimeError):
        svc.start()
    assert svc.state == service.NEW


def test_launcher_stop_from_another_thread():
    services = [FakeService(), FakeService()]
    launcher = service.ServiceLauncher()
    for svc in services:
        launcher.launch_service(svc)
    threading.Timer(0.1, launcher.stop).start()
    assert launcher.wait(poll_interval=0.05) == 0
    for svc in services:
        assert svc.calls == ['start', 'stop', 'wait']


@pytest.mark.parametrize('signo', [signal.SIGTERM, signal.SIGINT])
def test_launcher_stops_on_signal(signo):
    before = signal.getsignal(signo)
    svc = FakeService()
    launcher = service.ServiceLauncher()
    launcher.launch_service(svc)
    threading.Timer(0.2, os.kill, (os.getpid(), signo)).start()
    assert launcher.wait(poll_interval=0.05) == 0
    assert svc.calls == ['start', 'stop', 'wait']
    assert signal.getsignal(signo) is before


def test_serve_stops_started_services_when_one_fails():
    first, broken = FakeService(), FakeService(fail_start=True)
    with pytest.raises(RuntimeError):
        service.serve([first, broken])
    assert first.calls == ['start', 'stop', 'wait']
    assert broken.calls == ['start']


def test_serve_runs_real_services_until_stopped(memory_bus):  # noqa: F811
    topic = rpc_fixtures.unique_topic()
    svc = service.RPCService(topic, 'h1', Pong())
    answers = []

    def ping_then_stop():
        answers.append(_ping(topic))
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Timer(0.2, ping_then_stop).start()
    assert service.serve([svc]) == 0
    assert answers == ['pong']
    assert svc.state == service.STOPPED


class _Rounds(service.PeriodicService):
    def __init__(self, every, at_start=False, enabled=True):
        super().__init__('rounds')
        self.every = every
        self.run_at_start = at_start
        self._enabled = enabled
        self.rounds = 0
        self.ran = threading.Event()

    def interval(self):
        return self.every

    def enabled(self):
        return self._enabled

    def run_once(self):
        self.rounds += 1
        self.ran.set()


def test_periodic_service_runs_rounds_until_stopped():
    rounds = _Rounds(0.01)
    rounds.start()
    assert waiting.wait_for(lambda: rounds.rounds >= 3)
    rounds.stop()
    rounds.wait()
    done = rounds.rounds
    assert not rounds._thread.is_alive()
    assert rounds.rounds == done


def test_periodic_service_runs_at_start_and_stop_ends_the_wait():
    # An hour between rounds: only the round at start runs, and stop()
    # does not wait out the hour.
    rounds = _Rounds(3600, at_start=True)
    rounds.start()
    assert rounds.ran.wait(10)
    rounds.stop()
    rounds._thread.join(10)
    assert not rounds._thread.is_alive()
    assert rounds.rounds == 1


def test_periodic_service_with_interval_zero_runs_once():
    rounds = _Rounds(0, at_start=True)
    rounds.start()
    rounds._thread.join(10)
    assert not rounds._thread.is_alive()
    assert rounds.rounds == 1


def test_a_disabled_periodic_service_starts_no_thread():
    rounds = _Rounds(0.01, enabled=False)
    rounds.start()
    rounds.stop()
    rounds.wait()
    assert rounds._thread is None and rounds.rounds == 0
