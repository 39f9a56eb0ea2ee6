"""The management instance routes: show, stop, reboot, rpc_ping, and the
refused migrate and rebuild.
"""

import pytest

from tests.unit.api.conftest import member
from tests.unit.rpc_fixtures import conf_overrides  # noqa: F401
from tests.unit.rpc_fixtures import memory_bus  # noqa: F401
from tests.unit.rpc_fixtures import start_service  # noqa: F401
from trove_lite.common import states
from trove_lite.db.repositories import instances as instance_repo
from trove_lite.db.repositories import local_servers
from trove_lite.db.repositories import root_history
from trove_lite.db.repositories import workflows as workflow_repo

IMAGE = '8c1d5b9e-3f4a-4e2b-9a6c-0d7e8f9a1b2c'


def _action(client, instance_id, body, **kwargs):
    return client.v1('POST', '/mgmt/instances/%s/action' % instance_id,
                     body=body, **kwargs)


def test_show_has_server_volume_root_and_guest_status(client, ctx,
                                                      guest_instance):
    instance = guest_instance()
    instance_repo.update(ctx, instance.id, compute_instance_id='srv-1',
                         volume_id='vol-1',
                         addresses=[{'address': '127.77.0.9',
                                     'type': 'private'}])
    local_servers.allocate(ctx, instance.id, '/tmp/x', 'host-a',
                           '127.77.0.0/24')
    root_history.enable(ctx, instance.id, 'admin-user')
    shown = client.v1('GET', '/mgmt/instances/%s' % instance.id
                      ).json['instance']
    assert shown['server']['id'] == 'srv-1'
    assert shown['server']['host'] == 'host-a'
    assert shown['server']['name'] == shown['name']
    assert shown['server']['addresses'] == [{'address': '127.77.0.9',
                                             'type': 'private'}]
    assert shown['volume']['id'] == 'vol-1'
    assert shown['volume']['size'] == 1
    assert shown['volume']['status'] == 'in-use'
    assert shown['root_enabled_by'] == 'admin-user'
    assert shown['root_enabled']
    assert shown['guest_status'] == {'state_description': 'healthy'}
    assert shown['tenant_id'] == 'p1'


def test_stop_stops_the_datastore(client, ctx, guest_instance):
    instance = guest_instance()
    assert _action(client, instance.id, {'stop': {}}).status_int == 202
    assert instance.datastore.status() is states.SVC_SHUTDOWN


def test_stop_is_refused_while_a_task_runs(client, ctx, guest_instance):
    instance = guest_instance()
    instance_repo.start(ctx, instance.id, 'restart', 'api@h:x')
    resp = _action(client, instance.id, {'stop': {}})
    assert resp.status_int == 422
    assert instance.datastore.status() is states.SVC_HEALTHY


def test_reboot_runs_the_restart_workflow(client, ctx, guest_instance,
                                          taskmanager):
    instance = guest_instance()
    assert _action(client, instance.id, {'reboot': {}}).status_int == 202
    method, kwargs = taskmanager.wait()
    assert (method, kwargs['instance_id']) == ('restart', instance.id)
    record = workflow_repo.get(ctx, kwargs['workflow_id'])
    assert record.operation == 'restart'
    row = instance_repo.get(ctx, instance.id)
    assert states.task(row.task_id) is states.REBOOTING


def test_reboot_brings_back_a_failed_instance(client, ctx, guest_instance,
                                              taskmanager):
    instance = guest_instance()
    instance_repo.start(ctx, instance.id, 'restart', 'api@h:x')
    instance_repo.finish(ctx, instance.id, 'restart_failed', 'api@h:x')
    # A tenant's restart is refused from an error; an admin's reboot not.
    resp = client.v1('POST', '/instances/%s/action' % instance.id,
                     body={'restart': {}})
    assert resp.status_int == 422
    assert _action(client, instance.id, {'reboot': {}}).status_int == 202
    assert taskmanager.wait()[0] == 'restart'


def test_rpc_ping_answers_204(client, guest_instance):
    instance = guest_instance()
    resp = client.v1('GET', '/mgmt/instances/%s/rpc_ping' % instance.id)
    assert resp.status_int == 204


def test_rpc_ping_of_a_silent_guest_is_a_guest_timeout(client, ctx,
                                                       guest_instance,
                                                       override):
    override('agent_call_low_timeout', 1)
    instance = guest_instance(guest=False)
    resp = client.v1('GET', '/mgmt/instances/%s/rpc_ping' % instance.id)
    assert resp.status_int == 400


@pytest.mark.parametrize('body,words', [
    ({'migrate': {}}, 'cannot migrate'),
    ({'migrate': {'host': 'other'}}, 'cannot migrate'),
    ({'rebuild': {'image_id': IMAGE}}, 'upgrade the instance'),
])
def test_migrate_and_rebuild_are_501(client, ctx, guest_instance, body,
                                     words):
    instance = guest_instance()
    resp = _action(client, instance.id, body)
    assert resp.status_int == 501
    assert words in resp.json['notImplemented']['message']
    row = instance_repo.get(ctx, instance.id)
    assert states.task(row.task_id) is states.NONE


@pytest.mark.parametrize('body', [
    {'rebuild': {}}, {'rebuild': {'image_id': 'not-a-uuid'}},
    {'rebuild': {'image_id': IMAGE, 'extra': 1}}, {'resize': {}},
    {'stop': {}, 'reboot': {}},
])
def test_malformed_actions_are_400(client, guest_instance, body):
    instance = guest_instance()
    assert _action(client, instance.id, body).status_int == 400


@pytest.mark.parametrize('method,suffix,body', [
    ('POST', '/action', {'reboot': {}}),
    ('POST', '/action', {'stop': {}}),
    ('GET', '/rpc_ping', None),
    ('GET', '', None),
])
def test_non_admins_get_401(client, guest_instance, method, suffix, body):
    instance = guest_instance()
    resp = client.v1(method, '/mgmt/instances/%s%s' % (instance.id, suffix),
                     body=body, headers=member())
    assert resp.status_int == 401
    assert instance.datastore.status() is states.SVC_HEALTHY


def test_unknown_instance_is_404(client, mysql):
    missing = '00000000-0000-4000-8000-00000000ffff'
    assert _action(client, missing, {'reboot': {}}).status_int == 404
    assert client.v1('GET', '/mgmt/instances/%s/rpc_ping' % missing
                     ).status_int == 404
