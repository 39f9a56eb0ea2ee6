"""Sealing the guest channel: what a guest can and cannot do on the bus."""

import json
import threading
import time

from cryptography import fernet
import oslo_messaging
import pytest

from tests.unit import rpc_fixtures
from tests.unit.rpc_fixtures import conf_overrides  # noqa: F401
from tests.unit.rpc_fixtures import memory_bus  # noqa: F401
from tests import waiting
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


# -- replays and expiry ------------------------------------------------------

def test_unseal_refuses_a_token_seen_already():
    key = sealing.generate_key()
    replays = sealing.ReplayCache()
    token = sealing.seal(key, 'restart')
    assert sealing.unseal(key, token, ttl=60, replays=replays) == 'restart'
    with pytest.raises(exception.UnsealError):
        sealing.unseal(key, token, ttl=60, replays=replays)
    # The same value sealed again is a new token (a fresh nonce).
    again = sealing.seal(key, 'restart')
    assert again != token
    assert sealing.unseal(key, again, ttl=60, replays=replays) == 'restart'


def _sealed_at(key, value, when):
    return fernet.Fernet(key.encode('ascii')).encrypt_at_time(
        json.dumps(value).encode('utf-8'), int(when)).decode('ascii')


def test_unseal_refuses_an_expired_token():
    key = sealing.generate_key()
    old = _sealed_at(key, 'restart', time.time() - 120)
    with pytest.raises(exception.UnsealError):
        sealing.unseal(key, old, ttl=60, replays=sealing.ReplayCache())
    fresh = _sealed_at(key, 'restart', time.time() - 5)
    assert sealing.unseal(key, fresh, ttl=60) == 'restart'


def test_replay_cache_forgets_expired_tokens_and_stays_bounded():
    cache = sealing.ReplayCache(max_entries=2)
    assert cache.first_time(b'a', time.time() - 1)
    assert cache.first_time(b'b', time.time() + 60)
    # 'a' expired: pruned, so it no longer counts (unseal refuses it by age).
    assert len(cache) == 1
    assert cache.first_time(b'c', time.time() + 60)
    assert cache.first_time(b'd', time.time() + 60)
    assert len(cache) == 2
    assert not cache.first_time(b'd', time.time() + 60)


def test_serializers_refuse_a_replayed_message():
    keys = {'inst-a': sealing.generate_key()}
    guest = sealing.GuestSerializer('inst-a', keys['inst-a'])
    conductor = sealing.ConductorSerializer(keys.get)
    ctxt = context.get_admin_context()
    wire_ctxt = guest.serialize_context(ctxt)
    wire_arg = guest.serialize_entity(ctxt, {'service_status': 'healthy'})
    arrived = conductor.deserialize_context(wire_ctxt)
    assert conductor.deserialize_entity(arrived, wire_arg) == {
        'service_status': 'healthy'}
    with pytest.raises(sealing.RefusedMessage):
        conductor.deserialize_context(wire_ctxt)
    with pytest.raises(sealing.RefusedMessage):
        conductor.deserialize_entity(arrived, wire_arg)
    # The guest's side refuses a replayed command the same way.
    control = sealing.GuestSerializer('inst-a', keys['inst-a'])
    command = control.serialize_context(ctxt)
    assert guest.deserialize_context(command).to_dict() == ctxt.to_dict()
    with pytest.raises(sealing.RefusedMessage):
        guest.deserialize_context(command)


def test_serializers_refuse_an_expired_message(conf_overrides):  # noqa: F811
    conf_overrides.set('sealed_message_ttl', 30)
    key = sealing.generate_key()
    guest = sealing.GuestSerializer('inst-a', key)
    ctxt = context.get_admin_context()
    stale = {sealing.SENDER: 'inst-a',
             sealing.SEALED: _sealed_at(key, ctxt.to_dict(),
                                        time.time() - 31)}
    with pytest.raises(exception.UnsealError):
        guest.deserialize_context(stale)
    fresh = {sealing.SENDER: 'inst-a',
             sealing.SEALED: _sealed_at(key, ctxt.to_dict(),
                                        time.time() - 1)}
    assert guest.deserialize_context(fresh).to_dict() == ctxt.to_dict()


def test_a_replayed_report_is_refused_over_the_bus(bus, caplog):
    # The wire message is captured by recording what the guest's serializer
    # sealed, then sent again verbatim.
    captured = {}

    class Recording(sealing.GuestSerializer):
        def serialize_context(self, ctxt):
            captured['ctxt'] = super().serialize_context(ctxt)
            return captured['ctxt']

        def serialize_entity(self, ctxt, entity):
            sealed = super().serialize_entity(ctxt, entity)
            captured.setdefault('args', []).append(sealed)
            return sealed

    class Replaying(sealing.GuestSerializer):
        def serialize_context(self, ctxt):
            return captured['ctxt']

        def serialize_entity(self, ctxt, entity):
            return captured['args'].pop(0)

    key = bus['keys']['inst-a']
    rpc.get_client(bus['topic'], '1.0', serializer=Recording(
        'inst-a', key)).cast(context.get_admin_context(), 'heartbeat',
                             instance_id='inst-a', payload={'n': 1})
    _call_barrier(bus)
    rpc.get_client(bus['topic'], '1.0', serializer=Replaying(
        'inst-a', key)).cast(context.get_admin_context(), 'heartbeat',
                             instance_id='inst-a', payload={'n': 1})
    # NOTE(threads): the server's pool may handle the probe before the
    # replay; wait for the refusal itself.

    def refusals():
        return [r for r in caplog.records
                if r.name == 'trove_lite.common.sealing']

    assert waiting.wait_for(refusals)
    _call_barrier(bus)
    assert bus['reports'].accepted == [('inst-a', {'n': 1})]
    # Refused with one warning naming the claimed sender, no ERROR
    # traceback from oslo.messaging.
    assert [r.levelname for r in refusals()] == ['WARNING']
    assert 'inst-a' in refusals()[0].getMessage()
    assert 'replay' in refusals()[0].getMessage()
    assert not [r for r in caplog.records if r.levelname == 'ERROR']


