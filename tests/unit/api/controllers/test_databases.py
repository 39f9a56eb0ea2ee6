"""The database routes of an instance, against a fake guest on the bus."""

import logging

import pytest

from tests.unit.api.conftest import member
from tests.unit.rpc_fixtures import memory_bus  # noqa: F401
from tests.unit.rpc_fixtures import notifications  # noqa: F401
from tests.unit.rpc_fixtures import start_service  # noqa: F401
from trove_lite.common import sealing
from trove_lite.compute.fake import guest as fake_guest
from trove_lite.db.repositories import instances as instance_repo


@pytest.fixture
def inst(guest_instance):
    return guest_instance()


def _create(client, inst, *databases, **kwargs):
    return client.v1('POST', inst.path + '/databases',
                     body={'databases': list(databases)}, **kwargs)


def test_create_list_delete(client, inst):
    resp = _create(client, inst, {'name': 'app', 'character_set': 'utf8mb4',
                                  'collate': 'utf8mb4_bin'}, {'name': 'b2'})
    assert resp.status_int == 202, resp.text
    assert resp.body == b''
    assert inst.datastore.databases['app'] == {
        'name': 'app', 'character_set': 'utf8mb4', 'collate': 'utf8mb4_bin'}
    listed = client.v1('GET', inst.path + '/databases', headers=member())
    assert listed.status_int == 200
    assert listed.json == {'databases': [{'name': 'app'}, {'name': 'b2'}]}
    assert client.v1('DELETE', inst.path + '/databases/app').status_int == 202
    assert set(inst.datastore.databases) == {'b2'}


def test_delete_missing_is_404(client, inst):
    resp = client.v1('DELETE', inst.path + '/databases/nosuch')
    assert resp.status_int == 404
    assert resp.json['itemNotFound']['message'] == (
        'Database nosuch cannot be found on the instance.')


def test_a_tenant_error_of_the_guest_is_its_fault_and_no_error(
        client, inst, caplog):
    # NOTE(issue13): the agent logged each such error as an ERROR with a
    # traceback; the API must still answer the guest's own fault.
    resp = client.v1('DELETE', inst.path + '/databases/nosuch')
    assert resp.json == {'itemNotFound': {
        'code': 404,
        'message': 'Database nosuch cannot be found on the instance.'}}
    assert [record.getMessage() for record in caplog.records
            if record.levelno >= logging.ERROR] == []


def test_create_existing_is_400(client, inst):
    assert _create(client, inst, {'name': 'app'}).status_int == 202
    resp = _create(client, inst, {'name': 'new'}, {'name': 'app'})
    assert resp.status_int == 400
    assert 'app already exists' in resp.json['badRequest']['message']
    assert set(inst.datastore.databases) == {'app'}


def test_duplicates_in_one_body_are_400(client, inst):
    resp = _create(client, inst, {'name': 'a'}, {'name': 'a'})
    assert resp.status_int == 400
    assert 'more than once' in resp.json['badRequest']['message']
    assert inst.datastore.databases == {}


@pytest.mark.parametrize('name', ['bad name', 'x`y', "o'k"])
def test_invalid_names_are_400_before_the_guest(client, inst, name):
    resp = _create(client, inst, {'name': name})
    assert resp.status_int == 400
    assert 'Invalid database name' in resp.json['badRequest']['message']


def test_schema_errors(client, inst):
    resp = client.v1('POST', inst.path + '/databases',
                     body={'databases': [{'character_set': 'utf8'}]})
    assert resp.status_int == 400
    assert resp.json['badRequest']['message'].startswith('Validation error')


def test_show_is_501(client, inst):
    resp = client.v1('GET', inst.path + '/databases/app')
    assert resp.status_int == 501
    assert list(resp.json) == ['notImplemented']


def test_pagination(client, inst):
    names = ['d%02d' % i for i in range(5)]
    _create(client, inst, *[{'name': name} for name in names])
    page = client.v1('GET', inst.path + '/databases?limit=2').json
    assert page['databases'] == [{'name': 'd00'}, {'name': 'd01'}]
    [link] = page['links']
    assert link['rel'] == 'next' and 'marker=d01' in link['href']
    page = client.v1('GET', inst.path + '/databases?limit=2&marker=d01').json
    assert page['databases'] == [{'name': 'd02'}, {'name': 'd03'}]
    last = client.v1('GET', inst.path + '/databases?limit=2&marker=d03').json
    assert last == {'databases': [{'name': 'd04'}]}


def test_page_size_caps_the_limit(client, inst, override):
    override('databases_page_size', 1)
    _create(client, inst, {'name': 'a'}, {'name': 'b'})
    page = client.v1('GET', inst.path + '/databases?limit=5').json
    assert page['databases'] == [{'name': 'a'}] and 'links' in page


def test_ignored_databases(client, guest_instance):
    inst = guest_instance('mysql')
    inst.datastore.databases['sys'] = {'name': 'sys'}
    inst.datastore.databases['app'] = {'name': 'app'}
    listed = client.v1('GET', inst.path + '/databases').json
    assert listed == {'databases': [{'name': 'app'}]}
    for resp in (_create(client, inst, {'name': 'sys'}),
                 client.v1('DELETE', inst.path + '/databases/sys')):
        assert resp.status_int == 400
        assert "'sys' is reserved" in resp.json['badRequest']['message']
    assert 'sys' in inst.datastore.databases


