"""The instance routes: validation, task test-and-set, casts, views."""

from concurrent import futures
import datetime
import time

import pytest

from tests.unit.api.conftest import member
from tests.unit import rpc_fixtures
from tests.unit.rpc_fixtures import conf_overrides  # noqa: F401
from tests.unit.rpc_fixtures import memory_bus  # noqa: F401
from tests.unit.rpc_fixtures import notifications  # noqa: F401
from tests.unit.rpc_fixtures import start_service  # noqa: F401
from tests import waiting
from trove_lite.common import policy
from trove_lite.common import states
from trove_lite.db import api as db_api
from trove_lite.db import models
from trove_lite.db.repositories import datastores
from trove_lite.db.repositories import instances as instance_repo
from trove_lite.db.repositories import root_history
from trove_lite.db.repositories import workflows as workflow_repo


NET = '6f1c2a9e-4b1d-4c3e-9a7b-2d5e8f0a1b3c'


def _body(**fields):
    instance = {'name': 'db1', 'flavorRef': '1', 'volume': {'size': 1},
                'datastore': {'type': 'mysql', 'version': '10.11'}}
    instance.update(fields)
    return {'instance': instance}


def _create(client, **fields):
    return client.v1('POST', '/instances', body=_body(**fields))


@pytest.fixture
def created(client, mysql, flavor_rows, taskmanager):
    resp = _create(client, databases=[{'name': 'app'}],
                   users=[{'name': 'app', 'password': 'secret',
                           'databases': [{'name': 'app'}]}])
    assert resp.status_int == 200, resp.text
    taskmanager.wait()
    return resp.json['instance']


def test_create_answers_build_and_casts(created, taskmanager, ctx):
    assert created['status'] == 'BUILD'
    assert created['operating_status'] == ''
    assert created['datastore'] == {'type': 'mysql', 'version': '10.11',
                                    'version_number': '10.11'}
    assert created['flavor']['id'] == '1'
    assert created['volume'] == {'size': 1}
    method, kwargs = taskmanager.calls[-1]
    assert method == 'create_instance'
    assert kwargs['instance_id'] == created['id']
    # The secrets are in the workflow record (encrypted), not the message.
    assert kwargs['users'] is None and kwargs['root_password'] is None
    record = workflow_repo.get(ctx, kwargs['workflow_id'])
    assert (record.resource_id, record.operation, record.owner) == (
        created['id'], 'create', None)
    assert 'secret' not in record.arguments
    arguments = workflow_repo.open_arguments(record.arguments)
    assert arguments['databases'] == [{'name': 'app'}]
    assert arguments['users'][0]['password'] == 'secret'
    assert arguments['users'][0]['host'] == '%'


def test_create_uses_the_default_version(client, mysql, flavor_rows,
                                         taskmanager):
    resp = _create(client, datastore={'type': 'mysql'})
    assert resp.json['instance']['datastore']['version'] == '10.11'


@pytest.mark.parametrize('fields,status,text', [
    ({'users': [{'name': 'root', 'password': 'pw'}]}, 400, 'reserved'),
    ({'databases': [{'name': 'mysql'}]}, 400, 'reserved'),
    ({'databases': [{'name': 'bad`name'}]}, 400, 'Invalid database name'),
    ({'users': [{'name': 'os_admin', 'password': 'pw'}]}, 400, 'reserved'),
    ({'databases': [{'name': 'app', 'character_set': 'utf8;'}]}, 400,
     'character set'),
])
def test_create_checks_initial_names_with_the_datastore(
        client, mysql, flavor_rows, ctx, fields, status, text):
    resp = _create(client, **fields)
    assert resp.status_int == status, resp.text
    assert text in resp.text
    assert instance_repo.list_instances(ctx) == []


def test_create_keeps_the_placement_for_the_driver(
        client, mysql, flavor_rows, taskmanager, ctx):
    resp = _create(client, nics=[{'net-id': NET, 'ip_address': '10.0.0.9'}],
                   availability_zone='az-2', locality='anti-affinity')
    assert resp.status_int == 200, resp.text
    row = instance_repo.get(ctx, resp.json['instance']['id'])
    assert instance_repo.networks_of(row) == [
        {'net_id': NET, 'ip_address': '10.0.0.9'}]
    assert (row.availability_zone, row.locality) == ('az-2',
                                                     'anti-affinity')
    assert resp.json['instance']['locality'] == 'anti-affinity'


@pytest.mark.parametrize('fields,text', [
    ({'locality': 'near'}, 'Locality must be one of affinity, '
                           'anti-affinity.'),
    ({'nics': [{'subnet_id': NET}]}, 'A nic needs its network'),
])
def test_create_refuses_a_bad_placement(client, mysql, flavor_rows, ctx,
                                        fields, text):
    resp = _create(client, **fields)
    assert resp.status_int == 400, resp.text
    assert text in resp.json['badRequest']['message']
    assert instance_repo.list_instances(ctx) == []


def test_create_refuses_databases_on_a_datastore_without_them(
        client, flavor_rows, ctx):
    datastores.update_datastore(ctx, 'redis')
    datastores.upsert_version(ctx, 'redis', '7.0', 'redis')
    resp = _create(client, datastore={'type': 'redis', 'version': '7.0'},
                   databases=[{'name': 'app'}])
    assert resp.status_int == 422, resp.text
    assert resp.json['unprocessableEntity']['message'] == (
        'The databases feature is not supported by the redis datastore.')
    assert instance_repo.list_instances(ctx) == []


