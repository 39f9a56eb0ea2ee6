"""The taskmanager client's backup (API 1.6), replication (1.7) and
resize (1.8), access (1.9) and upgrade (1.10) casts.
"""

from unittest import mock

import oslo_messaging
import pytest

from tests.unit.rpc_fixtures import conf_overrides  # noqa: F401
from tests.unit.rpc_fixtures import memory_bus  # noqa: F401
from trove_lite.taskmanager import rpcapi


@pytest.fixture
def api(memory_bus):  # noqa: F811
    api = rpcapi.TaskManagerAPI()
    api.client = mock.create_autospec(oslo_messaging.RPCClient,
                                      instance=True)
    api.client.can_send_version.return_value = True
    return api


def test_the_version_is_1_10():
    assert rpcapi.TaskManagerAPI.RPC_API_VERSION == '1.10'


def test_update_access_is_a_1_9_wake_up(api, ctx):
    api.update_access(ctx, 'i1', notification=None, holder='h',
                      workflow_id='w1')
    api.client.prepare.assert_called_once_with(version='1.9')
    api.client.prepare.return_value.cast.assert_called_once_with(
        ctx, 'update_access', instance_id='i1', workflow_id='w1')


def test_update_access_waits_for_a_claim_below_1_9(api, ctx):
    api.client.can_send_version.side_effect = lambda v: v != '1.9'
    api.update_access(ctx, 'i1', workflow_id='w1')
    api.client.prepare.assert_not_called()


def test_the_upgrade_cast_is_a_1_10_wake_up(api, ctx):
    api.upgrade(ctx, 'i1', notification={'n': 1}, holder='h',
                workflow_id='w1')
    api.client.can_send_version.assert_called_with('1.10')
    api.client.prepare.assert_called_once_with(version='1.10')
    api.client.prepare.return_value.cast.assert_called_once_with(
        ctx, 'upgrade', instance_id='i1', workflow_id='w1')


def test_capped_below_1_10_no_upgrade_is_sent(api, ctx):
    api.client.can_send_version.return_value = False
    api.upgrade(ctx, 'i1', workflow_id='w1')
    api.client.prepare.assert_not_called()


@pytest.mark.parametrize('method', ['promote_to_replica_source',
                                    'eject_replica_source', 'detach_replica'])
def test_replication_casts_are_1_7_wake_ups(api, ctx, method):
    getattr(api, method)(ctx, 'i1', notification={'n': 1}, holder='h',
                         workflow_id='w1')
    api.client.can_send_version.assert_called_with('1.7')
    api.client.prepare.assert_called_once_with(version='1.7')
    cctxt = api.client.prepare.return_value
    cctxt.cast.assert_called_once_with(ctx, method, instance_id='i1',
                                       workflow_id='w1')


@pytest.mark.parametrize('method', ['resize_volume', 'resize_flavor'])
def test_resize_casts_are_1_8_wake_ups(api, ctx, method):
    getattr(api, method)(ctx, 'i1', notification={'n': 1}, holder='h',
                         workflow_id='w1')
    api.client.can_send_version.assert_called_with('1.8')
    api.client.prepare.assert_called_once_with(version='1.8')
    api.client.prepare.return_value.cast.assert_called_once_with(
        ctx, method, instance_id='i1', workflow_id='w1')


def test_a_cap_below_1_8_sends_no_resize(api, ctx):
    api.client.can_send_version.return_value = False
    api.resize_volume(ctx, 'i1', workflow_id='w1')
    api.client.prepare.assert_not_called()


@pytest.mark.parametrize('method', ['promote_to_replica_source',
                                    'eject_replica_source', 'detach_replica'])
def test_replication_casts_wait_for_a_claim_below_1_7(api, ctx, method):
    api.client.can_send_version.return_value = False
    getattr(api, method)(ctx, 'i1', workflow_id='w1')
    api.client.prepare.assert_not_called()


@pytest.mark.parametrize('method', ['create_backup', 'delete_backup'])
def test_backup_casts_are_1_6(api, ctx, method):
    getattr(api, method)(ctx, 'b1', 'w1')
    api.client.can_send_version.assert_called_with('1.6')
    api.client.prepare.assert_called_once_with(version='1.6')
    api.client.prepare.return_value.cast.assert_called_once_with(
        ctx, method, backup_id='b1', workflow_id='w1')


@pytest.mark.parametrize('method', ['create_backup', 'delete_backup'])
def test_capped_below_1_6_nothing_is_sent(api, ctx, method):
    api.client.can_send_version.return_value = False
    getattr(api, method)(ctx, 'b1', 'w1')
    api.client.prepare.assert_not_called()
