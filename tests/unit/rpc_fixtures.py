"""An in-process message bus for unit tests (``common.memory_bus``).

The in-memory transport keeps one broker per process, so a client and a
server built here really exchange messages (serialization, versions,
exceptions and all) without RabbitMQ. Each test gets an exchange of its
own so that no message outlives its test. Import the ``memory_bus``
fixture into a test module to use it.
"""

import uuid

import oslo_messaging
from oslo_messaging.notify import _impl_test as notify_test_driver
from oslo_messaging import opts as messaging_opts
import pytest

from trove_lite.cmd import common
from trove_lite.common import memory_bus as bus
from trove_lite.common import rpc
from trove_lite.common import service

CONF = common.CONF
MEMORY_URL = bus.TRANSPORT_URL

_registered = []


def register_messaging_opts():
    """Register oslo.messaging's options so tests may override them.

    oslo.messaging registers them itself only when a transport is built.
    """
    if _registered:
        return
    for group, opts in messaging_opts.list_opts():
        CONF.register_opts(opts, group=group)
    _registered.append(True)


class Overrides:
    """``set(name, value, group=None)``; ``clear()`` undoes them all."""

    def __init__(self):
        self._done = []

    def set(self, name, value, group=None):
        CONF.set_override(name, value, group=group)
        self._done.append((name, group))

    def clear(self):
        for name, group in reversed(self._done):
            CONF.clear_override(name, group=group)
        self._done = []


@pytest.fixture
def conf_overrides():
    overrides = Overrides()
    yield overrides
    overrides.clear()


@pytest.fixture
def memory_bus(conf_overrides):
    """Initialise ``common.rpc`` on the in-memory bus; yields the overrides.

    Options that shape clients (``[upgrade_levels]``, timeouts) may be
    overridden through the yielded object before building a client.
    """
    register_messaging_opts()
    conf_overrides.set('transport_url', MEMORY_URL)
    conf_overrides.set('control_exchange', 'unit_%s' % uuid.uuid4().hex)
    # kombu's memory transport has no heartbeats; don't ask for them.
    conf_overrides.set('heartbeat_timeout_threshold', 0,
                       group='oslo_messaging_rabbit')
    rpc.init(CONF)
    yield conf_overrides
    rpc.cleanup()


class Sent:
    """The notifications oslo.messaging's ``test`` driver recorded."""

    def all(self):
        return [dict(message, context=context)
                for context, message, _, _ in
                notify_test_driver.NOTIFICATIONS]

    def types(self):
        return [message['event_type'] for message in self.all()]

    def of(self, event_type):
        """The one notification of ``event_type``."""
        [found] = [message for message in self.all()
                   if message['event_type'] == event_type]
        return found


@pytest.fixture
def notifications(memory_bus):  # noqa: F811
    """Notifications on: ``common.rpc``'s notifier uses oslo.messaging's
    ``test`` driver; yields a ``Sent``.
    """
    notifier = oslo_messaging.Notifier(
        rpc.NOTIFICATION_TRANSPORT, driver='test',
        serializer=rpc.RequestContextSerializer())
    previous, rpc.NOTIFIER = rpc.NOTIFIER, notifier
    notify_test_driver.reset()
    yield Sent()
    notify_test_driver.reset()
    if rpc.NOTIFIER is notifier:
        rpc.NOTIFIER = previous


@pytest.fixture
def start_service():
    """``start_service(topic, host, manager[, serializer])``: a running
    RPCService.

    Every service started is stopped after the test.
    """
    started = []

    def _start(topic, host, manager, serializer=None):
        svc = service.RPCService(topic, host, manager, serializer=serializer)
        svc.start()
        started.append(svc)
        return svc

    yield _start
    for svc in started:
        svc.stop()
        svc.wait()


def unique_topic(prefix='unit'):
    """A topic no other test listens on."""
    return '%s_%s' % (prefix, uuid.uuid4().hex[:12])
