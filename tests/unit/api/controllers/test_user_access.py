"""Listing, granting and revoking a user's access to databases."""

import pytest


@pytest.fixture
def inst(guest_instance):
    inst = guest_instance()
    inst.datastore.create_databases([{'name': 'app'}, {'name': 'logs'}])
    inst.datastore.create_users([{'name': 'alice', 'host': '%',
                                  'password': 'p',
                                  'databases': [{'name': 'app'}]}])
    return inst


def _access(client, inst, user='alice'):
    return client.v1('GET', '%s/users/%s/databases' % (inst.path, user))


def _grant(client, inst, *names, user='alice'):
    return client.v1('PUT', '%s/users/%s/databases' % (inst.path, user),
                     body={'databases': [{'name': n} for n in names]})


def test_list_grant_revoke(client, inst):
    assert _access(client, inst).json == {'databases': [{'name': 'app'}]}
    assert _grant(client, inst, 'logs').status_int == 202
    assert _access(client, inst).json == {'databases': [{'name': 'app'},
                                                        {'name': 'logs'}]}
    resp = client.v1('DELETE', inst.path + '/users/alice/databases/app')
    assert resp.status_int == 202
    assert inst.datastore.users[('alice', '%')]['databases'] == {'logs'}


def test_revoke_not_granted_is_404(client, inst):
    resp = client.v1('DELETE', inst.path + '/users/alice/databases/logs')
    assert resp.status_int == 404
    assert list(resp.json) == ['itemNotFound']


def test_grant_missing_database_is_404_and_grants_nothing(client, inst):
    resp = _grant(client, inst, 'logs', 'nosuch')
    assert resp.status_int == 404
    assert resp.json['itemNotFound']['message'] == (
        'Database nosuch cannot be found on the instance.')
    assert inst.datastore.users[('alice', '%')]['databases'] == {'app'}


def test_grant_to_a_missing_user_is_404(client, inst):
    resp = _grant(client, inst, 'app', user='nobody')
    assert resp.status_int == 404
    assert 'User nobody@% cannot be found' in resp.json['itemNotFound'][
        'message']
    assert _access(client, inst, 'nobody').status_int == 404


def test_grant_reserved_database_is_400(client, inst):
    resp = _grant(client, inst, 'mysql')
    assert resp.status_int == 400
    assert "'mysql' is reserved" in resp.json['badRequest']['message']


def test_grant_schema(client, inst):
    resp = client.v1('PUT', inst.path + '/users/alice/databases',
                     body={'databases': [{'name': 'a'}, {'name': 'a'}]})
    assert resp.status_int == 400
    assert 'non-unique' in resp.json['badRequest']['message']


def test_ignored_databases_are_hidden(client, guest_instance):
    inst = guest_instance('mysql')
    inst.datastore.create_databases([{'name': 'app'}])
    inst.datastore.create_users([{'name': 'alice', 'host': '%',
                                  'password': 'p',
                                  'databases': [{'name': 'app'}]}])
    inst.datastore.users[('alice', '%')]['databases'].add('sys')
    assert _access(client, inst).json == {'databases': [{'name': 'app'}]}
    resp = client.v1('DELETE', inst.path + '/users/alice/databases/sys')
    assert resp.status_int == 400
