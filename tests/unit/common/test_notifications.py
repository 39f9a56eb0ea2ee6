"""Operation and usage notifications, on oslo.messaging's test driver."""

import datetime
import types

from oslo_messaging.notify import _impl_test as notify_test_driver
import pytest

from tests.unit.rpc_fixtures import conf_overrides  # noqa: F401
from tests.unit.rpc_fixtures import memory_bus  # noqa: F401
from tests.unit.rpc_fixtures import notifications as sent  # noqa: F401
from trove_lite.common import context as trove_context
from trove_lite.common import notifications
from trove_lite.common import rpc

CONF = rpc.cfg.CONF


@pytest.fixture
def ctx():
    return trove_context.RequestContext(
        user_id='u1', project_id='p1', auth_token='a-token',
        request_id='req-1', overwrite=False)


@pytest.fixture
def request_():
    return types.SimpleNamespace(remote_addr='10.0.0.9',
                                 host='api.example:8779')


def _operation(ctx, request_, **traits):
    return notifications.Operation.for_request(
        ctx, notifications.INSTANCE_DELETE, request_, instance_id='i1',
        **traits)


def test_noop_by_default(memory_bus, ctx, request_):  # noqa: F811
    assert rpc.NOTIFIER.is_enabled() is False
    assert not notifications.enabled()
    notify_test_driver.reset()
    with _operation(ctx, request_) as operation:
        assert not operation.active
        assert operation.hand_off() is None
    operation.error('boom')
    notifications.send_usage(ctx, notifications.TASKMANAGER, 'create', {})
    assert notify_test_driver.NOTIFICATIONS == []


def test_not_initialised_is_off():
    rpc.cleanup()
    assert not notifications.enabled()


def test_named_driver_is_enabled(memory_bus):  # noqa: F811
    memory_bus.set('driver', ['log'], group='oslo_messaging_notifications')
    rpc.cleanup()
    rpc.init(CONF)
    assert notifications.enabled()


def test_start_and_end(sent, ctx, request_):  # noqa: F811
    with _operation(ctx, request_) as operation:
        operation.update(extra='x')
    assert sent.types() == ['dbaas.instance_delete.start',
                            'dbaas.instance_delete.end']
    start = sent.of('dbaas.instance_delete.start')
    assert start['publisher_id'] == 'trove-lite-api.%s' % CONF.host
    assert start['priority'] == 'INFO'
    assert start['payload'] == {
        'request_id': 'req-1', 'server_type': 'api',
        'client_ip': '10.0.0.9', 'server_ip': 'api.example:8779',
        'tenant_id': 'p1', 'instance_id': 'i1'}
    assert sent.of('dbaas.instance_delete.end')['payload']['extra'] == 'x'
    # The requester's context travels, never its token.
    assert start['context']['request_id'] == 'req-1'
    assert start['context']['project_id'] == 'p1'
    assert not start['context'].get('auth_token')


def test_error_when_the_block_raises(sent, ctx, request_):  # noqa: F811
    with pytest.raises(ValueError):
        with _operation(ctx, request_):
            raise ValueError('no such thing')
    assert sent.types() == ['dbaas.instance_delete.start',
                            'dbaas.instance_delete.error']
    payload = sent.of('dbaas.instance_delete.error')['payload']
    assert payload['message'] == 'no such thing'
    assert payload['exception'] == ['ValueError: no such thing\n']
    assert payload['instance_id'] == 'i1'


def test_no_secret_in_any_payload(sent, ctx, request_):  # noqa: F811
    with _operation(ctx, request_, password='s1',
                    users=[{'name': 'a', 'password': 's2',
                            'databases': [{'name': 'd'}]}],
                    root_password='s3') as operation:
        operation.update(admin_pass='s4', auth_token='s5')
    for message in sent.all():
        for secret in ('s1', 's2', 's3', 's4', 's5'):
            assert secret not in repr(message['payload'])
    assert sent.of('dbaas.instance_delete.end')['payload']['users'] == [
        {'name': 'a', 'databases': [{'name': 'd'}]}]


