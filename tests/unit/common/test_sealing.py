"""Sealing the guest channel: what a guest can and cannot do on the bus."""

import threading

import oslo_messaging
import pytest

from tests.unit import rpc_fixtures
from tests.unit.rpc_fixtures import conf_overrides  # noqa: F401
from tests.unit.rpc_fixtures import memory_bus  # noqa: F401
from trove_lite.common import context
from trove_lite.common import exception
from trove_lite.common import rpc
from trove_lite.common import sealing
from trove_lite.common import service


def test_seal_round_trip_and_tamper():
    key = sealing.generate_key()
    token = sealing.seal(key, {'status': 'healthy'})
    assert sealing.unseal(key, token) == {'status': 'healthy'}
    with pytest.raises(exception.UnsealError):
        sealing.unseal(sealing.generate_key(), token)
    with pytest.raises(exception.UnsealError):
        sealing.unseal(key, token[:-4] + 'AAAA')


class Reports:
    """A conductor-like endpoint that keeps accepted reports."""

    target = oslo_messaging.Target(version='1.0')

    def __init__(self):
        self.accepted = []
        self.refused = []
        self.event = threading.Event()

    def heartbeat(self, ctxt, instance_id, payload):
        try:
            sealing.require_sender(ctxt, instance_id)
        except exception.ForgedReport:
            self.refused.append(instance_id)
        else:
            self.accepted.append((instance_id, payload))
        self.event.set()


@pytest.fixture
def bus(memory_bus):  # noqa: F811
    keys = {'inst-a': sealing.generate_key(),
            'inst-b': sealing.generate_key()}
    topic = rpc_fixtures.unique_topic('conductor')
    reports = Reports()
    server = service.RPCService(topic, 'c1', reports,
                                sealing.ConductorSerializer(keys.get))
    server.start()
    yield {'keys': keys, 'topic': topic, 'reports': reports}
    server.stop()
    server.wait()


def _send(bus, sender, key, instance_id, ctxt=None):
    client = rpc.get_client(bus['topic'], '1.0', serializer=sealing.
                            GuestSerializer(sender, key))
    client.cast(ctxt or context.get_admin_context(), 'heartbeat',
                instance_id=instance_id, payload={'status': 'healthy'})


def _call_barrier(bus):
    # An unsealed probe, sent after the message under test: when it has
    # arrived, the one before it has been dealt with too.
    bus['reports'].event.clear()
    client = rpc.get_client(bus['topic'], '1.0')
    client.cast(context.get_admin_context(), 'heartbeat',
                instance_id='probe', payload={})
    assert bus['reports'].event.wait(10)


def test_a_guest_reports_about_itself(bus):
    _send(bus, 'inst-a', bus['keys']['inst-a'], 'inst-a')
    _call_barrier(bus)
    assert bus['reports'].accepted == [('inst-a', {'status': 'healthy'})]


def test_a_guest_cannot_report_for_another(bus):
    _send(bus, 'inst-b', bus['keys']['inst-b'], 'inst-a')
    _call_barrier(bus)
    assert bus['reports'].accepted == []
    assert 'inst-a' in bus['reports'].refused


def test_a_guest_cannot_seal_with_a_key_it_does_not_have(bus):
    _send(bus, 'inst-a', sealing.generate_key(), 'inst-a')
    _call_barrier(bus)
    assert bus['reports'].accepted == []


def test_unknown_senders_are_refused(bus):
    _send(bus, 'inst-x', sealing.generate_key(), 'inst-x')
    _call_barrier(bus)
    assert bus['reports'].accepted == []


def test_unsealed_reports_are_refused(bus):
    _call_barrier(bus)
    assert bus['reports'].refused == ['probe']


def test_conductor_serializer_directly():
    keys = {'inst-a': sealing.generate_key()}
    guest = sealing.GuestSerializer('inst-a', keys['inst-a'])
    conductor = sealing.ConductorSerializer(keys.get)
    ctxt = context.get_admin_context()
    wire_ctxt = guest.serialize_context(ctxt)
    arrived = conductor.deserialize_context(wire_ctxt)
    assert arrived.sealed_by == 'inst-a'
    assert conductor.deserialize_entity(
        arrived, guest.serialize_entity(ctxt, 'inst-a')) == 'inst-a'

    impostor = sealing.GuestSerializer('inst-a', sealing.generate_key())
    with pytest.raises(exception.UnsealError):
        conductor.deserialize_context(impostor.serialize_context(ctxt))
    other = sealing.GuestSerializer('inst-b', sealing.generate_key())
    with pytest.raises(exception.UnsealError):
        conductor.deserialize_context(other.serialize_context(ctxt))
    # An entity sealed by another sender than the context is refused.
    keys['inst-b'] = other.key
    with pytest.raises(exception.UnsealError):
        conductor.deserialize_entity(arrived,
                                     other.serialize_entity(ctxt, 'x'))


def test_guest_serializer_refuses_unsealed_messages():
    guest = sealing.GuestSerializer('inst-a', sealing.generate_key())
    with pytest.raises(exception.UnsealError):
        guest.deserialize_context({'user': 'x'})
    with pytest.raises(exception.UnsealError):
        guest.deserialize_entity(None, 'plain')
