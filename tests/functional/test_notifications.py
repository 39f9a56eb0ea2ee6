"""Notifications on the real RabbitMQ.

``trove-lite-all`` runs with the fake compute driver (no database server
needed) and ``[oslo_messaging_notifications] driver = messagingv2`` on
the machine's RabbitMQ, under a topic and exchange of this run's own; the
test listens with an oslo.messaging notification listener, drives an
instance through create, restart, a database, a user and delete over the
REST API, and checks the events upstream Trove would have sent: who sent
them, in which order, and with which fields.
"""

import threading
import uuid

import kombu
from oslo_config import cfg
import oslo_messaging
import pytest
import requests

from tests.functional import embedded as embedded_shape
from tests.functional import fixtures

PROJECT = embedded_shape.PROJECT
HOST = 'notify-%s' % uuid.uuid4().hex[:8]


class Recorder:
    """A notification endpoint that keeps every INFO event it gets."""

    def __init__(self):
        self.events = []
        self._cond = threading.Condition()

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        with self._cond:
            self.events.append({'publisher_id': publisher_id,
                                'event_type': event_type,
                                'payload': payload, 'context': ctxt})
            self._cond.notify_all()

    def types(self):
        with self._cond:
            return [event['event_type'] for event in self.events]

    def wait_for(self, event_type, deadline=60):
        with self._cond:
            if not self._cond.wait_for(
                    lambda: any(event['event_type'] == event_type
                                for event in self.events), deadline):
                raise AssertionError('no %s; got %s' % (
                    event_type, [e['event_type'] for e in self.events]))

    def of(self, event_type):
        [found] = [event for event in self.events
                   if event['event_type'] == event_type]
        return found


@pytest.fixture(scope='module')
def listener():
    """Listen on ``<topic>.info`` of an exchange of this run's own."""
    exchange = fixtures.unique_exchange('trove_lite_notify')
    topic = '%s_notifications' % exchange
    conf = cfg.ConfigOpts()
    conf([], project='trove-lite-test', default_config_files=[])
    transport = oslo_messaging.get_notification_transport(
        conf, url=fixtures.RABBIT_URL)
    recorder = Recorder()
    server = oslo_messaging.get_notification_listener(
        transport, [oslo_messaging.Target(topic=topic, exchange=exchange)],
        [recorder], executor='threading')
    server.start()
    yield {'exchange': exchange, 'topic': topic, 'recorder': recorder}
    server.stop()
    server.wait()
    transport.cleanup()
    # NOTE(rabbit): oslo.messaging leaves its queue and exchange behind;
    # this run's are of no use to anyone else.
    with kombu.Connection(fixtures.RABBIT_URL.replace('rabbit://',
                                                      'amqp://')) as conn:
        channel = conn.default_channel
        channel.queue_delete('%s.info' % topic)
        channel.exchange_delete(exchange)


@pytest.fixture(scope='module')
def embedded(listener):
    # NOTE(state): a service of its own, whose notifications go to this
    # module's listener.
    with embedded_shape.start_fake(
            sections={'oslo_messaging_notifications': {
                'driver': 'messagingv2', 'topics': listener['topic'],
                'transport_url': fixtures.RABBIT_URL}},
            host=HOST, control_exchange=listener['exchange']) as service:
        yield service


def _wait_active(embedded, instance_id, deadline=60):
    return embedded_shape.wait_for(embedded, instance_id, ['ACTIVE'],
                                   deadline=deadline)


def _post(embedded, path, body, status=202):
    resp = requests.post(embedded.endpoint + path, json=body, timeout=30)
    assert resp.status_code == status, resp.text
    return resp


# Operations in the order the test runs them, and who ends each.
OPERATIONS = [('instance_create', 'taskmanager'),
              ('instance_restart', 'taskmanager'),
              ('database_create', 'trove-lite-api'),
              ('user_create', 'trove-lite-api'),
              ('instance_delete', 'taskmanager')]


def test_an_instance_life_in_notifications(embedded, listener):
    recorder = listener['recorder']
    resp = _post(embedded, '/instances', {'instance': {
        'name': 'notified', 'flavorRef': '1', 'volume': {'size': 1},
        'datastore': {'type': 'fake', 'version': '1.0'}}}, status=200)
    instance_id = resp.json()['instance']['id']
    _wait_active(embedded, instance_id)
    recorder.wait_for('trove.instance.create')
    _post(embedded, '/instances/%s/action' % instance_id, {'restart': {}})
    recorder.wait_for('dbaas.instance_restart.end')
    _wait_active(embedded, instance_id)
    _post(embedded, '/instances/%s/databases' % instance_id,
          {'databases': [{'name': 'app'}]})
    _post(embedded, '/instances/%s/users' % instance_id, {'users': [
        {'name': 'alice', 'password': 'n0t-in-any-event',
         'databases': [{'name': 'app'}]}]})
    assert requests.delete('%s/instances/%s' % (embedded.endpoint, instance_id),
                           timeout=10).status_code == 202
    recorder.wait_for('trove.instance.delete')
    recorder.wait_for('dbaas.instance_delete.end')

    types = recorder.types()
    assert sorted(types) == sorted(
        ['dbaas.%s.%s' % (operation, phase) for operation, _ in OPERATIONS
         for phase in ('start', 'end')]
        + ['trove.instance.create', 'trove.instance.delete']), types
    starts = [types.index('dbaas.%s.start' % operation)
              for operation, _ in OPERATIONS]
    assert starts == sorted(starts), types
    for operation, ender in OPERATIONS:
        start = recorder.of('dbaas.%s.start' % operation)
        end = recorder.of('dbaas.%s.end' % operation)
        assert types.index(end['event_type']) > types.index(
            start['event_type']), types
        assert start['publisher_id'] == 'trove-lite-api.%s' % HOST
        assert end['publisher_id'] == '%s.%s' % (ender, HOST)
        assert start['payload']['server_type'] == 'api'
        assert end['payload']['server_type'] == ender.replace(
            'trove-lite-', '')
        for event in (start, end):
            assert event['payload']['tenant_id'] == PROJECT
            assert event['payload']['request_id'] == start['payload'][
                'request_id']
            assert event['context']['project_id'] == PROJECT
            assert not event['context'].get('auth_token')
        assert end['payload']['instance_id'] == instance_id
    created = recorder.of('dbaas.instance_create.start')['payload']
    assert created['name'] == 'notified' and created['flavor_id'] == '1'
    assert (created['datastore'], created['datastore_version']) == (
        'fake', '1.0')
    assert recorder.of('dbaas.database_create.end')['payload'][
        'dbname'] == 'app'
    assert recorder.of('dbaas.user_create.end')['payload'][
        'username'] == 'alice'
    assert 'n0t-in-any-event' not in repr(recorder.events)

    usage = recorder.of('trove.instance.create')
    assert usage['publisher_id'] == 'taskmanager.%s' % HOST
    assert usage['payload']['instance_id'] == instance_id
    assert usage['payload']['instance_name'] == 'notified'
    assert usage['payload']['tenant_id'] == PROJECT
    assert usage['payload']['state'] == 'active'
    assert usage['payload']['instance_type_id'] == '1'
    assert usage['payload']['instance_size'] > 0
    assert usage['payload']['volume_size'] == 1
    assert usage['payload']['datastore'] == 'fake'
    assert usage['payload']['created_at'].endswith('Z')
    deleted = recorder.of('trove.instance.delete')['payload']
    assert deleted['instance_id'] == instance_id
    assert deleted['state'] == 'deleted' and deleted['deleted_at']
    assert types.index('trove.instance.create') < types.index(
        'dbaas.instance_restart.start')
