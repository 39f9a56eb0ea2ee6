"""Guest logs through the API: listing, showing, the actions, who may."""

import pytest

from tests.unit.api.conftest import member
from trove_lite.db.repositories import instances as instance_repo
from trove_lite.guestagent.storage import local


@pytest.fixture
def storage_path(tmp_path, override):
    override('local_storage_path', str(tmp_path / 'backups'),
             group='backup')
    return tmp_path / 'backups'


@pytest.fixture
def inst(guest_instance, storage_path):
    return guest_instance()


def _log(client, inst, body=None, method='POST', **kwargs):
    return client.v1(method, inst.path + '/log', body=body, **kwargs)


def reader():
    return {'X-Roles': 'reader'}


def test_list_shows_the_exposed_logs(client, inst):
    resp = _log(client, inst, method='GET', headers=member())
    assert resp.status_int == 200, resp.text
    assert resp.json == {'logs': [{
        'name': 'general', 'type': 'USER', 'status': 'Disabled',
        'published': 0, 'pending': 0, 'container': 'None',
        'prefix': 'None',
        'metafile': '%s/fake-general_metafile' % inst.id}]}


def test_enable_publish_and_discard(client, inst, storage_path):
    resp = _log(client, inst, {'name': 'general', 'enable': 1},
                headers=member())
    assert resp.status_int == 200, resp.text
    assert resp.json['log']['status'] == 'Enabled'
    inst.datastore.create_databases([{'name': 'app'}, {'name': 'web'}])
    shown = _log(client, inst, {'name': 'general'}).json['log']
    assert (shown['status'], shown['pending']) == ('Ready', 40)

    resp = _log(client, inst, {'name': 'general', 'publish': 1},
                headers=member())
    assert resp.status_int == 200, resp.text
    shown = resp.json['log']
    prefix = '%s/fake-general/' % inst.id
    assert shown == {
        'name': 'general', 'type': 'USER', 'status': 'Published',
        'published': 40, 'pending': 0, 'container': 'database_logs',
        'prefix': prefix, 'metafile': '%s/fake-general_metafile' % inst.id}
    store = local.LocalStorage({'path': str(storage_path),
                                'container': 'database_logs'})
    [name] = store.list_objects(prefix)
    assert (storage_path / 'database_logs' / name).read_text() == (
        'CREATE DATABASE app\nCREATE DATABASE web\n')
    assert store.object_metadata(name) == {'lines': 2}
    assert store.list_objects(shown['metafile'])

    inst.datastore.delete_database('web')
    shown = _log(client, inst, {'name': 'general'}).json['log']
    assert (shown['status'], shown['pending']) == ('Partial', 18)

    resp = _log(client, inst, {'name': 'general', 'discard': 1},
                headers=member())
    assert resp.json['log']['published'] == 0
    assert resp.json['log']['container'] == 'None'
    assert store.list_objects('%s/' % inst.id) == []


def test_disable_stops_the_log(client, inst):
    _log(client, inst, {'name': 'general', 'enable': True})
    inst.datastore.create_databases([{'name': 'app'}])
    resp = _log(client, inst, {'name': 'general', 'disable': 1})
    assert resp.json['log']['status'] == 'Disabled'
    inst.datastore.create_databases([{'name': 'web'}])
    assert _log(client, inst, {'name': 'general'}).json['log'][
        'pending'] == 20


def test_a_reader_reads_but_changes_nothing(client, inst):
    assert _log(client, inst, method='GET',
                headers=reader()).status_int == 200
    assert _log(client, inst, {'name': 'general'},
                headers=reader()).status_int == 200
    for action in ('enable', 'disable', 'publish', 'discard'):
        resp = _log(client, inst, {'name': 'general', action: 1},
                    headers=reader())
        assert resp.status_int == 403, (action, resp.text)
    assert _log(client, inst, {'name': 'general'}).json['log'][
        'status'] == 'Disabled'


def test_a_log_not_exposed_is_the_admins(client, inst, override):
    override('guest_log_exposed_logs', [], group='fake')
    assert _log(client, inst, method='GET',
                headers=member()).json == {'logs': []}
    resp = _log(client, inst, {'name': 'general', 'enable': 1},
                headers=member())
    assert resp.status_int == 403
    assert resp.json['forbidden']['message'] == (
        "User does not have admin privileges to 'enable' the 'general' "
        "log.")
    # The default noauth caller is an administrator.
    assert _log(client, inst, {'name': 'general', 'enable': 1}).json[
        'log']['status'] == 'Enabled'


def test_an_unknown_log_is_404(client, inst):
    resp = _log(client, inst, {'name': 'slow_query'})
    assert resp.status_int == 404
    assert resp.json['itemNotFound']['message'] == (
        'Log slow_query cannot be found on this instance.')


@pytest.mark.parametrize('body', [
    {}, {'name': ''}, {'name': 'general', 'enable': 2},
    {'name': 'general', 'enable': 'yes'}, {'name': 'a b'},
    {'name': 'general', 'rotate': 1}, {'log': {'name': 'general'}},
])
def test_bad_bodies_are_400(client, inst, body):
    resp = _log(client, inst, body)
    assert resp.status_int == 400, resp.text
    assert list(resp.json) == ['badRequest']


def test_enable_and_disable_at_once_is_400(client, inst):
    resp = _log(client, inst, {'name': 'general', 'enable': 1,
                               'disable': 1})
    assert resp.status_int == 400
    assert 'cannot be enabled and disabled at once' in resp.text


def test_a_datastore_without_logs_is_501(client, guest_instance):
    inst = guest_instance('cassandra', guest=False)
    for method, body in (('GET', None), ('POST', {'name': 'general'})):
        resp = _log(client, inst, body, method=method)
        assert resp.status_int == 501
        assert resp.json['notImplemented']['message'] == (
            'Log actions are not supported for the cassandra datastore.')


def test_another_projects_member_gets_404(client, inst):
    resp = client.request('GET', '/v1.0/p2%s/log' % inst.path,
                          headers={'X-Roles': 'member',
                                   'X-Tenant-Id': 'p2'})
    assert resp.status_int == 404


def test_logs_are_read_while_a_task_runs(client, inst, ctx):
    """Why an instance is not well is in its logs."""
    instance_repo.start(ctx, inst.id, 'restart', 'worker')
    resp = _log(client, inst, {'name': 'general'})
    assert resp.status_int == 200, resp.text
