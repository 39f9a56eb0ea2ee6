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
"""

import queue
import socket
import threading
import time

from kombu import transport as kombu_transport
from kombu.transport import memory

ALIAS = 'trove-lite-memory'
TRANSPORT_URL = 'kombu+%s:////' % ALIAS

_arrival = threading.Condition()
_generation = 0


def _message_arrived():
    global _generation
    with _arrival:
        _generation += 1
        _arrival.notify_all()


class Channel(memory.Channel):
    """kombu's in-memory channel that wakes waiting consumers on a put."""

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