def test_show_list_and_detail(client, created):
    shown = client.v1('GET', '/instances/%s' % created['id']).json[
        'instance']
    assert shown['id'] == created['id'] and shown['status'] == 'BUILD'
    [listed] = client.v1('GET', '/instances').json['instances']
    assert listed['name'] == 'db1' and 'created' not in listed
    [detailed] = client.v1('GET', '/instances/detail').json['instances']
    assert 'created' in detailed


def test_show_by_name_is_404(client, created):
    resp = client.v1('GET', '/instances/db1')
    assert resp.status_int == 404
    assert list(resp.json) == ['itemNotFound']


def test_other_projects_do_not_see_it(client, created):
    path = '/v1.0/p2/instances/%s' % created['id']
    for method, body in (('GET', None), ('DELETE', None),
                         ('PUT', {'instance': {'name': 'x'}}),
                         ('POST', {'restart': {}})):
        resp = client.request(method, path + ('/action' if method == 'POST'
                                              else ''),
                              body=body, headers=member())
        assert resp.status_int == 404, (method, resp.text)
        assert list(resp.json) == ['itemNotFound']
    assert client.request('GET', '/v1.0/p2/instances',
                          headers=member()).json == {'instances': []}


def test_an_admin_of_another_project_shows_resets_and_deletes_it(
        client, created, taskmanager, ctx):
    """Upstream's cleanup tooling: an admin scoped to its own project
    reaches a tenant's instance by id through the tenant routes.
    """
    path = '/v1.0/p2/instances/%s' % created['id']
    shown = client.request('GET', path)
    assert shown.status_int == 200, shown.text
    assert shown.json['instance']['id'] == created['id']
    # Still BUILDING: the stuck instance the tooling cleans up.
    resp = client.request('POST', path + '/action',
                          body={'reset_status': {}})
    assert resp.status_int == 202, resp.text
    row = instance_repo.get(ctx, created['id'])
    assert states.task(row.task_id) is states.NONE
    assert row.lock_holder is None
    assert client.request('DELETE', path).status_int == 202
    method, kwargs = taskmanager.wait()
    assert (method, kwargs['instance_id']) == ('delete_instance',
                                               created['id'])
    # Lists stay the caller's project's; the owner still sees its own.
    assert client.request('GET', '/v1.0/p2/instances').json == {
        'instances': []}
    assert instance_repo.get(ctx, created['id']).tenant_id == 'p1'


def test_active_healthy_with_addresses_and_usage(client, created,
                                                 ctx):
    iid = created['id']
    instance_repo.update(ctx, iid, server_status='ACTIVE',
                         addresses=[{'address': '127.77.0.2',
                                     'type': 'private'}])
    instance_repo.finish(ctx, iid, 'build_done', None)
    instance_repo.record_heartbeat(ctx, iid, 1.0,
                                   states.SVC_HEALTHY, '0.1.0',
                                   volume_used=0.25, volume_total=1.0)
    shown = client.v1('GET', '/instances/%s' % iid).json['instance']
    assert shown['status'] == 'ACTIVE'
    assert shown['operating_status'] == 'HEALTHY'
    assert shown['ip'] == ['127.77.0.2']
    assert shown['addresses'] == [{'address': '127.77.0.2',
                                   'type': 'private'}]
    assert shown['volume'] == {'size': 1, 'used': 0.25,
                               'used_percent': 25.0}


def test_lost_guest_shows_error(client, created, ctx, override):
    iid = created['id']
    instance_repo.update(ctx, iid, server_status='ACTIVE')
    instance_repo.finish(ctx, iid, 'build_done', None)
    instance_repo.record_heartbeat(ctx, iid, 1.0,
                                   states.SVC_HEALTHY, '0.1.0')
    shown = client.v1('GET', '/instances/%s' % iid).json['instance']
    assert shown['operating_status'] == 'HEALTHY'
    with db_api.writer.using(ctx) as session:
        session.query(models.AgentHeartbeat).filter_by(
            instance_id=iid).update({'updated_at': models.utcnow() -
                                     datetime.timedelta(seconds=91)})
    shown = client.v1('GET', '/instances/%s' % iid).json['instance']
    assert shown['operating_status'] == 'ERROR'


def test_error_shows_the_fault(client, created, ctx):
    iid = created['id']
    instance_repo.finish(ctx, iid, 'build_failed_guest', None)
    instance_repo.add_fault(ctx, iid, 'MariaDB did not start.',
                            'mariadbd: port in use')
    shown = client.v1('GET', '/instances/%s' % iid).json['instance']
    assert shown['status'] == 'ERROR'
    assert shown['fault']['message'] == 'MariaDB did not start.'
    assert shown['fault']['details'] == 'mariadbd: port in use'  # admin
    as_member = client.v1('GET', '/instances/%s' % iid,
                          headers=member()).json['instance']
    assert as_member['fault']['details'] is None


