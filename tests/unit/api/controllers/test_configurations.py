"""The configuration group routes, and attaching groups to instances,
against fake guests on the bus."""

import pytest

from tests.unit.api.conftest import member
from trove_lite.common import states
from trove_lite.common import validation_rules
from trove_lite.db.repositories import datastores
from trove_lite.db.repositories import instances as instance_repo

FAKE = {'type': 'fake', 'version': '1.0'}


@pytest.fixture
def inst(guest_instance, ctx, flavor):
    inst = guest_instance()
    version = instance_repo.get(ctx, inst.id).datastore_version_id
    datastores.load_configuration_parameters(
        ctx, version, validation_rules.load(validation_rules.shipped('fake')))
    datastores.update_datastore(ctx, 'fake', '1.0')
    return inst


def _create(client, values, name='tuned', **extra):
    body = {'configuration': dict({'name': name, 'values': values,
                                   'datastore': FAKE}, **extra)}
    return client.v1('POST', '/configurations', body=body)


def _attach(client, inst, group_id):
    return client.v1('PUT', inst.path, body={'instance': {
        'configuration': group_id}})


def _status(ctx, inst):
    return instance_repo.get_service_status(ctx, inst.id)[0]


def test_create_show_list(client, inst):
    resp = _create(client, {'max_connections': 200, 'WAIT_TIMEOUT': 240},
                   description='for the shop')
    assert resp.status_int == 200, resp.text
    created = resp.json['configuration']
    # Keys go under the rules' own names, values keep their JSON types.
    assert created['values'] == {'max_connections': 200,
                                 'wait_timeout': 240}
    assert (created['name'], created['description']) == ('tuned',
                                                         'for the shop')
    assert (created['datastore_name'], created['datastore_version_name'],
            created['datastore_version_number']) == ('fake', '1.0', '1.0')
    assert created['instance_count'] == 0
    shown = client.v1('GET', '/configurations/' + created['id'],
                      headers=member()).json['configuration']
    assert shown == created
    [listed] = client.v1('GET', '/configurations').json['configurations']
    assert listed['id'] == created['id'] and 'values' not in listed


@pytest.mark.parametrize('values, words', [
    ({'no_such_parameter': 1}, 'no_such_parameter is not supported'),
    ({'max_connections': '200'}, 'must be an integer'),
    ({'max_connections': True}, 'must be an integer'),
    ({'max_connections': 0}, 'less than its minimum 1'),
    ({'max_connections': 100001}, 'greater than its maximum 100000'),
    ({'long_query_time': 'slow'}, 'must be a number'),
    ({'read_only': 1}, 'must be true or false'),
    ({'character_set_server': 5}, 'must be a string'),
    ({'character_set_server': 'a\nb'}, 'one line'),
])
def test_bad_values_are_422_and_nothing_is_made(client, inst, values,
                                                words):
    resp = _create(client, values)
    assert resp.status_int == 422, resp.text
    assert words in resp.json['unprocessableEntity']['message']
    assert client.v1('GET', '/configurations').json == {
        'configurations': []}


def test_a_version_without_rules_takes_no_group(client, ctx, inst):
    datastores.delete_configuration_parameters(
        ctx, instance_repo.get(ctx, inst.id).datastore_version_id)
    resp = _create(client, {'max_connections': 5})
    assert resp.status_int == 422
    assert 'has no configuration parameters' in resp.text


def test_attach_applies_live_and_detach_takes_it_back(client, ctx, inst):
    group = _create(client, {'max_connections': 200,
                             'wait_timeout': 240}).json['configuration']
    resp = _attach(client, inst, group['id'])
    assert resp.status_int == 202, resp.text
    running = inst.datastore.configuration(512)
    assert running['max_connections'] == 200
    assert running['wait_timeout'] == 240
    shown = client.v1('GET', inst.path).json['instance']
    assert shown['configuration']['id'] == group['id']
    assert shown['configuration']['name'] == 'tuned'
    listed = client.v1('GET', '/configurations/%s/instances' % group['id'])
    assert listed.json == {'instances': [{'id': inst.id,
                                          'name': shown['name']}]}
    assert _status(ctx, inst) is states.SVC_HEALTHY
    # A second group is refused; so is a delete of the attached one.
    other = _create(client, {'wait_timeout': 60},
                    name='other').json['configuration']
    resp = _attach(client, inst, other['id'])
    assert resp.status_int == 400
    assert 'already has configuration group' in resp.text
    resp = client.v1('DELETE', '/configurations/' + group['id'])
    assert resp.status_int == 400
    assert 'detach it from them first' in resp.text
    # An empty update detaches (as upstream); the defaults are back.
    assert client.v1('PUT', inst.path, body={'instance': {}}
                     ).status_int == 202
    assert inst.datastore.configuration(512) == \
        inst.datastore.configuration_defaults(512)
    assert 'configuration' not in client.v1('GET', inst.path).json[
        'instance']
    assert client.v1('DELETE', '/configurations/' + group['id']
                     ).status_int == 202
    assert client.v1('GET', '/configurations/' + group['id']
                     ).status_int == 404


