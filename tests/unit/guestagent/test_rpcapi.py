"""Tests for the guest agent RPC client and the agent's endpoint."""

from unittest import mock
import uuid

import oslo_messaging
import pytest

from tests.unit import rpc_fixtures
from tests.unit.rpc_fixtures import conf_overrides  # noqa: F401
from tests.unit.rpc_fixtures import memory_bus  # noqa: F401
from tests.unit.rpc_fixtures import start_service  # noqa: F401
from trove_lite.common import context
from trove_lite.common import exception
from trove_lite.guestagent import rpcapi
from trove_lite.guestagent import service as guest_service
from trove_lite import version

CONF = rpc_fixtures.CONF


@pytest.fixture
def instance_id():
    return str(uuid.uuid4())


@pytest.fixture
def api(memory_bus, instance_id):  # noqa: F811
    return rpcapi.GuestAgentAPI(context.get_admin_context(), instance_id)


@pytest.fixture
def agent(memory_bus, start_service, instance_id):  # noqa: F811
    endpoint = guest_service.GuestAgentEndpoint(instance_id)
    start_service(rpcapi.topic_for(instance_id), instance_id, endpoint)
    return endpoint


def test_versions_in_sync():
    assert (guest_service.RPC_API_VERSION
            == rpcapi.GuestAgentAPI.RPC_API_VERSION)
    assert (guest_service.GuestAgentEndpoint.target.version
            == guest_service.RPC_API_VERSION)


def test_topic_for():
    assert rpcapi.topic_for('abc') == 'guestagent.abc'


def test_client_target(api, instance_id):
    assert api.client.target.topic == 'guestagent.%s' % instance_id
    assert api.client.target.server == instance_id
    assert api.client.target.version == '1.0'
    assert api.client.version_cap is None


def test_upgrade_level_caps_client(memory_bus, instance_id):  # noqa: F811
    memory_bus.set('guestagent', '1.0', group='upgrade_levels')
    api = rpcapi.GuestAgentAPI(context.get_admin_context(), instance_id)
    assert api.client.version_cap == '1.0'
    assert not api.client.can_send_version('1.1')


def test_cap_below_call_version_refuses(memory_bus,  # noqa: F811
                                        instance_id):
    memory_bus.set('guestagent', '0.9', group='upgrade_levels')
    api = rpcapi.GuestAgentAPI(context.get_admin_context(), instance_id)
    with pytest.raises(oslo_messaging.RPCVersionCapError):
        api.rpc_ping()


def test_rpc_ping_sends_explicit_version_and_low_timeout(api):
    with mock.patch.object(api, 'client') as client:
        api.rpc_ping()
    client.prepare.assert_called_once_with(
        version='1.0', timeout=CONF.agent_call_low_timeout)
    client.prepare.return_value.call.assert_called_once_with(
        api.context, 'rpc_ping')


def test_rpc_ping_answers(api, agent, instance_id):
    assert api.rpc_ping() == {
        'service': 'guestagent', 'host': CONF.host,
        'version': version.VERSION,
        'rpc_api_version': guest_service.RPC_API_VERSION,
        'instance_id': instance_id}


def test_other_instances_agent_does_not_answer(memory_bus,  # noqa: F811
                                               agent):
    memory_bus.set('agent_call_low_timeout', 1)
    other = rpcapi.GuestAgentAPI(context.get_admin_context(), 'other-id')
    with pytest.raises(exception.RPCTimeout) as caught:
        other.rpc_ping()
    assert 'other-id' in str(caught.value)


def test_error_crosses_rpc_with_class(api, agent):
    agent.rpc_ping = mock.Mock(
        side_effect=exception.NotFound(uuid='db1'))
    with pytest.raises(exception.NotFound) as caught:
        api.rpc_ping()
    assert type(caught.value) is exception.NotFound
    assert str(caught.value) == 'Resource db1 cannot be found.'


# -- replication (API 1.4) -------------------------------------------------------

@pytest.mark.parametrize('method, args, sent, timeout', [
    ('get_replication_snapshot', ({'id': 's'},), {'snapshot_info': {'id': 's'}},
     'agent_replication_snapshot_timeout'),
    ('attach_replica', ({'host': 'h'},), {'source_info': {'host': 'h'}},
     'agent_call_high_timeout'),
    ('promote_to_replica_source', (), {}, 'agent_call_high_timeout'),
    ('fence_replica_source', (), {}, 'agent_call_high_timeout'),
    ('detach_replica', (), {}, 'agent_call_high_timeout'),
    ('remove_replica', ('r1',), {'replica_id': 'r1'},
     'agent_call_high_timeout'),
    ('get_replication_state', (), {}, 'agent_call_low_timeout'),
])
def test_replication_calls_are_1_4(api, method, args, sent, timeout):
    with mock.patch.object(api, 'client') as client:
        client.can_send_version.return_value = True
        getattr(api, method)(*args)
    client.can_send_version.assert_called_once_with('1.4')
    client.prepare.assert_called_once_with(
        version='1.4', timeout=getattr(CONF, timeout))
    client.prepare.return_value.call.assert_called_once_with(
        api.context, method, **sent)


@pytest.mark.parametrize('method, args', [
    ('get_replication_snapshot', ()), ('attach_replica', ({},)),
    ('promote_to_replica_source', ()), ('get_replication_state', ())])
def test_replication_needs_an_agent_of_1_4(memory_bus, instance_id,  # noqa
                                           method, args):
    memory_bus.set('guestagent', '1.3', group='upgrade_levels')
    api = rpcapi.GuestAgentAPI(context.get_admin_context(), instance_id)
    with pytest.raises(exception.GuestAPIIncompatible) as caught:
        getattr(api, method)(*args)
    assert '1.4' in str(caught.value)


