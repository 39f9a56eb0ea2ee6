"""The management datastore-version routes (what the CLI's
``datastore version create/set/delete`` call)."""

from tests.unit.api.conftest import member
from trove_lite.db.repositories import instances as instance_repo

PATH = '/mgmt/datastore-versions'


def _create(client, **fields):
    version = {'name': '8.0', 'datastore_name': 'mysql',
               'datastore_manager': 'mysql', 'active': True}
    version.update(fields)
    return client.v1('POST', PATH, body={'version': version})


def test_create_registers_version_and_datastore(client):
    resp = _create(client, image_tags=['trove'], packages=['mariadb-server'],
                   default=True)
    assert resp.status_int == 202 and resp.body == b''
    [version] = client.v1('GET', PATH).json['versions']
    assert version['datastore_name'] == 'mysql'
    assert version['image_tags'] == ['trove']
    assert version['packages'] == ['mariadb-server']
    assert version['default'] is True
    store = client.v1('GET', '/datastores/mysql').json['datastore']
    assert store['default_version'] == version['id']


def test_create_twice_is_an_error(client):
    _create(client)
    resp = _create(client)
    assert resp.status_int == 400
    assert 'already exists' in resp.json['badRequest']['message']


def test_members_get_401_like_upstream(client):
    resp = client.v1('GET', PATH, headers=member())
    assert resp.status_int == 401
    assert resp.json == {'unauthorized': {
        'code': 401, 'message': 'User does not have admin privileges.'}}


def test_edit_and_delete(client):
    _create(client)
    [version] = client.v1('GET', PATH).json['versions']
    resp = client.v1('PATCH', '%s/%s' % (PATH, version['id']),
                     body={'active': False, 'image_tags': ['a', 'b']})
    assert resp.status_int == 202
    shown = client.v1('GET', '%s/%s' % (PATH, version['id'])).json['version']
    assert shown['active'] is False and shown['image_tags'] == ['a', 'b']
    assert client.v1('DELETE', '%s/%s' % (PATH, version['id'])
                     ).status_int == 202
    assert client.v1('GET', PATH).json['versions'] == []


def test_a_version_in_use_is_not_deleted(client, ctx, flavor):
    _create(client)
    [version] = client.v1('GET', PATH).json['versions']
    instance_repo.create(ctx, {
        'name': 'db', 'tenant_id': 'p1', 'flavor_id': flavor.id,
        'volume_size': 1, 'datastore_version_id': version['id']})
    resp = client.v1('DELETE', '%s/%s' % (PATH, version['id']))
    assert resp.status_int == 400, resp.text
    assert 'make it inactive instead' in resp.json['badRequest']['message']


def test_edit_rejects_unknown_fields(client):
    _create(client)
    [version] = client.v1('GET', PATH).json['versions']
    resp = client.v1('PATCH', '%s/%s' % (PATH, version['id']),
                     body={'colour': 'blue'})
    assert resp.status_int == 400
    assert resp.json['badRequest']['message'].startswith('Validation error:')


def test_show_unknown_version(client):
    resp = client.v1('GET', PATH + '/nosuch')
    assert resp.status_int == 400
