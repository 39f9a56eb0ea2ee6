"""The clients built on ``rpc.ServiceClient`` and their managers.

The taskmanager and the conductor share the same client mechanics (one
topic, a cap from ``[upgrade_levels]``, ``rpc_ping``), so every test runs
for both.
"""

from unittest import mock

import oslo_messaging
import pytest

from tests.unit import rpc_fixtures
from tests.unit.rpc_fixtures import conf_overrides  # noqa: F401
from tests.unit.rpc_fixtures import memory_bus  # noqa: F401
from tests.unit.rpc_fixtures import start_service  # noqa: F401
from trove_lite.common import exception
from trove_lite.conductor import manager as conductor_manager
from trove_lite.conductor import rpcapi as conductor_rpcapi
from trove_lite.taskmanager import manager as taskmanager_manager
from trove_lite.taskmanager import rpcapi as taskmanager_rpcapi
from trove_lite import version

CONF = rpc_fixtures.CONF

# (service name, its topic option, client class, manager module)
SERVICES = [
    ('conductor', 'conductor_queue', conductor_rpcapi.ConductorAPI,
     conductor_manager),
    ('taskmanager', 'taskmanager_queue', taskmanager_rpcapi.TaskManagerAPI,
     taskmanager_manager),
]


@pytest.fixture(params=SERVICES, ids=[s[0] for s in SERVICES])
def service(request):
    name, option, client_class, manager = request.param
    return {'name': name, 'option': option, 'api': client_class,
            'manager': manager}


@pytest.fixture
def topic(memory_bus, service):  # noqa: F811
    name = rpc_fixtures.unique_topic(service['name'])
    memory_bus.set(service['option'], name)
    return name


def test_versions_in_sync(service):
    manager = service['manager']
    assert manager.RPC_API_VERSION == service['api'].RPC_API_VERSION
    assert manager.Manager.target.version == manager.RPC_API_VERSION


def test_client_target(service, topic):
    api = service['api']()
    assert api.client.target.topic == topic
    assert api.client.target.version == service['api'].BASE_VERSION
    assert api.client.target.server is None


def test_latest_means_uncapped(service, topic):
    assert service['api']().client.version_cap is None


def test_upgrade_level_caps_client(service, topic, memory_bus):  # noqa: F811
    memory_bus.set(service['name'], '1.0', group='upgrade_levels')
    api = service['api']()
    assert api.client.version_cap == '1.0'
    assert api.client.can_send_version('1.0')
    assert not api.client.can_send_version('1.1')


def test_cap_below_call_version_refuses(service, topic, memory_bus,  # noqa: F811
                                        ctx):
    memory_bus.set(service['name'], '0.9', group='upgrade_levels')
    with pytest.raises(oslo_messaging.RPCVersionCapError):
        service['api']().rpc_ping(ctx)


def test_rpc_ping_sends_explicit_version(service, topic, ctx):
    api = service['api']()
    with mock.patch.object(api, 'client') as client:
        client.prepare.return_value.call.return_value = {'host': 'h'}
        assert api.rpc_ping(ctx, host='h1') == {'host': 'h'}
    client.prepare.assert_called_once_with(
        version='1.0', server='h1', timeout=CONF.rpc_ping_timeout)
    client.prepare.return_value.call.assert_called_once_with(ctx, 'rpc_ping')


def test_rpc_ping_answers(service, topic, start_service, ctx):  # noqa: F811
    start_service(topic, 'cd-host', service['manager'].Manager())
    answer = service['api']().rpc_ping(ctx)
    assert answer == {'service': service['name'], 'host': CONF.host,
                      'version': version.VERSION,
                      'rpc_api_version': service['manager'].RPC_API_VERSION}
    assert service['api']().rpc_ping(ctx, host='cd-host') == answer


def test_rpc_ping_timeout(service, topic, memory_bus, ctx):  # noqa: F811
    memory_bus.set('rpc_ping_timeout', 1)
    with pytest.raises(exception.RPCTimeout) as caught:
        service['api']().rpc_ping(ctx)
    assert service['name'] in str(caught.value)


def test_error_crosses_rpc_with_class(service, topic, start_service,  # noqa: F811
                                      ctx):
    endpoint = service['manager'].Manager()
    endpoint.rpc_ping = mock.Mock(side_effect=exception.ServiceUnavailable())
    start_service(topic, 'cd-host', endpoint)
    with pytest.raises(exception.ServiceUnavailable) as caught:
        service['api']().rpc_ping(ctx)
    assert type(caught.value) is exception.ServiceUnavailable
    assert str(caught.value) == exception.ServiceUnavailable.message
