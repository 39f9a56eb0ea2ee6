import socket
import threading

from kombu import transport as kombu_transport
import oslo_messaging

from tests.unit import rpc_fixtures
from tests.unit.rpc_fixtures import conf_overrides  # noqa: F401
from tests.unit.rpc_fixtures import memory_bus  # noqa: F401
from tests.unit.rpc_fixtures import start_service  # noqa: F401
from tests import waiting
from trove_lite.common import context
from trove_lite.common import memory_bus as bus
from trove_lite.common import rpc


class Echo:
    target = oslo_messaging.Target(version='1.0')

    def echo(self, context, value):
        return value


def test_calls_cross_the_bus(memory_bus, start_service):  # noqa: F811
    topic = rpc_fixtures.unique_topic()
    start_service(topic, 'h1', Echo())
    client = rpc.get_client(topic, '1.0', timeout=5)
    ctxt = context.RequestContext(project_id='p')
    results = []

    def call(value):
        results.append(rpc.call(rpc.prepare(client, '1.0'), ctxt, 'echo',
                                'echo', value=value))

    threads = [threading.Thread(target=call, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(results) == list(range(20))


class SleepingCondition(threading.Condition):
    """A condition that knows which threads sleep in its ``wait``."""

    def __init__(self):
        super().__init__()
        self.sleeping = set()

    def wait(self, timeout=None):
        me = threading.current_thread()
        self.sleeping.add(me)
        try:
            return super().wait(timeout)
        finally:
            self.sleeping.discard(me)


def test_idle_servers_wait_instead_of_spinning(memory_bus,  # noqa: F811
                                               start_service,  # noqa: F811
                                               monkeypatch):
    # NOTE(cpu): on kombu's own memory transport an idle consumer polls its
    # queues over and over until its drain timeout ends (five idle servers
    # burnt a core); ours polls, sleeps on the arrival condition until a
    # put or the timeout, and polls once more.
    arrival = SleepingCondition()
    monkeypatch.setattr(bus, '_arrival', arrival)
    polling = threading.local()
    # (thread, timeout, polls, puts meanwhile) of drains that got nothing
    idle_drains = []

    class CountingCycle(bus.Transport.Cycle):
        """The transport's cycle over its channels: one get, one poll."""

        def get(self, *args, **kwargs):
            polling.polls += 1
            return super().get(*args, **kwargs)

    real_drain = bus.Transport.drain_events

    def drain_events(self, connection, timeout=None):
        polling.polls = 0
        generation = bus._generation
        try:
            return real_drain(self, connection, timeout=timeout)
        except socket.timeout:
            idle_drains.append((threading.current_thread(), timeout,
                                polling.polls, bus._generation - generation))
            raise

    monkeypatch.setattr(bus.Transport, 'Cycle', CountingCycle)
    monkeypatch.setattr(bus.Transport, 'drain_events', drain_events)
    for _ in range(5):
        start_service(rpc_fixtures.unique_topic(), 'h1', Echo())

    # oslo.messaging doubles a consumer's drain timeout from 1 ms while
    # it is idle; wait until each consumer sat through a long one.
    def long_drains():
        return [drain for drain in list(idle_drains) if drain[1] >= 0.1]

    assert waiting.wait_for(
        lambda: len({drain[0] for drain in long_drains()}) == 5)
    assert waiting.wait_for(lambda: len(arrival.sleeping) == 5)
    # One poll when the drain starts, one when its timeout has passed,
    # and one per put anywhere in the process meanwhile (none, here).
    assert all(polls <= 2 + puts for _, _, polls, puts in long_drains()), \
        long_drains()


def test_register_is_idempotent():
    bus.register()
    bus.register()
    assert kombu_transport.TRANSPORT_ALIASES[bus.ALIAS] == \
        'trove_lite.common.memory_bus:Transport'