def test_other_project_is_404(client, guest_instance):
    inst = guest_instance(project='p2')
    resp = client.v1('GET', inst.path + '/databases', headers=member())
    assert resp.status_int == 404
    assert list(resp.json) == ['itemNotFound']


def test_an_admin_of_another_project_reaches_it(client, guest_instance):
    inst = guest_instance(project='p2')
    resp = _create(client, inst, {'name': 'byadmin'})
    assert resp.status_int == 202, resp.text
    listed = client.v1('GET', inst.path + '/databases').json
    assert {'name': 'byadmin'} in listed['databases']


def test_datastore_without_databases_is_422(client, guest_instance):
    inst = guest_instance('redis', guest=False)
    resp = client.v1('GET', inst.path + '/databases')
    assert resp.status_int == 422
    assert resp.json['unprocessableEntity']['message'] == (
        'The databases feature is not supported by the redis datastore.')


def test_instance_not_ready_is_422(client, inst, ctx):
    instance_repo.start(ctx, inst.id, 'restart', 'worker')
    resp = _create(client, inst, {'name': 'app'})
    assert resp.status_int == 422
    assert 'status is REBOOTING' in resp.json['unprocessableEntity'][
        'message']
    assert inst.datastore.databases == {}


def test_policy_forbids(client, inst, override, tmp_path):
    rules = tmp_path / 'policy.yaml'
    rules.write_text('"instance:extension:database:index": "role:admin"\n')
    override('policy_file', str(rules), group='oslo_policy')
    resp = client.v1('GET', inst.path + '/databases', headers=member())
    assert resp.status_int == 403
    assert resp.json['forbidden']['message'] == (
        "Policy doesn't allow instance:extension:database:index to be "
        "performed.")


def test_database_operations_notify(notifications, client, inst):  # noqa: F811
    assert _create(client, inst, {'name': 'app'},
                   {'name': 'b2'}).status_int == 202
    assert _create(client, inst, {'name': 'app'}).status_int == 400
    assert client.v1('DELETE', inst.path + '/databases/app').status_int == 202
    assert notifications.types() == [
        'dbaas.database_create.start', 'dbaas.database_create.end',
        'dbaas.database_create.start', 'dbaas.database_create.error',
        'dbaas.database_delete.start', 'dbaas.database_delete.end']
    assert notifications.of('dbaas.database_create.error')['payload'][
        'message'] == 'A database with the name app already exists.'
    assert notifications.of('dbaas.database_delete.end')['payload'][
        'dbname'] == 'app'


# -- a guest of another release ----------------------------------------------

@pytest.fixture
def guest_speaking(ctx, guest_instance, start_service):  # noqa: F811
    """``guest_speaking(version)``: an ACTIVE instance whose agent speaks
    guest API ``version`` (a fake agent of another release).
    """
    def _make(version):
        inst = guest_instance(guest=False)
        key = instance_repo.key_of(ctx, inst.id)
        guest = fake_guest.FakeGuest(inst.id, key=key, api_version=version)
        start_service(guest.service.topic, inst.id, guest.endpoint,
                      guest.service.serializer)
        return inst
    return _make


@pytest.mark.parametrize('speaks, shown', [
    # Older: it answers the ping, naming its version.
    ('1.1', 'guest API 1.1'),
    # Another major version: it refuses even the 1.0 ping.
    ('2.0', 'guest API other than 1.x'),
])
def test_a_guest_of_another_release_is_a_clear_501(client, guest_speaking,
                                                   caplog, speaks, shown):
    inst = guest_speaking(speaks)
    resp = client.v1('GET', inst.path + '/databases')
    assert resp.status_int == 501, resp.text
    assert resp.json == {'notImplemented': {'code': 501, 'message': (
        'The guest agent of instance %s cannot list_databases: it speaks '
        '%s, and this request needs guest API 1.2. Ask an administrator '
        'to bring the guest agent and the control plane to compatible '
        'releases.' % (inst.id, shown))}}
    assert not [r for r in caplog.records if r.levelname == 'ERROR']


def test_guests_pinned_below_a_request_are_a_clear_501(client, inst,
                                                       memory_bus):  # noqa
    memory_bus.set('guestagent', '1.1', group='upgrade_levels')
    resp = client.v1('GET', inst.path + '/databases')
    assert resp.status_int == 501, resp.text
    assert resp.json['notImplemented']['message'] == (
        'The guest agents are pinned to guest API 1.1 ([upgrade_levels] '
        'guestagent), and list_databases needs 1.2; ask an administrator '
        'to raise the pin.')


def test_a_guest_without_the_instance_key_is_a_guest_error(
        ctx, client, guest_instance, start_service, caplog):  # noqa: F811
    inst = guest_instance(guest=False)
    guest = fake_guest.FakeGuest(inst.id, key=sealing.generate_key())
    start_service(guest.service.topic, inst.id, guest.endpoint,
                  guest.service.serializer)
    resp = client.v1('GET', inst.path + '/databases')
    assert resp.status_int == 400, resp.text
    assert resp.json['badRequest']['message'] == (
        'An error occurred communicating with the guest: the guest agent '
        'does not hold the key of the instance (ask an administrator to '
        'check the guest agent).')
    refusals = [r for r in caplog.records
                if r.name == 'trove_lite.common.sealing']
    assert [r.levelname for r in refusals] == ['WARNING']
    assert not [r for r in caplog.records if r.levelname == 'ERROR']