@pytest.mark.parametrize('kwargs, version', [
    ({}, '1.1'),
    ({'restore_info': {'chain': []}}, '1.3'),
    ({'replica_info': {'source': {}}}, '1.4'),
    ({'replica_info': {'source': {}}, 'restore_info': {'chain': []}}, '1.4'),
    ({'overrides': {'max_connections': 5}}, '1.5'),
    ({'overrides': {}, 'restore_info': {'chain': []}}, '1.5'),
])
def test_prepare_sends_what_it_was_given_at_its_version(api, kwargs,
                                                        version):
    with mock.patch.object(api, 'client') as client:
        client.can_send_version.return_value = True
        api.prepare(512, [], [], **kwargs)
    client.prepare.assert_called_once_with(version=version)
    [cast] = client.prepare.return_value.cast.call_args_list
    assert {key: cast.kwargs[key] for key in kwargs} == kwargs
    assert set(cast.kwargs) == {'memory_mb', 'databases', 'users',
                                'root_password', 'volume_size'} | set(kwargs)


def test_a_replica_of_an_agent_older_than_1_4_is_refused(memory_bus,  # noqa
                                                         instance_id):
    memory_bus.set('guestagent', '1.3', group='upgrade_levels')
    api = rpcapi.GuestAgentAPI(context.get_admin_context(), instance_id)
    with pytest.raises(exception.GuestAPIIncompatible):
        api.prepare(512, [], [], replica_info={'source': {}})


# -- configuration groups (API 1.5) ------------------------------------------------

@pytest.mark.parametrize('method, args, sent, timeout', [
    ('apply_configuration', ({'max_connections': 5}, 512),
     {'overrides': {'max_connections': 5}, 'memory_mb': 512},
     'agent_call_high_timeout'),
    ('get_configuration_defaults', (512,), {'memory_mb': 512},
     'agent_call_low_timeout'),
])
def test_configuration_calls_are_1_5(api, method, args, sent, timeout):
    with mock.patch.object(api, 'client') as client:
        client.can_send_version.return_value = True
        getattr(api, method)(*args)
    client.can_send_version.assert_called_once_with('1.5')
    client.prepare.assert_called_once_with(
        version='1.5', timeout=getattr(CONF, timeout))
    client.prepare.return_value.call.assert_called_once_with(
        api.context, method, **sent)


@pytest.mark.parametrize('call', [
    lambda api: api.apply_configuration({}, 512),
    lambda api: api.get_configuration_defaults(512),
    lambda api: api.prepare(512, [], [], overrides={'a': 1}),
])
def test_configuration_needs_an_agent_of_1_5(memory_bus, instance_id,  # noqa
                                             call):
    memory_bus.set('guestagent', '1.4', group='upgrade_levels')
    api = rpcapi.GuestAgentAPI(context.get_admin_context(), instance_id)
    with pytest.raises(exception.GuestAPIIncompatible) as caught:
        call(api)
    assert '1.5' in str(caught.value)


# -- resize (API 1.6) ---------------------------------------------------------------

@pytest.mark.parametrize('method, args, sent', [
    ('resize_flavor', (2048,), {'memory_mb': 2048}),
    ('resize_fs', (3,), {'volume_size': 3}),
])
def test_resize_calls_are_1_6(api, method, args, sent):
    with mock.patch.object(api, 'client') as client:
        client.can_send_version.return_value = True
        getattr(api, method)(*args)
    client.can_send_version.assert_called_once_with('1.6')
    client.prepare.assert_called_once_with(
        version='1.6', timeout=CONF.agent_call_high_timeout)
    client.prepare.return_value.call.assert_called_once_with(
        api.context, method, **sent)


@pytest.mark.parametrize('call', [
    lambda api: api.resize_flavor(2048),
    lambda api: api.resize_fs(3),
])
def test_resize_needs_an_agent_of_1_6(memory_bus, instance_id, call):  # noqa
    memory_bus.set('guestagent', '1.5', group='upgrade_levels')
    api = rpcapi.GuestAgentAPI(context.get_admin_context(), instance_id)
    with pytest.raises(exception.GuestAPIIncompatible) as caught:
        call(api)
    assert '1.6' in str(caught.value)


# -- guest logs (API 1.8) ------------------------------------------------------

def test_guest_log_list_sends_1_8_with_the_low_timeout(api):
    with mock.patch.object(api, 'client') as client:
        client.can_send_version.return_value = True
        api.guest_log_list()
    client.prepare.assert_called_once_with(
        version='1.8', timeout=CONF.agent_call_low_timeout)
    client.prepare.return_value.call.assert_called_once_with(
        api.context, 'guest_log_list')


def test_guest_log_action_sends_every_flag(api):
    with mock.patch.object(api, 'client') as client:
        client.can_send_version.return_value = True
        api.guest_log_action('general', enable=1, publication={'x': 1},
                             long_query_time=1000)
    client.prepare.assert_called_once_with(
        version='1.8', timeout=CONF.agent_call_high_timeout)
    client.prepare.return_value.call.assert_called_once_with(
        api.context, 'guest_log_action', log_name='general', enable=True,
        disable=False, publish=False, discard=False,
        publication={'x': 1}, long_query_time=1000)


def test_guest_logs_need_an_agent_of_1_8(memory_bus, instance_id):  # noqa
    memory_bus.set('guestagent', '1.7', group='upgrade_levels')
    api = rpcapi.GuestAgentAPI(context.get_admin_context(), instance_id)
    with pytest.raises(exception.GuestAPIIncompatible) as caught:
        api.guest_log_list()
    assert '1.8' in str(caught.value)
