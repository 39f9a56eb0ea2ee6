"""The user routes of an instance, against a fake guest on the bus."""

import pytest

from tests.unit.api.conftest import member
from tests.unit.rpc_fixtures import notifications  # noqa: F401


@pytest.fixture
def inst(guest_instance):
    inst = guest_instance()
    inst.datastore.create_databases([{'name': 'app'}, {'name': 'logs'}])
    return inst


def _create(client, inst, *users):
    return client.v1('POST', inst.path + '/users',
                     body={'users': list(users)})


def _user(name='alice', password='secret', **extra):
    user = {'name': name, 'password': password}
    user.update(extra)
    return user


def test_create_list_show(client, inst):
    resp = _create(client, inst,
                   _user(databases=[{'name': 'app'}, {'name': 'logs'}]),
                   _user('bob', host='10.0.0.%'))
    assert resp.status_int == 202, resp.text
    assert inst.datastore.users[('alice', '%')]['password'] == 'secret'
    listed = client.v1('GET', inst.path + '/users', headers=member()).json
    assert listed == {'users': [
        {'name': 'alice', 'host': '%',
         'databases': [{'name': 'app'}, {'name': 'logs'}]},
        {'name': 'bob', 'host': '10.0.0.%', 'databases': []}]}
    shown = client.v1('GET', inst.path + '/users/alice').json
    assert shown == {'user': {'name': 'alice', 'host': '%', 'databases': [
        {'name': 'app'}, {'name': 'logs'}]}}
    # As the client quotes it: '.' as %2e, '@' and '%' URL-encoded.
    quoted = 'bob%40' + '10%2e0%2e0%2e%25'
    shown = client.v1('GET', inst.path + '/users/' + quoted)
    assert shown.status_int == 200, shown.text
    assert shown.json['user']['host'] == '10.0.0.%'


def test_show_missing_is_404(client, inst):
    resp = client.v1('GET', inst.path + '/users/nobody')
    assert resp.status_int == 404
    assert resp.json['itemNotFound']['message'] == (
        'User nobody@% cannot be found on the instance.')


def test_create_existing_is_400(client, inst):
    assert _create(client, inst, _user()).status_int == 202
    resp = _create(client, inst, _user('carol'), _user())
    assert resp.status_int == 400
    assert resp.json['badRequest']['message'] == (
        'A user with the name alice@% already exists.')
    assert ('carol', '%') not in inst.datastore.users


def test_same_name_other_host_is_another_user(client, inst):
    assert _create(client, inst, _user()).status_int == 202
    assert _create(client, inst, _user(host='localhost')).status_int == 202


def test_duplicates_in_one_body_are_400(client, inst):
    resp = _create(client, inst, _user(), _user(password='other'))
    assert resp.status_int == 400
    assert 'alice@% appears more than once' in resp.json['badRequest'][
        'message']


def test_create_with_a_missing_database_is_404(client, inst):
    resp = _create(client, inst, _user(databases=[{'name': 'nosuch'}]))
    assert resp.status_int == 404
    assert 'nosuch' in resp.json['itemNotFound']['message']
    assert inst.datastore.users == {}


@pytest.mark.parametrize('user, text', [
    (_user('root'), "'root' is reserved"),
    (_user('bad name'), 'Invalid user name'),
    (_user(host='a(b)'), 'Invalid host'),
    (_user(databases=[{'name': 'mysql'}]), "'mysql' is reserved"),
])
def test_invalid_users_are_400(client, inst, user, text):
    resp = _create(client, inst, user)
    if resp.status_int != 400:
        pytest.fail(resp.text)
    assert text in resp.json['badRequest']['message']
    assert inst.datastore.users == {}


def test_schema_needs_a_password(client, inst):
    resp = _create(client, inst, {'name': 'alice'})
    assert resp.status_int == 400
    assert "'password' is a required property" in resp.json['badRequest'][
        'message']


def test_change_passwords(client, inst):
    _create(client, inst, _user(), _user('bob'))
    resp = client.v1('PUT', inst.path + '/users', body={'users': [
        _user(password='new1'), _user('bob', password='new2')]})
    assert resp.status_int == 202, resp.text
    assert inst.datastore.users[('alice', '%')]['password'] == 'new1'
    assert inst.datastore.users[('bob', '%')]['password'] == 'new2'
    resp = client.v1('PUT', inst.path + '/users', body={'users': [
        _user(password='x'), _user('nobody')]})
    assert resp.status_int == 404
    assert inst.datastore.users[('alice', '%')]['password'] == 'new1'


def test_update_attributes(client, inst):
    _create(client, inst, _user(databases=[{'name': 'app'}]), _user('bob'))
    resp = client.v1('PUT', inst.path + '/users/alice', body={'user': {
        'name': 'alice2', 'host': 'localhost', 'password': 'pw2'}})
    assert resp.status_int == 202, resp.text
    user = inst.datastore.users[('alice2', 'localhost')]
    assert user['password'] == 'pw2' and user['databases'] == {'app'}
    taken = client.v1('PUT', inst.path + '/users/alice2%40localhost',
                      body={'user': {'name': 'bob', 'host': '%'}})
    assert taken.status_int == 400
    assert 'bob@% already exists' in taken.json['badRequest']['message']
    missing = client.v1('PUT', inst.path + '/users/alice',
                        body={'user': {'password': 'x'}})
    assert missing.status_int == 404
    reserved = client.v1('PUT', inst.path + '/users/bob',
                         body={'user': {'name': 'root'}})
    assert reserved.status_int == 400
    empty = client.v1('PUT', inst.path + '/users/bob', body={'user': {}})
    assert empty.status_int == 400