def test_restart_needs_an_active_instance(client, created, taskmanager,
                                          ctx):
    path = '/instances/%s/action' % created['id']
    resp = client.v1('POST', path, body={'restart': {}})
    assert resp.status_int == 422
    assert list(resp.json) == ['unprocessableEntity']
    instance_repo.finish(ctx, created['id'], 'build_done', None)
    assert client.v1('POST', path, body={'restart': {}}).status_int == 202
    method, kwargs = taskmanager.wait()
    assert (method, kwargs['instance_id']) == ('restart', created['id'])
    # The cast carries the holder the test-and-set recorded.
    row = instance_repo.get(ctx, created['id'])
    assert kwargs['holder'] == row.lock_holder
    assert row.lock_holder.startswith('api@%s:' % rpc_fixtures.CONF.host)
    shown = client.v1('GET', '/instances/%s' % created['id']).json
    assert shown['instance']['status'] == 'REBOOT'


def test_delete_works_while_building(client, created, taskmanager,
                                     ctx):
    resp = client.v1('DELETE', '/instances/%s' % created['id'])
    assert resp.status_int == 202
    method, kwargs = taskmanager.wait()
    assert (method, kwargs['instance_id']) == ('delete_instance',
                                               created['id'])
    row = instance_repo.get(ctx, created['id'])
    assert kwargs['holder'] == row.lock_holder is not None
    shown = client.v1('GET', '/instances/%s' % created['id']).json
    assert shown['instance']['status'] == 'SHUTDOWN'


# -- instance:force_delete -------------------------------------------------

@pytest.fixture
def no_force_delete(override, tmp_path):
    """A policy file that lets nobody force a delete."""
    rules = tmp_path / 'policy.yaml'
    rules.write_text('"instance:force_delete": "!"\n')
    override('policy_file', str(rules), group='oslo_policy')
    # The enforcer reads the file when it is made: make it afresh.
    policy.reset()


def _delete(client, instance_id, **kwargs):
    return client.v1('DELETE', '/instances/%s' % instance_id, **kwargs)


def _idle(ctx, instance_id):
    instance_repo.update(ctx, instance_id,
                         server_status=states.SERVER_ACTIVE)
    instance_repo.finish(ctx, instance_id, 'build_done', None)


def test_deleting_a_building_instance_needs_force_delete(
        client, created, taskmanager, ctx, no_force_delete):
    resp = _delete(client, created['id'])
    assert resp.status_int == 403, resp.text
    assert resp.json == {'forbidden': {'code': 403, 'message': (
        "Policy doesn't allow instance:force_delete to be performed.")}}
    row = instance_repo.get(ctx, created['id'])
    assert states.task(row.task_id) is states.BUILDING


@pytest.mark.parametrize('task', ['restart', 'held'])
def test_deleting_a_busy_instance_needs_force_delete(
        client, created, taskmanager, ctx, no_force_delete, task):
    _idle(ctx, created['id'])
    if task == 'restart':
        instance_repo.start(ctx, created['id'], 'restart', 'tm:worker')
    else:
        # A worker holds it between two tasks.
        instance_repo.update(ctx, created['id'], lock_holder='tm:worker')
    assert _delete(client, created['id']).status_int == 403
    assert instance_repo.get(ctx, created['id']).lock_holder == 'tm:worker'


@pytest.mark.parametrize('failed', [False, True])
def test_deleting_an_idle_instance_needs_only_delete(
        client, created, taskmanager, ctx, no_force_delete, failed):
    if failed:
        # A failed build is over: its error task is no running task.
        instance_repo.finish(ctx, created['id'], 'build_failed_guest', None)
    else:
        _idle(ctx, created['id'])
    assert _delete(client, created['id']).status_int == 202
    method, kwargs = taskmanager.wait()
    assert (method, kwargs['instance_id']) == ('delete_instance',
                                               created['id'])


def test_force_delete_is_checked_on_the_owner(client, created, taskmanager,
                                              monkeypatch):
    checked = []
    real = policy.authorize

    def spy(ctx, rule, target=None):
        checked.append((rule, target))
        return real(ctx, rule, target)

    monkeypatch.setattr(policy, 'authorize', spy)
    assert _delete(client, created['id'],
                   headers=member()).status_int == 202
    assert checked == [('instance:delete', {'tenant': 'p1'}),
                       ('instance:force_delete', {'tenant': 'p1'})]


def test_reset_status_with_force_delete_checks_force_delete(
        client, created, taskmanager, ctx, request):
    # Upstream's rule: a reset_status that carries force_delete is
    # checked against instance:force_delete instead of reset_status.
    path = '/instances/%s/action' % created['id']
    body = {'reset_status': {'force_delete': True}}
    resp = client.v1('POST', path, body=body, headers=member())
    assert resp.status_int == 202, resp.text
    row = instance_repo.get(ctx, created['id'])
    assert states.task(row.task_id) is states.NONE
    request.getfixturevalue('no_force_delete')
    resp = client.v1('POST', path, body=body)
    assert resp.status_int == 403
    assert resp.json['forbidden']['message'] == (
        "Policy doesn't allow instance:force_delete to be performed.")


def test_reset_status_is_admin_only(client, created):
    path = '/instances/%s/action' % created['id']
    resp = client.v1('POST', path, body={'reset_status': {}},
                     headers=member())
    assert resp.status_int == 403
    assert client.v1('POST', path, body={'reset_status': {}}).status_int \
        == 202
    shown = client.v1('GET', '/instances/%s' % created['id']).json
    assert shown['instance']['operating_status'] in ('', 'ERROR')


