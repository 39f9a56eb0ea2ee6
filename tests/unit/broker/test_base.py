"""The broker-identity interface: grants, the guest's options, loading."""

import re

import pytest

from tests.unit import rpc_fixtures
from trove_lite.broker import base
from trove_lite.broker import fake
from trove_lite.broker import memory
from trove_lite.broker import rabbitmq

GRANT = base.Grant(instance_id='a1', topic='guestagent.a1', server='a1',
                   report_topic='trove-conductor', exchange='trove')


@pytest.mark.parametrize('name', [
    'guestagent.a1', 'guestagent.a1.a1', 'guestagent.a1_fanout',
    'guestagent.a1_fanout_0123abcd'])
def test_consume_pattern_covers_own_queues(name):
    assert re.fullmatch(GRANT.consume_pattern(), name)


@pytest.mark.parametrize('name', [
    'guestagent.b1', 'guestagent.a10', 'guestagent.a1.b1', 'guestagent.a1x',
    'guestagent_a1', 'guestagent.a1_fanout_XYZ', 'taskmanager',
    'trove-conductor'])
def test_consume_pattern_excludes_others(name):
    assert not re.fullmatch(GRANT.consume_pattern(), name)


def test_consume_pattern_escapes_names():
    grant = base.Grant('a.1', 'guestagent.a.1', 'a.1', 'c', 'e')
    assert not re.fullmatch(grant.consume_pattern(), 'guestagentXaX1')


def test_guest_transport_hides_the_url_in_repr():
    transport = base.GuestTransport(transport_url='rabbit://u:s3cret@h//',
                                    control_exchange='trove')
    assert 's3cret' not in repr(transport) and 's3cret' not in str(transport)
    assert "'control_exchange': 'trove'" in repr(transport)
    assert transport['transport_url'] == 'rabbit://u:s3cret@h//'


@pytest.mark.parametrize('url, expected', [
    ('kombu+trove-lite-memory:////', 'memory'),
    ('kombu+memory:////', 'memory'),
    ('fake://', 'memory'),
    ('rabbit://u:p@mq:5672/', 'rabbitmq'),
])
def test_auto_resolves_from_the_transport(override, url, expected):
    rpc_fixtures.register_messaging_opts()
    override('transport_url', url)
    assert base.driver_name() == expected


def test_named_driver_wins_over_auto(override):
    override('driver', 'shared', group='guest_broker')
    assert base.driver_name() == 'shared'


@pytest.mark.parametrize('name, cls', [
    ('rabbitmq', rabbitmq.RabbitMQDriver), ('memory', memory.MemoryDriver),
    ('fake', fake.FakeDriver)])
def test_load_driver_from_entry_points(name, cls):
    assert isinstance(base.load_driver(name), cls)


def test_load_unknown_driver_names_namespace_and_driver():
    with pytest.raises(base.BrokerError) as err:
        base.load_driver('nonesuch')
    assert 'nonesuch' in str(err.value)
    assert base.NAMESPACE in str(err.value)