def test_delete(client, inst):
    _create(client, inst, _user())
    assert client.v1('DELETE', inst.path + '/users/alice').status_int == 202
    assert inst.datastore.users == {}
    resp = client.v1('DELETE', inst.path + '/users/alice')
    assert resp.status_int == 404


def test_pagination_by_name_at_host(client, inst):
    _create(client, inst, *[_user('u%d' % i) for i in range(3)])
    page = client.v1('GET', inst.path + '/users?limit=2').json
    assert [user['name'] for user in page['users']] == ['u0', 'u1']
    [link] = page['links']
    assert 'marker=u1%40%25' in link['href']
    rest = client.v1('GET', inst.path + '/users?limit=2&marker=u1%40%25')
    assert rest.json == {'users': [
        {'name': 'u2', 'host': '%', 'databases': []}]}


def test_ignored_users_and_databases(client, guest_instance):
    inst = guest_instance('mysql')
    inst.datastore.create_databases([{'name': 'app'}])
    inst.datastore.databases['mysql'] = {'name': 'mysql'}
    inst.datastore.users[('os_admin', 'localhost')] = {
        'name': 'os_admin', 'host': 'localhost', 'password': 'x',
        'databases': {'mysql'}}
    inst.datastore.create_users([{'name': 'app', 'password': 'p',
                                  'databases': [{'name': 'app'}]}])
    inst.datastore.users[('app', '%')]['databases'].add('mysql')
    listed = client.v1('GET', inst.path + '/users').json
    assert listed == {'users': [{'name': 'app', 'host': '%',
                                 'databases': [{'name': 'app'}]}]}
    for method in ('GET', 'DELETE'):
        resp = client.v1(method, inst.path + '/users/os_admin%40localhost')
        assert resp.status_int == 400
        assert "'os_admin' is reserved" in resp.json['badRequest']['message']


def test_missing_instance_is_404(client, guest_instance):
    resp = client.v1('GET', '/instances/nosuch/users')
    assert resp.status_int == 404
    assert resp.json['itemNotFound']['message'] == (
        'Instance nosuch cannot be found.')


def test_guest_timeout_is_400(client, guest_instance, memory_bus):
    memory_bus.set('agent_call_low_timeout', 1)
    inst = guest_instance(guest=False)
    resp = client.v1('GET', inst.path + '/users')
    assert resp.status_int == 400
    assert resp.json['badRequest']['message'].startswith(
        'Timeout trying to connect to the Guest Agent of instance %s'
        % inst.id)


def test_guest_failure_is_guest_error(client, inst, monkeypatch):
    def broken():
        raise RuntimeError('disk on fire')
    monkeypatch.setattr(inst.datastore, 'list_users', broken)
    resp = client.v1('GET', inst.path + '/users')
    assert resp.status_int == 400
    assert resp.json['badRequest']['message'] == (
        'An error occurred communicating with the guest: RuntimeError: '
        'disk on fire.')


def test_names_with_dots_and_a_json_like_suffix(client, inst):
    for name in ('bob.smith', 'carol.json'):
        assert _create(client, inst, _user(name)).status_int == 202
        quoted = name.replace('.', '%2e')
        shown = client.v1('GET', inst.path + '/users/' + quoted)
        assert shown.status_int == 200, shown.text
        assert shown.json['user']['name'] == name
        shown = client.v1('GET', inst.path + '/users/' + name)
        assert shown.json['user']['name'] == name


def test_user_operations_notify_without_passwords(
        notifications, client, inst):  # noqa: F811
    assert _create(client, inst, _user(password='s3cret-1')).status_int == 202
    assert client.v1('PUT', inst.path + '/users/alice', body={
        'user': {'password': 's3cret-2'}}).status_int == 202
    assert client.v1('PUT', inst.path + '/users', body={'users': [
        _user(password='s3cret-3')]}).status_int == 202
    assert client.v1('PUT', inst.path + '/users/alice/databases', body={
        'databases': [{'name': 'app'}]}).status_int == 202
    assert client.v1('DELETE', inst.path + '/users/alice/databases/app'
                     ).status_int == 202
    assert client.v1('DELETE', inst.path + '/users/alice').status_int == 202
    operations = ['user_create', 'user_update_attributes',
                  'user_change_password', 'user_grant', 'user_revoke',
                  'user_delete']
    assert notifications.types() == [
        'dbaas.%s.%s' % (operation, phase) for operation in operations
        for phase in ('start', 'end')]
    for message in notifications.all():
        assert message['payload']['instance_id'] == inst.id
        assert message['payload']['username'] == 'alice'
        assert 's3cret' not in repr(message)
    assert notifications.of('dbaas.user_grant.end')['payload'][
        'database'] == 'app'