def test_rename(client, created):
    resp = client.v1('PUT', '/instances/%s' % created['id'],
                     body={'instance': {'name': 'renamed'}})
    assert resp.status_int == 202
    assert client.v1('GET', '/instances/%s' % created['id']).json[
        'instance']['name'] == 'renamed'


# -- resize ---------------------------------------------------------------------

def _active(ctx, instance_id):
    """The instance as a finished build leaves it: ACTIVE and HEALTHY."""
    instance_repo.update(ctx, instance_id,
                         server_status=states.SERVER_ACTIVE)
    instance_repo.finish(ctx, instance_id, 'build_done', None)
    instance_repo.record_heartbeat(ctx, instance_id, time.time(),
                                   states.SVC_HEALTHY, '0.1.0')
    return instance_repo.get(ctx, instance_id)


def _resize(client, instance_id, resize, **kwargs):
    return client.v1('POST', '/instances/%s/action' % instance_id,
                     body={'resize': resize}, **kwargs)


def test_resize_volume_is_a_recorded_workflow(client, created, taskmanager,
                                              ctx):
    _active(ctx, created['id'])
    resp = _resize(client, created['id'], {'volume': {'size': '3'}})
    assert resp.status_int == 202, resp.text
    method, kwargs = taskmanager.wait()
    assert (method, kwargs['instance_id']) == ('resize_volume',
                                               created['id'])
    row = instance_repo.get(ctx, created['id'])
    assert states.task(row.task_id) is states.RESIZING
    assert row.task_deadline is not None
    # The row keeps its size until the resize is done.
    assert row.volume_size == 1
    [workflow] = [w for w in workflow_repo.of_resource(ctx, 'instance', created['id'])
                  if w.operation == 'resize_volume']
    assert workflow.id == kwargs['workflow_id']
    assert workflow.holder == row.lock_holder
    assert workflow_repo.open_arguments(workflow.arguments) == {
        'new_size': 3, 'old_size': 1}
    shown = client.v1('GET', '/instances/%s' % created['id']).json
    assert shown['instance']['status'] == 'RESIZE'
    # Busy: another resize is refused.
    assert _resize(client, created['id'],
                   {'volume': {'size': 4}}).status_int == 422


def test_resize_flavor_is_a_recorded_workflow(client, created, taskmanager,
                                              ctx):
    _active(ctx, created['id'])
    resp = _resize(client, created['id'],
                   {'flavorRef': 'https://api/v1.0/p/flavors/2'})
    assert resp.status_int == 202, resp.text
    method, kwargs = taskmanager.wait()
    assert method == 'resize_flavor'
    [workflow] = [w for w in workflow_repo.of_resource(ctx, 'instance', created['id'])
                  if w.operation == 'resize_flavor']
    assert workflow_repo.open_arguments(workflow.arguments) == {
        'new_flavor_id': '2', 'old_flavor_id': '1'}
    row = instance_repo.get(ctx, created['id'])
    assert states.task(row.task_id) is states.RESIZING
    assert row.flavor_id == '1'


@pytest.mark.parametrize('resize,status,message', [
    ({'volume': {'size': 1}}, 400,
     "The new volume 'size' must be larger than the current volume size "
     "of '1'."),
    ({'volume': {'size': 11}}, 413,
     'Volume size 11 GB is larger than the largest accepted, 10 GB.'),
    ({'volume': {'size': 0}}, 400, None),
    ({'volume': {}}, 400, None),
    ({'flavorRef': '1'}, 400,
     "The new flavor id must be different than the current flavor id of "
     "'1'."),
    ({'flavorRef': '99'}, 400, 'Flavor 99 cannot be found.'),
    ({'volume': {'size': 2}, 'flavorRef': '2'}, 400,
     'Not allowed to resize volume and flavor at the same time.'),
    ({}, 400, 'Missing resize arguments.'),
])
def test_refused_resizes_change_nothing(client, created, taskmanager, ctx,
                                        override, resize, status, message):
    override('max_accepted_volume_size', 10)
    _active(ctx, created['id'])
    resp = _resize(client, created['id'], resize)
    assert resp.status_int == status, resp.text
    fault = resp.json['badRequest' if status == 400 else 'overLimit']
    if message:
        assert fault['message'] == message
    row = instance_repo.get(ctx, created['id'])
    assert states.task(row.task_id) is states.NONE and not row.lock_holder
    assert not [w for w in workflow_repo.of_resource(
        ctx, 'instance', created['id']) if w.operation.startswith('resize')]


def test_resizing_a_building_instance_is_422(client, created):
    for resize in ({'volume': {'size': 2}}, {'flavorRef': '2'}):
        resp = _resize(client, created['id'], resize)
        assert resp.status_int == 422, resp.text
        assert list(resp.json) == ['unprocessableEntity']


def test_a_resize_past_the_quota_is_413_and_changes_nothing(
        client, created, taskmanager, ctx, override):
    _active(ctx, created['id'])
    override('max_volumes_per_tenant', 2)
    resp = _resize(client, created['id'], {'volume': {'size': 3}})
    assert resp.status_int == 413
    assert resp.json['overLimit']['message'] == \
        'Quota exceeded for resources: volumes.'
    override('max_ram_per_tenant', 1024)
    resp = _resize(client, created['id'], {'flavorRef': '2'})
    assert resp.json['overLimit']['message'] == \
        'Quota exceeded for resources: ram.'
    row = instance_repo.get(ctx, created['id'])
    assert states.task(row.task_id) is states.NONE
    assert (row.volume_size, row.flavor_id) == (1, '1')
    # Within it: accepted.
    assert _resize(client, created['id'],
                   {'volume': {'size': 2}}).status_int == 202