def test_patch_merges_put_replaces_and_dropped_keys_go_back(client, inst):
    group = _create(client, {'max_connections': 200,
                             'wait_timeout': 240}).json['configuration']
    _attach(client, inst, group['id'])
    path = '/configurations/' + group['id']
    resp = client.v1('PATCH', path, body={'configuration': {
        'values': {'wait_timeout': 300}}})
    assert resp.status_int == 200 and resp.body == b''
    assert client.v1('GET', path).json['configuration']['values'] == {
        'max_connections': 200, 'wait_timeout': 300}
    assert inst.datastore.configuration(512)['wait_timeout'] == 300
    resp = client.v1('PUT', path, body={'configuration': {
        'name': 'renamed', 'values': {'wait_timeout': 100}}})
    assert resp.status_int == 202
    shown = client.v1('GET', path).json['configuration']
    assert (shown['name'], shown['values'], shown['instance_count']) == (
        'renamed', {'wait_timeout': 100}, 1)
    running = inst.datastore.configuration(512)
    # Dropped by the PUT: back to the default on the instance.
    assert running['max_connections'] == 100
    assert running['wait_timeout'] == 100


def test_a_restart_required_parameter_waits_for_a_restart(client, ctx,
                                                          inst):
    group = _create(client, {'buffer_pool_size': 8388608}
                    ).json['configuration']
    assert _attach(client, inst, group['id']).status_int == 202
    assert _status(ctx, inst) is states.SVC_RESTART_REQUIRED
    assert client.v1('GET', inst.path).json['instance']['status'] == \
        'RESTART_REQUIRED'
    # A healthy heartbeat does not make it go away; a restart does.
    instance_repo.record_heartbeat(ctx, inst.id, 2e9, states.SVC_HEALTHY,
                                   '0.1.0')
    assert _status(ctx, inst) is states.SVC_RESTART_REQUIRED
    assert inst.datastore.configuration(512)['buffer_pool_size'] == \
        256 * 1024 * 1024
    inst.datastore.restart()
    assert inst.datastore.configuration(512)['buffer_pool_size'] == 8388608


def test_a_group_of_another_version_or_project_is_refused(client, ctx,
                                                          inst):
    datastores.update_datastore(ctx, 'other')
    version = datastores.upsert_version(ctx, 'other', '2.0', 'fake')
    datastores.load_configuration_parameters(ctx, version.id, [
        {'name': 'max_connections', 'restart_required': False,
         'type': 'integer'}])
    group = _create(client, {'max_connections': 5},
                    datastore={'type': 'other', 'version': '2.0'}
                    ).json['configuration']
    resp = _attach(client, inst, group['id'])
    assert resp.status_int == 400
    assert 'is for datastore version %s' % version.id in resp.text
    assert inst.datastore.overrides == {}
    theirs = client.request('POST', '/v1.0/p2/configurations', body={
        'configuration': {'name': 'x', 'values': {}, 'datastore': FAKE}},
        headers={'X-Roles': 'member', 'X-Project-Id': 'p2'})
    assert theirs.status_int == 200, theirs.text
    resp = client.v1('PUT', inst.path, headers=member(), body={'instance': {
        'configuration': theirs.json['configuration']['id']}})
    assert resp.status_int == 404


def test_defaults_of_an_instance(client, inst):
    resp = client.v1('GET', inst.path + '/configuration', headers=member())
    assert resp.status_int == 200
    assert resp.json == {'instance': {
        'configuration': inst.datastore.configuration_defaults(512)}}


def test_create_with_a_group_is_refused_for_another_version(client, ctx,
                                                            inst):
    datastores.update_datastore(ctx, 'other')
    datastores.upsert_version(ctx, 'other', '2.0', 'fake')
    datastores.load_configuration_parameters(
        ctx, datastores.get_version(
            ctx, datastores.get_datastore(ctx, 'other').id, '2.0').id,
        [{'name': 'x', 'restart_required': False, 'type': 'string'}])
    group = _create(client, {'x': 'y'}, datastore={
        'type': 'other', 'version': '2.0'}).json['configuration']
    resp = client.v1('POST', '/instances', body={'instance': {
        'name': 'new', 'flavorRef': '1', 'volume': {'size': 1},
        'datastore': FAKE, 'configuration': group['id']}})
    assert resp.status_int == 400, resp.text
    assert 'is for datastore version' in resp.text
