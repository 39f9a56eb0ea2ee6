"""Tests for the conductor RPC client and its server-side manager."""

from unittest import mock

import oslo_messaging
import pytest

from tests.unit import rpc_fixtures
from tests.unit.rpc_fixtures import conf_overrides  # noqa: F401
from tests.unit.rpc_fixtures import memory_bus  # noqa: F401
from tests.unit.rpc_fixtures import start_service  # noqa: F401
from trove_lite.common import context
from trove_lite.common import exception
from trove_lite.conductor import manager
from trove_lite.conductor import rpcapi
from trove_lite import version

CONF = rpc_fixtures.CONF


@pytest.fixture
def topic(memory_bus):  # noqa: F811
    name = rpc_fixtures.unique_topic('conductor')
    memory_bus.set('conductor_queue', name)
    return name


@pytest.fixture
def ctxt():
    return context.get_admin_context()


def test_versions_in_sync():
    assert manager.RPC_API_VERSION == rpcapi.ConductorAPI.RPC_API_VERSION
    assert manager.Manager.target.version == manager.RPC_API_VERSION


def test_client_target(topic):
    api = rpcapi.ConductorAPI()
    assert api.client.target.topic == topic
    assert api.client.target.version == rpcapi.ConductorAPI.BASE_VERSION
    assert api.client.target.server is None


def test_latest_means_uncapped(topic):
    assert rpcapi.ConductorAPI().client.version_cap is None


def test_upgrade_level_caps_client(topic, memory_bus):  # noqa: F811
    memory_bus.set('conductor', '1.0', group='upgrade_levels')
    api = rpcapi.ConductorAPI()
    assert api.client.version_cap == '1.0'
    assert api.client.can_send_version('1.0')
    assert not api.client.can_send_version('1.1')


def test_cap_below_call_version_refuses(topic, memory_bus,  # noqa: F811
                                        ctxt):
    memory_bus.set('conductor', '0.9', group='upgrade_levels')
    with pytest.raises(oslo_messaging.RPCVersionCapError):
        rpcapi.ConductorAPI().rpc_ping(ctxt)


def test_rpc_ping_sends_explicit_version(topic, ctxt):
    api = rpcapi.ConductorAPI()
    with mock.patch.object(api, 'client') as client:
        client.prepare.return_value.call.return_value = {'host': 'h'}
        assert api.rpc_ping(ctxt, host='h1') == {'host': 'h'}
    client.prepare.assert_called_once_with(
        version='1.0', server='h1', timeout=CONF.rpc_ping_timeout)
    client.prepare.return_value.call.assert_called_once_with(ctxt, 'rpc_ping')


def test_rpc_ping_answers(topic, start_service, ctxt):  # noqa: F811
    start_service(topic, 'cd-host', manager.Manager())
    answer = rpcapi.ConductorAPI().rpc_ping(ctxt)
    assert answer == {'service': 'conductor', 'host': CONF.host,
                      'version': version.VERSION, 'rpc_api_version': '1.0'}
    assert rpcapi.ConductorAPI().rpc_ping(ctxt, host='cd-host') == answer


def test_rpc_ping_timeout(topic, memory_bus, ctxt):  # noqa: F811
    memory_bus.set('rpc_ping_timeout', 1)
    with pytest.raises(exception.RPCTimeout) as caught:
        rpcapi.ConductorAPI().rpc_ping(ctxt)
    assert 'conductor' in str(caught.value)


def test_error_crosses_rpc_with_class(topic, start_service,  # noqa: F811
                                      ctxt):
    endpoint = manager.Manager()
    endpoint.rpc_ping = mock.Mock(side_effect=exception.ServiceUnavailable())
    start_service(topic, 'cd-host', endpoint)
    with pytest.raises(exception.ServiceUnavailable) as caught:
        rpcapi.ConductorAPI().rpc_ping(ctxt)
    assert type(caught.value) is exception.ServiceUnavailable
    assert str(caught.value) == exception.ServiceUnavailable.message