def test_a_volume_resize_resizes_the_replicas_too(client, created,
                                                  taskmanager, ctx):
    _active(ctx, created['id'])
    replica = instance_repo.create(ctx, {
        'name': 'r', 'tenant_id': instance_repo.get(
            ctx, created['id']).tenant_id, 'flavor_id': '1',
        'volume_size': 1, 'slave_of_id': created['id'],
        'datastore_version_id': instance_repo.get(
            ctx, created['id']).datastore_version_id})
    _active(ctx, replica.id)
    assert _resize(client, created['id'],
                   {'volume': {'size': 2}}).status_int == 202
    for instance_id in (created['id'], replica.id):
        assert states.task(instance_repo.get(ctx, instance_id).task_id) \
            is states.RESIZING
    assert waiting.wait_for(lambda: {
        kwargs['instance_id'] for method, kwargs in taskmanager.calls
        if method == 'resize_volume'} == {created['id'], replica.id})


def test_resize_policies_are_checked(client, created, ctx, override,
                                     tmp_path):
    _active(ctx, created['id'])
    rules = tmp_path / 'policy.yaml'
    rules.write_text('"instance:resize_volume": "!"\n')
    override('policy_file', str(rules), group='oslo_policy')
    policy.reset()
    resp = _resize(client, created['id'], {'volume': {'size': 2}})
    assert resp.status_int == 403
    assert states.task(instance_repo.get(ctx, created['id']).task_id) is \
        states.NONE


@pytest.mark.parametrize('fields,status,fault', [
    ({'flavorRef': '99'}, 400, 'badRequest'),
    ({'datastore': {'type': 'nosuch'}}, 404, 'itemNotFound'),
    ({'datastore': {'type': 'mysql', 'version': '9.9'}}, 400, 'badRequest'),
    ({'datastore': {'type': 'mysql', 'version': '5.7'}}, 400, 'badRequest'),
    ({'volume': {'size': 0}}, 400, 'badRequest'),
    ({'volume': {'size': 11}}, 413, 'overLimit'),
    # NOTE(issue13): sizes no database column holds, refused before one.
    ({'volume': {'size': 2 ** 64}}, 413, 'overLimit'),
    ({'volume': {'size': '9' * 40}}, 413, 'overLimit'),
    ({'volume': None}, 400, 'badRequest'),
    ({'name': ''}, 400, 'badRequest'),
    ({'databases': [{'name': 'a'}, {'name': 'a'}]}, 400, 'badRequest'),
    ({'databases': [{'name': 'a'}],
      'users': [{'name': 'u', 'password': 'p'},
                {'name': 'u', 'password': 'q'}]}, 400, 'badRequest'),
    ({'users': [{'name': 'u', 'password': 'p',
                 'databases': [{'name': 'other'}]}]}, 400, 'badRequest'),
    ({'users': [{'name': 'u'}]}, 400, 'badRequest'),
])
def test_bad_requests_create_nothing(client, mysql, flavor_rows,
                                     taskmanager, ctx, fields,
                                     status, fault):
    body = _body()
    for key, value in fields.items():
        if value is None:
            body['instance'].pop(key)
        else:
            body['instance'][key] = value
    resp = client.v1('POST', '/instances', body=body)
    assert resp.status_int == status, resp.text
    assert list(resp.json) == [fault]
    assert instance_repo.list_instances(ctx) == []
    assert taskmanager.calls == []


def test_unsupported_datastore_is_501(client, ctx, flavor_rows,
                                      taskmanager):
    datastores.update_datastore(ctx, 'cassandra')
    datastores.upsert_version(ctx, 'cassandra', '4', 'cassandra')
    resp = _create(client, datastore={'type': 'cassandra', 'version': '4'})
    assert resp.status_int == 501


def test_no_datastore_and_no_default_is_404_in_plain_words(
        client, mysql, flavor_rows, taskmanager, override):
    override('default_datastore', None)
    body = _body()
    del body['instance']['datastore']
    resp = client.v1('POST', '/instances', body=body)
    assert resp.status_int == 404, resp.text
    assert resp.json['itemNotFound']['message'] == (
        'Please specify datastore. Default datastore cannot be found.')
    assert taskmanager.calls == []


def test_quota_exceeded(client, mysql, flavor_rows, taskmanager, override,
                        ctx):
    override('max_instances_per_tenant', 1)
    assert _create(client).status_int == 200
    resp = _create(client, name='db2')
    assert resp.status_int == 413
    assert resp.json['overLimit']['message'] == \
        'Quota exceeded for resources: instances.'
    assert len(instance_repo.list_instances(ctx)) == 1


def _in_use(client):
    quotas = client.v1('GET', '/mgmt/quotas/p1').json['quotas']
    return {q['resource']: q['in_use'] for q in quotas}


def _storm(client, count):
    with futures.ThreadPoolExecutor(count) as pool:
        return list(pool.map(lambda n: _create(client, name='db%d' % n),
                             range(count)))


