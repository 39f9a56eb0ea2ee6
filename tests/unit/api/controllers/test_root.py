"""Enabling, showing and disabling root; the management root history."""

import pytest

from tests.unit.api.conftest import member
from trove_lite.db.repositories import root_history


@pytest.fixture
def inst(guest_instance):
    return guest_instance()


def _root(client, inst, method, body=None, **kwargs):
    return client.v1(method, inst.path + '/root', body=body, **kwargs)


def test_enable_generates_a_password(client, inst, ctx):
    assert _root(client, inst, 'GET').json == {'rootEnabled': False}
    resp = _root(client, inst, 'POST', headers=member())
    assert resp.status_int == 200, resp.text
    user = resp.json['user']
    assert user['name'] == 'root'
    assert len(user['password']) == 36 and user['password'].isalnum()
    assert inst.datastore.root_password == user['password']
    assert _root(client, inst, 'GET').json == {'rootEnabled': True}
    row = root_history.get(ctx, inst.id)
    assert row.id == inst.id


def test_enable_with_a_password(client, inst):
    resp = _root(client, inst, 'POST', body={'password': 'S3cret!'})
    assert resp.json == {'user': {'name': 'root', 'password': 'S3cret!'}}
    assert inst.datastore.root_password == 'S3cret!'


def test_password_length_comes_from_the_datastore_group(
        client, guest_instance, override):
    inst = guest_instance('mysql')
    override('default_password_length', 12, group='mysql')
    resp = _root(client, inst, 'POST')
    assert len(resp.json['user']['password']) == 12


def test_disable(client, inst):
    resp = _root(client, inst, 'DELETE')
    assert resp.status_int == 404
    assert list(resp.json) == ['itemNotFound']
    _root(client, inst, 'POST')
    resp = _root(client, inst, 'DELETE')
    assert resp.status_int == 204 and resp.body == b''
    assert inst.datastore.root_password is None
    # What the server says now (current upstream), not "ever enabled".
    assert _root(client, inst, 'GET').json == {'rootEnabled': False}
    # The history keeps its audit role: disabling again is still allowed.
    assert _root(client, inst, 'DELETE').status_int == 204
    _root(client, inst, 'POST')
    assert _root(client, inst, 'GET').json == {'rootEnabled': True}


def test_status_is_the_servers(client, inst):
    """Root enabled on the server by other means (the guest's own
    prepare, an older control plane) shows as enabled; the history is
    not asked.
    """
    inst.datastore.enable_root('by-prepare')
    assert _root(client, inst, 'GET').json == {'rootEnabled': True}
    inst.datastore.disable_root()
    assert _root(client, inst, 'GET').json == {'rootEnabled': False}


def test_datastore_without_root_is_501(client, guest_instance):
    inst = guest_instance('cassandra', guest=False)
    for method in ('GET', 'POST', 'DELETE'):
        resp = _root(client, inst, method)
        assert resp.status_int == 501
        assert resp.json['notImplemented']['message'] == (
            'The root operation is not supported for the cassandra datastore.')


def test_mgmt_root_history(client, inst):
    path = '/mgmt/instances/%s/root' % inst.id
    never = client.v1('GET', path).json
    assert never == {'root_history': {'id': inst.id, 'enabled': 'Never',
                                      'user': 'Nobody'}}
    # noauth: a token 'user:project' names the user.
    _root(client, inst, 'POST', headers={'X-Auth-Token': 'u1:p1'})
    history = client.v1('GET', path).json['root_history']
    assert history['id'] == inst.id and history['user'] == 'u1'
    assert history['enabled'] != 'Never'
    resp = client.v1('GET', path, headers=member())
    assert resp.status_int == 401