# -- what a refusal looks like in the log --------------------------------------

def _refusals(caplog):
    return [r for r in caplog.records
            if r.name == 'trove_lite.common.sealing']


def _errors(caplog):
    return [r for r in caplog.records
            if r.levelname in ('ERROR', 'CRITICAL')]


def test_a_forged_report_is_one_warning_over_the_bus(bus, caplog):
    _send(bus, 'inst-a', sealing.generate_key(), 'inst-a')
    assert waiting.wait_for(lambda: _refusals(caplog))
    _call_barrier(bus)
    assert bus['reports'].accepted == []
    [refusal] = _refusals(caplog)
    assert refusal.levelname == 'WARNING'
    assert refusal.getMessage() == (
        'Refused a sealed message claiming to come from inst-a: A message '
        'was not sealed with the key of the instance it claims to come '
        'from.')
    assert not _errors(caplog)


class _Forged(sealing.GuestSerializer):
    """Seals properly, then claims ``claim`` as the sender on the wire."""

    def __init__(self, claim):
        super().__init__('inst-a', sealing.generate_key())
        self.claim = claim

    def serialize_context(self, ctxt):
        sealed = super().serialize_context(ctxt)
        sealed[sealing.SENDER] = self.claim
        return sealed


@pytest.mark.parametrize('claim', [['inst-a'], {'id': 'inst-a'}, 7, None,
                                   'inst-a\nFAKE LOG LINE'])
def test_a_sender_that_is_no_instance_id_is_one_warning(bus, caplog, claim):
    rpc.get_client(bus['topic'], '1.0', serializer=_Forged(claim)).cast(
        context.get_admin_context(), 'heartbeat', instance_id='inst-a',
        payload={})
    assert waiting.wait_for(lambda: _refusals(caplog))
    _call_barrier(bus)
    assert bus['reports'].accepted == []
    [refusal] = _refusals(caplog)
    assert refusal.levelname == 'WARNING'
    # One line, whatever the sender claimed to be.
    assert '\n' not in refusal.getMessage()
    assert not _errors(caplog)


def test_the_conductor_refuses_a_context_that_is_no_dict():
    conductor = sealing.ConductorSerializer({}.get)
    with pytest.raises(sealing.RefusedMessage):
        conductor.deserialize_context(['not', 'a', 'context'])


class _Echo:
    target = oslo_messaging.Target(version='1.0')

    def echo(self, ctxt, value):
        return value


@pytest.fixture
def guest_server(memory_bus):  # noqa: F811
    """An agent-like server sealing with inst-a's key."""
    key = sealing.generate_key()
    topic = rpc_fixtures.unique_topic('guest')
    server = service.RPCService(topic, 'inst-a', _Echo(),
                                sealing.GuestSerializer('inst-a', key))
    server.start()
    yield topic, key
    server.stop()
    server.wait()


def test_a_refused_call_answers_its_caller_at_once(guest_server, caplog):
    topic, key = guest_server
    ctxt = context.get_admin_context()
    genuine = rpc.get_client(topic, '1.0', timeout=30, serializer=sealing.
                             GuestSerializer('inst-a', key))
    assert rpc.call(genuine, ctxt, 'echo', 'the guest', value=1) == 1
    # NOTE(timeouts): a refusal that left the caller waiting would end in
    # RPCTimeout after 30 s; the caller gets the refusal instead.
    forged = rpc.get_client(topic, '1.0', timeout=30, serializer=sealing.
                            GuestSerializer('inst-a', sealing.generate_key()))
    with pytest.raises(exception.UnsealError) as caught:
        rpc.call(forged, ctxt, 'echo', 'the guest', value=2)
    assert 'not sealed with the key' in str(caught.value)
    [refusal] = _refusals(caplog)
    assert refusal.levelname == 'WARNING'
    assert 'claiming to come from inst-a' in refusal.getMessage()
    assert not _errors(caplog)


def test_a_refused_reply_is_one_warning_for_the_caller(guest_server,
                                                       caplog):
    topic, key = guest_server

    class SealsRepliesWrongly(sealing.GuestSerializer):
        # The request is sealed right; the reply is "unsealed" with
        # another key, as if a rogue agent had answered.
        def deserialize_entity(self, ctxt, entity):
            self.key = sealing.generate_key()
            return super().deserialize_entity(ctxt, entity)

    client = rpc.get_client(topic, '1.0', timeout=30,
                            serializer=SealsRepliesWrongly('inst-a', key))
    with pytest.raises(exception.UnsealError):
        rpc.call(client, context.get_admin_context(), 'echo', 'the guest',
                 value=1)
    [refusal] = _refusals(caplog)
    assert refusal.levelname == 'WARNING'
    assert not _errors(caplog)