def test_hand_off_and_resume(sent, ctx, request_):  # noqa: F811
    with _operation(ctx, request_) as operation:
        carried = operation.hand_off()
    # The API hands off: start only.
    assert sent.types() == ['dbaas.instance_delete.start']
    resumed = notifications.Operation.resume(ctx, carried,
                                             notifications.TASKMANAGER)
    resumed.end()
    end = sent.of('dbaas.instance_delete.end')
    assert end['publisher_id'] == 'taskmanager.%s' % CONF.host
    assert end['payload']['server_type'] == 'taskmanager'
    assert end['payload']['request_id'] == 'req-1'
    assert end['payload']['client_ip'] == '10.0.0.9'


def test_error_after_hand_off(sent, ctx, request_):  # noqa: F811
    with pytest.raises(RuntimeError):
        with _operation(ctx, request_) as operation:
            operation.hand_off()
            raise RuntimeError('the cast failed')
    assert sent.types() == ['dbaas.instance_delete.start',
                            'dbaas.instance_delete.error']


def test_resume_of_nothing_is_inactive(sent, ctx):  # noqa: F811
    resumed = notifications.Operation.resume(ctx, None,
                                             notifications.TASKMANAGER)
    resumed.end()
    resumed.error('x')
    assert sent.all() == []


def test_a_broken_notifier_never_fails_the_operation(
        sent, ctx, request_, monkeypatch):  # noqa: F811
    tried = []

    def broken(*args, **kwargs):
        tried.append(args)
        raise RuntimeError('broker down')
    monkeypatch.setattr(rpc.NOTIFIER, 'info', broken)
    monkeypatch.setattr(rpc, 'get_notifier', lambda publisher: rpc.NOTIFIER)
    done = []
    with _operation(ctx, request_):
        done.append(True)
    # The operation ran and ended although every notification failed.
    assert done == [True]
    assert tried


def _row(**values):
    row = dict(id='i1', name='db1', tenant_id='p1', flavor_id='7',
               compute_instance_id='s1', volume_id=None, volume_size=2,
               region_id='R1', created=datetime.datetime(2026, 1, 2, 3, 4, 5))
    row.update(values)
    return types.SimpleNamespace(**row)


def test_usage_payload(memory_bus, override):  # noqa: F811
    override('notification_service_id', {'mysql': 'svc-uuid'})
    version = types.SimpleNamespace(
        name='10.11', manager='mysql',
        datastore=types.SimpleNamespace(name='mariadb'))
    flavor = types.SimpleNamespace(name='m1.small', ram=2048)
    payload = notifications.usage_payload(_row(), flavor, version,
                                          state='active')
    assert payload == {
        'tenant_id': 'p1', 'instance_id': 'i1', 'instance_name': 'db1',
        'name': 'db1', 'instance_type_id': '7', 'instance_type': 'm1.small',
        'instance_size': 2048, 'memory_mb': 2048, 'nova_instance_id': 's1',
        'nova_volume_id': None, 'volume_size': 2,
        'created_at': '2026-01-02T03:04:05Z',
        'launched_at': '2026-01-02T03:04:05Z', 'region': 'R1',
        'availability_zone': None, 'datastore': 'mariadb',
        'datastore_version': '10.11', 'service_id': 'svc-uuid',
        'state': 'active', 'state_description': 'active'}


def test_usage_payload_without_flavor_or_version(memory_bus):  # noqa: F811
    payload = notifications.usage_payload(_row(region_id=None))
    assert payload['instance_type'] is None
    assert payload['service_id'] is None
    assert payload['region'] == CONF.os_region_name


def test_send_usage(sent, ctx):  # noqa: F811
    notifications.send_usage(ctx, notifications.TASKMANAGER,
                             notifications.USAGE_DELETE, {'instance_id': 'i1'})
    message = sent.of('trove.instance.delete')
    assert message['publisher_id'] == 'taskmanager.%s' % CONF.host
    assert message['payload'] == {'instance_id': 'i1'}
