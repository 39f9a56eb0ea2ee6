"""The embedded shape's driver: guest identities the in-process bus
checks, tried with real oslo.messaging and kombu clients on the bus."""

import uuid

import kombu
import oslo_messaging
import pytest

from tests.unit.rpc_fixtures import conf_overrides  # noqa: F401
from tests.unit.rpc_fixtures import memory_bus  # noqa: F401
from tests import waiting
from trove_lite.broker import base
from trove_lite.broker import memory
from trove_lite.common import memory_bus as bus
from trove_lite.common import rpc
from trove_lite import conf

CONF = conf.CONF


class Endpoint:
    def __init__(self):
        self.received = []

    def ping(self, ctxt):
        return 'pong'

    def heartbeat(self, ctxt, instance_id):
        self.received.append(instance_id)


@pytest.fixture
def world(memory_bus):  # noqa: F811
    driver = memory.MemoryDriver()
    exchange = CONF.control_exchange
    report = 'conductor_%s' % uuid.uuid4().hex[:8]
    grants = []
    for _ in range(2):
        instance_id = str(uuid.uuid4())
        grants.append(base.Grant(instance_id, 'guestagent.%s' % instance_id,
                                 instance_id, report, exchange))
    identities = [driver.create_identity(None, g) for g in grants]
    servers, transports = [], []

    def serve(transport, topic, server_name, endpoint):
        server = oslo_messaging.get_rpc_server(
            transport, oslo_messaging.Target(topic=topic,
                                             server=server_name),
            [endpoint], executor='threading')
        server.start()
        servers.append(server)

    def transport_of(index):
        transport = oslo_messaging.get_rpc_transport(
            CONF, url=identities[index]['transport_url'])
        transports.append(transport)
        return transport

    yield {'driver': driver, 'grants': grants, 'identities': identities,
           'serve': serve, 'transport_of': transport_of, 'report': report}
    for server in servers:
        server.stop()
        server.wait()
    for transport in transports:
        transport.cleanup()
    for g in grants:
        driver.delete_identity(None, g.instance_id)


def kombu_url(identity):
    return identity['transport_url'].replace('kombu+', '')


def test_guest_serves_its_topic_and_casts_to_conductor(world):
    grant = world['grants'][0]
    world['serve'](world['transport_of'](0), grant.topic, grant.server,
                   Endpoint())
    client = oslo_messaging.get_rpc_client(
        rpc.get_rpc_transport(), oslo_messaging.Target(topic=grant.topic),
        timeout=10)
    assert client.call({}, 'ping') == 'pong'

    conductor = Endpoint()
    world['serve'](rpc.get_rpc_transport(), world['report'], 'c1',
                   conductor)
    guest_client = oslo_messaging.get_rpc_client(
        world['transport_of'](0),
        oslo_messaging.Target(topic=world['report']))
    guest_client.cast({}, 'heartbeat', instance_id=grant.instance_id)
    assert waiting.wait_for(lambda: conductor.received == [grant.instance_id])


def test_guest_cannot_touch_another_guests_queue(world):
    other = world['grants'][1]
    with kombu.Connection(kombu_url(world['identities'][0])) as conn:
        channel = conn.channel()
        for queue in (other.topic, other.topic + '.' + other.server):
            with pytest.raises(bus.AccessRefused):
                channel.basic_get(queue)
            with pytest.raises(bus.AccessRefused):
                channel.basic_consume(queue, True, lambda m: None, 'tag')
            with pytest.raises(bus.AccessRefused):
                channel.queue_purge(queue)


@pytest.mark.parametrize('exchange, routing_key', [
    ('control', 'taskmanager'), ('control', 'other guest'),
    ('', 'taskmanager'), ('', 'other guest'), ('amq.topic', 'report')])
def test_guest_publishes_only_to_conductor_and_replies(world, exchange,
                                                       routing_key):
    keys = {'taskmanager': 'taskmanager', 'report': world['report'],
            'other guest': world['grants'][1].topic}
    exchange = CONF.control_exchange if exchange == 'control' else exchange
    with kombu.Connection(kombu_url(world['identities'][0])) as conn:
        with pytest.raises(bus.AccessRefused):
            conn.channel().basic_publish(
                conn.channel().prepare_message('x'), exchange,
                keys[routing_key])


def test_guest_cannot_delete_the_control_exchange(world):
    with kombu.Connection(kombu_url(world['identities'][0])) as conn:
        with pytest.raises(bus.AccessRefused):
            conn.channel().exchange_delete(CONF.control_exchange)


def test_revoked_or_wrong_password_is_refused(world):
    url = kombu_url(world['identities'][0])
    user = world['driver'].user_name(world['grants'][0].instance_id)
    wrong = url.replace(user + ':', user + ':x')
    with kombu.Connection(wrong) as conn:
        with pytest.raises(bus.AccessRefused):
            conn.channel().basic_get(world['grants'][0].topic)
    world['driver'].delete_identity(None, world['grants'][0].instance_id)
    with kombu.Connection(url) as conn:
        with pytest.raises(bus.AccessRefused):
            conn.channel().basic_get(world['grants'][0].topic)


def test_identity_url_names_its_user():
    grant = base.Grant('a1', 'guestagent.a1', 'a1', 'c', 'e')
    driver = memory.MemoryDriver()
    try:
        transport = driver.create_identity(None, grant)
        assert transport['transport_url'].startswith(
            'kombu+trove-lite-memory://trove-guest-a1:')
        assert transport['transport_url'] not in repr(transport)
    finally:
        driver.delete_identity(None, 'a1')


def test_restore_grants_only_the_instances_own_identity(world):
    driver = world['driver']
    [mine, other] = world['grants']
    url = world['identities'][0]['transport_url']
    driver.delete_identity(None, mine.instance_id)
    assert not driver.restore_identity(other, url)
    assert not driver.restore_identity(mine, 'rabbit://u:p@mq:5672/')
    with kombu.Connection(kombu_url(world['identities'][0])) as conn:
        with pytest.raises(bus.AccessRefused):
            conn.channel().basic_get(mine.topic)
    assert driver.restore_identity(mine, url)
    with kombu.Connection(kombu_url(world['identities'][0])) as conn:
        conn.channel().queue_declare(mine.topic)
        assert conn.channel().basic_get(mine.topic) is None