def test_concurrent_creates_never_pass_the_last_slot(
        client, mysql, flavor_rows, taskmanager, ctx):
    assert client.v1('PUT', '/mgmt/quotas/p1',
                     body={'quotas': {'instances': 3}}).status_int == 200
    responses = _storm(client, 10)
    codes = sorted(resp.status_int for resp in responses)
    assert codes == [200] * 3 + [413] * 7
    for resp in responses:
        if resp.status_int == 413:
            assert resp.json['overLimit']['message'] == \
                'Quota exceeded for resources: instances.'
    live = instance_repo.list_instances(ctx, project_id='p1')
    assert len(live) == 3
    assert _in_use(client) == {'instances': 3, 'ram': 3 * 512,
                               'volumes': 3, 'backups': 0}

    # The taskmanager finishes two deletes; their slots are free again.
    for row in live[:2]:
        assert client.v1('DELETE', '/instances/%s' % row.id).status_int \
            == 202
        instance_repo.mark_deleted(ctx, row.id)
    assert _in_use(client)['instances'] == 1
    assert client.v1('GET', '/limits').json['limits'][0][
        'max_instances'] == 3

    codes = sorted(resp.status_int for resp in _storm(client, 6))
    assert codes == [200] * 2 + [413] * 4
    live = instance_repo.list_instances(ctx, project_id='p1')
    assert len(live) == 3 == _in_use(client)['instances']


def test_quota_counts_ram_and_volumes(client, mysql, flavor_rows,
                                      taskmanager, override):
    override('max_ram_per_tenant', 1000)
    override('max_volumes_per_tenant', 3)
    assert _create(client, volume={'size': 2}).status_int == 200
    resp = _create(client, name='db2', volume={'size': 2})
    assert resp.status_int == 413
    assert resp.json['overLimit']['message'] == \
        'Quota exceeded for resources: ram, volumes.'
    assert _in_use(client) == {'instances': 1, 'ram': 512, 'volumes': 2,
                               'backups': 0}


def test_pagination(client, mysql, flavor_rows, taskmanager):
    for number in range(3):
        assert _create(client, name='db%d' % number).status_int == 200
    page = client.v1('GET', '/instances?limit=2').json
    assert len(page['instances']) == 2 and page['links'][0]['rel'] == 'next'
    marker = max(i['id'] for i in page['instances'])
    rest = client.v1('GET', '/instances?limit=2&marker=%s' % marker).json
    assert len(rest['instances']) == 1 and 'links' not in rest


def test_mgmt_list_and_reset(client, created):
    listed = client.v1('GET', '/mgmt/instances').json['instances']
    assert listed[0]['tenant_id'] == 'p1'
    assert client.v1('GET', '/mgmt/instances', headers=member()
                     ).status_int == 401
    resp = client.v1('POST', '/mgmt/instances/%s/action' % created['id'],
                     body={'reset-task-status': {}})
    assert resp.status_int == 202


def test_root_on_create(client, mysql, flavor_rows, taskmanager, override,
                        ctx):
    override('root_on_create', True, group='mysql')
    override('default_password_length', 20, group='mysql')
    resp = _create(client)
    assert resp.status_int == 200, resp.text
    created = resp.json['instance']
    password = created['password']
    assert len(password) == 20
    method, kwargs = taskmanager.wait()
    record = workflow_repo.get(ctx, kwargs['workflow_id'])
    assert workflow_repo.open_arguments(record.arguments)[
        'root_password'] == password
    assert root_history.is_enabled(root_history.get(ctx,
                                                    created['id']))
    shown = client.v1('GET', '/instances/%s' % created['id']).json
    assert 'password' not in shown['instance']


def test_no_root_password_by_default(client, mysql, flavor_rows,
                                     taskmanager, ctx):
    created = _create(client).json['instance']
    assert 'password' not in created
    record = workflow_repo.get(ctx, taskmanager.wait()[1]['workflow_id'])
    assert workflow_repo.open_arguments(record.arguments)[
        'root_password'] is None
    assert root_history.get(ctx, created['id']) is None


def test_create_starts_its_notification_and_hands_it_off(
        notifications, client, mysql, flavor_rows, taskmanager):  # noqa: F811
    resp = _create(client, databases=[{'name': 'app'}],
                   users=[{'name': 'app', 'password': 'secret',
                           'databases': [{'name': 'app'}]}])
    assert resp.status_int == 200, resp.text
    method, kwargs = taskmanager.wait()
    # The taskmanager ends it; the API only starts it.
    assert notifications.types() == ['dbaas.instance_create.start']
    start = notifications.of('dbaas.instance_create.start')
    assert start['publisher_id'].startswith('trove-lite-api.')
    payload = start['payload']
    assert payload['name'] == 'db1' and payload['flavor_id'] == '1'
    assert payload['datastore'] == 'mysql'
    assert payload['datastore_version'] == '10.11'
    assert payload['databases'] == ['app'] and payload['users'] == ['app']
    assert payload['volume_size'] == 1
    assert payload['tenant_id'] == 'p1' and payload['server_type'] == 'api'
    assert 'secret' not in repr(payload)
    assert kwargs['notification'] == {
        'operation': 'instance_create',
        'payload': dict(payload, instance_id=resp.json['instance']['id'])}


