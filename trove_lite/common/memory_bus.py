"""The embedded shape's in-process message bus, without busy waiting.

kombu's ``memory`` transport has no way to wait for a message: a consumer
asks each of its queues in turn and sleeps ``polling_interval`` when all
are empty, and oslo.messaging sets that interval to 0 for ``memory://``
to keep its own tests fast. Every RPC server of ``trove-lite-all`` (the
conductor, the taskmanager, each guest agent, each reply queue) then spins:
an idle ``trove-lite-all`` burnt ~90% of a core, and under load the spinning
threads starve the API and the datastore servers of the GIL and CPU.

``Transport`` is the same in-memory broker with a wake-up: every message
put on any queue bumps a generation counter under a condition variable,
and a consumer that found its queues empty sleeps on that condition until
something arrives or its timeout passes. Waiting costs nothing, and a
message is picked up as soon as it is put.

It is registered as kombu transport ``trove-lite-memory``, so the
embedded shape's ``transport_url`` is ``kombu+trove-lite-memory:////``.

Identities: a connection without a user (the control plane's URL) may do
anything. A connection with a user is a guest's
(``kombu+trove-lite-memory://<user>:<password>@localhost:5672/``, made
by the ``memory`` broker driver): it must match an identity ``grant``-ed
here, and may only declare, bind, consume and delete the queues its
``Policy`` allows and publish to the (exchange, routing key) pairs it
allows; a revoked identity may do nothing. Unlike RabbitMQ, the bus also
narrows the default exchange, to reply queues. NOTE(embedded): this
guards the bus, not the process; see ``trove_lite/broker/memory.py``.
"""

import dataclasses
import re

import queue
import socket
import threading
import time

from kombu import exceptions as kombu_exceptions
from kombu import transport as kombu_transport
from kombu.transport import memory

ALIAS = 'trove-lite-memory'
TRANSPORT_URL = 'kombu+%s:////' % ALIAS

_arrival = threading.Condition()
_generation = 0

_identities = {}
_identities_lock = threading.Lock()


class AccessRefused(kombu_exceptions.ChannelError):
    """A guest's connection tried what its identity does not allow."""


@dataclasses.dataclass(frozen=True)
class Policy:
    """What one guest identity may do on the bus.

    :param queues: regex of the queue names it may declare, bind,
        consume and delete.
    :param exchanges: regex of the exchanges it may declare and bind to.
    :param publish: ``((exchange, routing key regex), ...)`` it may
        publish to; ``''`` is the default exchange.
    """

    queues: str
    exchanges: str
    publish: tuple


def grant(user, password, policy):
    """Let connections as ``user``/``password`` do what ``policy`` allows.

    An earlier grant of ``user`` is replaced.
    """
    with _identities_lock:
        _identities[user] = (password, policy)


def revoke(user):
    """Refuse everything to ``user`` from now on (no error if unknown)."""
    with _identities_lock:
        _identities.pop(user, None)


def _policy(channel):
    """None for the control plane; the guest's ``Policy``.

    :raises: AccessRefused for an unknown, revoked or mistyped identity.
    """
    client = channel.connection.client
    if not client.userid:
        return None
    with _identities_lock:
        password, policy = _identities.get(client.userid, (None, None))
    if policy is None or password != client.password:
        raise AccessRefused('ACCESS_REFUSED - no identity %r on the '
                            'in-process bus' % client.userid)
    return policy


def _check(channel, allowed, what, name):
    policy = _policy(channel)
    if policy is not None and not allowed(policy, name):
        raise AccessRefused('ACCESS_REFUSED - %s %r refused to %s' % (
            what, name, channel.connection.client.userid))


def _message_arrived():
    global _generation
    with _arrival:
        _generation += 1
        _arrival.notify_all()


def _queue_ok(policy, name):
    return bool(re.fullmatch(policy.queues, name or ''))


def _exchange_ok(policy, name):
    return bool(re.fullmatch(policy.exchanges, name or ''))


def _publish_ok(policy, target):
    exchange, routing_key = target
    return any(exchange == allowed and re.fullmatch(pattern, routing_key)
               for allowed, pattern in policy.publish)


class Channel(memory.Channel):
    """kombu's in-memory channel that wakes waiting consumers on a put.

    It also holds guest identities to their ``Policy``.
    """

    def queue_declare(self, queue=None, passive=False, **kwargs):
        _check(self, _queue_ok, 'queue', queue)
        return super().queue_declare(queue, passive, **kwargs)

    def queue_bind(self, queue, exchange=None, routing_key='',
                   arguments=None, **kwargs):
        _check(self, _queue_ok, 'queue', queue)
        _check(self, _exchange_ok, 'exchange', exchange)
        return super().queue_bind(queue, exchange, routing_key, arguments,
                                  **kwargs)

    def queue_delete(self, queue, *args, **kwargs):
        _check(self, _queue_ok, 'queue', queue)
        return super().queue_delete(queue, *args, **kwargs)

    def queue_purge(self, queue, **kwargs):
        _check(self, _queue_ok, 'queue', queue)
        return super().queue_purge(queue, **kwargs)

    def exchange_declare(self, exchange=None, *args, **kwargs):
        _check(self, _exchange_ok, 'exchange', exchange)
        return super().exchange_declare(exchange, *args, **kwargs)

    def exchange_delete(self, exchange, *args, **kwargs):
        # NOTE(embedded): declaring the control exchange is allowed (as
        # oslo.messaging needs), deleting it is not: RabbitMQ cannot tell
        # the two apart, the bus can.
        _check(self, lambda policy, name: False, 'exchange deletion',
               exchange)
        return super().exchange_delete(exchange, *args, **kwargs)

    def basic_publish(self, message, exchange, routing_key, **kwargs):
        _check(self, _publish_ok, 'publishing to', (exchange or '',
                                                    routing_key or ''))
        return super().basic_publish(message, exchange, routing_key,
                                     **kwargs)

    def basic_consume(self, queue, no_ack, callback, consumer_tag,
                      **kwargs):
        _check(self, _queue_ok, 'queue', queue)
        return super().basic_consume(queue, no_ack, callback, consumer_tag,
                                     **kwargs)

    def basic_get(self, queue, no_ack=False, **kwargs):
        _check(self, _queue_ok, 'queue', queue)
        return super().basic_get(queue, no_ack, **kwargs)

    def _put(self, queue, message, **kwargs):
        super()._put(queue, message, **kwargs)
        _message_arrived()

    def _put_fanout(self, exchange, message, routing_key=None, **kwargs):
        super()._put_fanout(exchange, message, routing_key=routing_key,
                            **kwargs)
        _message_arrived()


class Transport(memory.Transport):
    """kombu's in-memory transport whose consumers sleep until a put."""

    Channel = Channel
    driver_name = ALIAS

    def drain_events(self, connection, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with _arrival:
                seen = _generation
            try:
                self.cycle.get(self._deliver, timeout=timeout)
                return
            except queue.Empty:
                pass
            remaining = None if deadline is None else \
                deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise socket.timeout()
            with _arrival:
                if _generation == seen:
                    _arrival.wait(remaining)


def register():
    """Make ``kombu+trove-lite-memory://`` resolvable (idempotent)."""
    kombu_transport.TRANSPORT_ALIASES.setdefault(
        ALIAS, '%s:Transport' % __name__)