def test_a_refused_create_sends_an_error(notifications, client,  # noqa: F811
                                         mysql, flavor_rows, override):
    override('max_instances_per_tenant', 0)
    resp = _create(client)
    assert resp.status_int == 413, resp.text
    assert notifications.types() == ['dbaas.instance_create.start',
                                     'dbaas.instance_create.error']


def test_rename_starts_and_ends(notifications, client, created):  # noqa: F811
    resp = client.v1('PUT', '/instances/%s' % created['id'],
                     body={'instance': {'name': 'db2'}})
    assert resp.status_int == 202
    assert [t for t in notifications.types() if 'update' in t] == [
        'dbaas.instance_update.start', 'dbaas.instance_update.end']
    assert notifications.of('dbaas.instance_update.end')['payload'][
        'name'] == 'db2'


# -- access (is_public, allowed_cidrs) ----------------------------------------

ACCESS = {'is_public': True, 'allowed_cidrs': ['127.0.0.2/32']}


@pytest.fixture
def idle(created, ctx, taskmanager):
    """The created instance, built (task NONE, no lock)."""
    assert instance_repo.finish(ctx, created['id'], 'build_done', None)
    taskmanager.calls.clear()
    return created


def _update(client, instance_id, method='PUT', **fields):
    return client.v1(method, '/instances/%s' % instance_id,
                     body={'instance': fields})


@pytest.mark.parametrize('method', ['PUT', 'PATCH'])
def test_a_change_of_access_is_a_recorded_workflow(client, idle, ctx,
                                                   taskmanager, method):
    resp = _update(client, idle['id'], method, access=ACCESS)
    assert resp.status_int == 202, resp.text
    row = instance_repo.get(ctx, idle['id'])
    assert states.task(row.task_id) is states.UPDATING
    assert row.lock_holder.startswith('api@')
    method, kwargs = taskmanager.wait()
    assert method == 'update_access'
    # The holder and the access are in the record, not the message.
    assert set(kwargs) == {'instance_id', 'workflow_id'}
    record = workflow_repo.get(ctx, kwargs['workflow_id'])
    assert (record.resource_id, record.operation, record.holder) == (
        idle['id'], 'update_access', row.lock_holder)
    assert workflow_repo.open_arguments(record.arguments) == {
        'access': ACCESS}
    # The view shows the access in force until the taskmanager applied
    # the new one.
    shown = client.v1('GET', '/instances/%s' % idle['id']).json['instance']
    assert shown['access'] == {'is_public': False}


def test_a_new_name_comes_with_a_change_of_access(client, idle, ctx,
                                                  taskmanager):
    resp = _update(client, idle['id'], name='renamed', access=ACCESS)
    assert resp.status_int == 202, resp.text
    assert taskmanager.wait()[0] == 'update_access'
    assert instance_repo.get(ctx, idle['id']).name == 'renamed'


@pytest.mark.parametrize('access, text', [
    ({'allowed_cidrs': ['300.1.1.1/8']}, "Invalid allowed_cidrs value "
                                         "'300.1.1.1/8'"),
    ({'allowed_cidrs': ['10.0.0.0/33']}, 'does not match'),
    ({'allowed_cidrs': ['10.0.0.0/8', '10.0.0.0/8']}, 'non-unique'),
    ({'allowed_cidrs': ['example.com']}, 'does not match'),
    ({'allowed_cidrs': '10.0.0.0/8'}, 'is not of type'),
    ({'is_public': 'yes'}, 'is not of type'),
    ({'is_public': True, 'ports': [1]}, 'Additional properties'),
])
def test_bad_access_is_400_and_changes_nothing(client, idle, ctx,
                                               taskmanager, access, text):
    resp = _update(client, idle['id'], access=access)
    assert resp.status_int == 400, resp.text
    assert list(resp.json) == ['badRequest']
    assert text in resp.json['badRequest']['message']
    row = instance_repo.get(ctx, idle['id'])
    assert states.task(row.task_id) is states.NONE and not row.lock_holder
    assert taskmanager.calls == []


def test_access_with_another_attribute_is_400(client, idle, taskmanager):
    resp = _update(client, idle['id'], access=ACCESS, configuration=None)
    assert resp.status_int == 400
    assert resp.json['badRequest']['message'] == (
        "Only one attribute (except 'name') is allowed to update.")
    assert taskmanager.calls == []


def test_a_busy_instance_refuses_a_change_of_access(client, created, ctx,
                                                    taskmanager):
    taskmanager.calls.clear()
    # Still building.
    resp = _update(client, created['id'], name='x', access=ACCESS)
    assert resp.status_int == 422, resp.text
    assert list(resp.json) == ['unprocessableEntity']
    assert instance_repo.get(ctx, created['id']).name == 'db1'
    assert taskmanager.calls == []


def test_a_failed_change_may_be_tried_again(client, idle, ctx, taskmanager):
    assert _update(client, idle['id'], access=ACCESS).status_int == 202
    holder = instance_repo.get(ctx, idle['id']).lock_holder
    assert instance_repo.finish(ctx, idle['id'], 'update_access_failed',
                                holder)
    assert client.v1('GET', '/instances/%s' % idle['id']).json[
        'instance']['status'] == 'ERROR'
    assert _update(client, idle['id'], access=ACCESS).status_int == 202


def test_a_change_of_access_sends_no_notification(
        notifications, client, idle):  # noqa: F811
    before = notifications.types()
    assert _update(client, idle['id'], access=ACCESS).status_int == 202
    assert notifications.types() == before


def test_a_reader_may_not_change_access(client, idle, taskmanager):
    resp = client.v1('PUT', '/instances/%s' % idle['id'],
                     body={'instance': {'access': ACCESS}},
                     headers={'X-Roles': 'reader'})
    assert resp.status_int == 403
    assert taskmanager.calls == []


def test_create_refuses_a_bad_cidr(client, mysql, flavor_rows, ctx,
                                   taskmanager):
    resp = _create(client, access={'is_public': True,
                                   'allowed_cidrs': ['10.0.0.256']})
    assert resp.status_int == 400, resp.text
    assert 'allowed_cidrs' in resp.json['badRequest']['message']
    assert instance_repo.list_instances(ctx) == []


def test_create_stores_and_shows_the_access(client, mysql, flavor_rows,
                                            taskmanager):
    resp = _create(client, access=ACCESS)
    assert resp.status_int == 200, resp.text
    assert resp.json['instance']['access'] == ACCESS


# -- datastore version upgrade (PATCH datastore_version) -----------------------

@pytest.fixture
def upgradable(ctx, guest_instance, mysql):
    """An ACTIVE fake 1.0 instance with a guest, and the versions it may
    and may not go to.
    """
    instance = guest_instance()
    versions = {
        'new': datastores.upsert_version(ctx, 'fake', '1.1', 'fake').id,
        'inactive': datastores.upsert_version(ctx, 'fake', '0.9', 'fake',
                                              active=False).id,
        'other_manager': datastores.upsert_version(ctx, 'fake', '2.0',
                                                   'mysql').id,
    }
    return instance, versions


def _upgrade(client, instance, version, **kwargs):
    return client.v1('PATCH', instance.path,
                     body={'instance': {'datastore_version': version}},
                     **kwargs)


def test_upgrade_records_its_workflow_and_casts(client, ctx, upgradable,
                                                taskmanager):
    instance, versions = upgradable
    old = instance_repo.get(ctx, instance.id).datastore_version_id
    assert _upgrade(client, instance, '1.1').status_int == 202
    method, kwargs = taskmanager.wait()
    assert (method, kwargs['instance_id']) == ('upgrade', instance.id)
    row = instance_repo.get(ctx, instance.id)
    assert states.task(row.task_id) is states.UPGRADING
    assert row.lock_holder.startswith('api@')
    # The row keeps naming the version it runs until the flow switched.
    assert row.datastore_version_id == old
    record = workflow_repo.get(ctx, kwargs['workflow_id'])
    assert workflow_repo.open_arguments(record.arguments) == {
        'version_id': versions['new'], 'version_name': '1.1',
        'old_version_id': old}
    shown = client.v1('GET', instance.path).json['instance']
    assert shown['status'] == 'UPGRADE'
    # Busy now: a second upgrade is upstream's 422.
    assert _upgrade(client, instance, '1.1').status_int == 422


@pytest.mark.parametrize('version,status,words', [
    ('9.9', 400, 'cannot be found'),
    ('1.0', 400, 'already runs'),
    ('0.9', 400, 'not active'),
    ('2.0', 400, 'guest manager'),
])
def test_refused_upgrades_change_nothing(client, ctx, upgradable,
                                         taskmanager, version, status,
                                         words):
    instance, _ = upgradable
    resp = _upgrade(client, instance, version)
    assert resp.status_int == status
    assert list(resp.json) == ['badRequest']
    assert words in resp.json['badRequest']['message']
    row = instance_repo.get(ctx, instance.id)
    assert states.task(row.task_id) is states.NONE
    assert not taskmanager.calls


def test_a_version_of_another_datastore_is_refused_by_id(
        client, ctx, upgradable, mysql, taskmanager):
    instance, _ = upgradable
    resp = _upgrade(client, instance, mysql['active'])
    assert resp.status_int == 400
    assert 'datastore mysql' in resp.json['badRequest']['message']
    assert not taskmanager.calls


def test_an_instance_that_is_not_ready_is_not_upgraded(
        client, ctx, upgradable, taskmanager):
    instance, _ = upgradable
    instance_repo.set_service_status(ctx, instance.id, states.SVC_SHUTDOWN)
    resp = _upgrade(client, instance, '1.1')
    assert resp.status_int == 422
    assert not taskmanager.calls


def test_a_source_is_upgraded_after_its_replicas(client, ctx, upgradable,
                                                 guest_instance,
                                                 taskmanager):
    instance, _ = upgradable
    replica = guest_instance()
    instance_repo.update(ctx, replica.id, slave_of_id=instance.id)
    resp = _upgrade(client, instance, '1.1')
    assert resp.status_int == 400
    assert replica.id in resp.json['badRequest']['message']
    # The replica goes first, then its source.
    assert _upgrade(client, replica, '1.1').status_int == 202
    assert taskmanager.wait()[0] == 'upgrade'


def test_upgrade_is_checked_against_instance_update(client, upgradable,
                                                    taskmanager):
    instance, _ = upgradable
    resp = _upgrade(client, instance, '1.1', headers={'X-Roles': 'reader'})
    assert resp.status_int == 403
    assert not taskmanager.calls
