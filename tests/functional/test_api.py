"""The API over real HTTP: trove-lite-api with its infra DB on MariaDB.

The operator registers datastores and flavors with trove-lite-manage, as
the README says; the tests then drive every route and every error path as
the CLI would, and check each answer's status and fault document.
"""

import re

import pytest
import requests

from tests.functional import conftest
from tests.functional import fixtures

PROJECT = 'f0e1d2c3b4a5968778695a4b3c2d1e0f'


@pytest.fixture(scope='module')
def api(tmp_path_factory, infra_db_url):
    """A running trove-lite-api (noauth) with mysql and flavors registered."""
    state = tmp_path_factory.mktemp('api')
    port = fixtures.free_port()
    config = fixtures.write_config(state / 'trove-lite.conf', {
        'DEFAULT': {'auth_strategy': 'noauth', 'bind_host': '127.0.0.1',
                    'bind_port': port, 'state_path': state,
                    'http_get_rate': 1000},
        'database': {'connection': infra_db_url},
    })
    manage = ['--config-file', config]
    conftest.manage_setup(config, flavors=(('1', 'm1.tiny', '512', '1'),
                                           ('2', 'm1.small', '2048', '1')))
    conftest.run_script('trove-lite-manage', *manage,
                        'datastore_version_update', 'mysql', '5.7', 'mysql',
                        '', '', '0')
    process = conftest.Process('trove-lite-api', manage,
                               state / 'api.log')
    base = 'http://127.0.0.1:%d' % port
    conftest.wait_for_http(base + '/', process)
    yield {'base': base, 'v1': '%s/v1.0/%s' % (base, PROJECT),
           'process': process}
    process.stop()


def _get(api, path, **kwargs):
    return requests.get(api['v1'] + path, timeout=10, **kwargs)


def _assert_fault(resp, status, name):
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert list(body) == [name], body
    assert body[name]['code'] == status
    assert body[name]['message']
    assert 'Traceback' not in resp.text
    return body[name]['message']


def test_version_documents_and_healthcheck(api):
    root = requests.get(api['base'] + '/', timeout=10)
    assert root.status_code == 200
    assert root.json()['versions'][0]['id'] == 'v1.0'
    assert requests.get(api['base'] + '/v1.0/', timeout=10).json()[
        'version']['status'] == 'CURRENT'
    health = requests.get(api['base'] + '/healthcheck', timeout=10)
    assert health.status_code == 200


def test_request_id_on_every_response(api):
    for url in (api['base'] + '/', api['v1'] + '/datastores',
                api['v1'] + '/nosuch', api['base'] + '/healthcheck'):
        resp = requests.get(url, timeout=10)
        assert re.match(r'^req-[0-9a-f-]{36}$',
                        resp.headers['X-OpenStack-Request-ID'])


def test_datastore_routes(api):
    [store] = _get(api, '/datastores').json()['datastores']
    assert store['name'] == 'mysql'
    assert {v['name'] for v in store['versions']} == {'10.11', '5.7'}
    by_name = _get(api, '/datastores/mysql').json()['datastore']
    assert _get(api, '/datastores/%s' % store['id']).json()[
        'datastore'] == by_name
    versions = _get(api, '/datastores/mysql/versions').json()['versions']
    current = [v for v in versions if v['name'] == '10.11'][0]
    assert store['default_version'] == current['id']
    for path in ('/datastores/mysql/versions/10.11',
                 '/datastores/%s/versions/%s' % (store['id'], current['id']),
                 '/datastores/versions/%s' % current['id']):
        assert _get(api, path).json()['version']['id'] == current['id']
    flavors = _get(api, '/datastores/mysql/versions/%s/flavors'
                   % current['id']).json()['flavors']
    assert [f['name'] for f in flavors] == ['m1.tiny', 'm1.small']


def test_members_see_only_active_versions(api):
    member = {'X-Roles': 'member'}
    [store] = _get(api, '/datastores', headers=member).json()['datastores']
    assert [v['name'] for v in store['versions']] == ['10.11']


def test_datastore_pagination(api):
    page = _get(api, '/datastores/mysql/versions?limit=1').json()
    assert len(page['versions']) == 1
    [link] = page['links']
    assert link['rel'] == 'next' and link['href'].startswith('https://')
    marker = page['versions'][0]['id']
    rest = _get(api, '/datastores/mysql/versions?limit=1&marker=%s'
                % marker).json()
    assert len(rest['versions']) == 1 and 'links' not in rest
    assert rest['versions'][0]['id'] != marker


def test_flavor_and_limit_routes(api):
    flavors = _get(api, '/flavors').json()['flavors']
    assert [(f['id'], f['name'], f['ram']) for f in flavors] == [
        (1, 'm1.tiny', 512), (2, 'm1.small', 2048)]
    assert _get(api, '/flavors/2').json()['flavor']['name'] == 'm1.small'
    limits = _get(api, '/limits').json()['limits']
    assert limits[0]['verb'] == 'ABSOLUTE'
    assert limits[0]['max_instances'] == 10
    assert {entry['verb'] for entry in limits[1:]} == {
        'GET', 'POST', 'PUT', 'DELETE'}


def test_unknown_ids_and_names(api):
    assert _assert_fault(_get(api, '/datastores/nosuch'), 404,
                         'itemNotFound') == \
        'Datastore nosuch cannot be found.'
    _assert_fault(_get(api, '/datastores/mysql/versions/9.9'), 400,
                  'badRequest')
    _assert_fault(_get(api, '/datastores/versions/nosuch'), 400,
                  'badRequest')
    _assert_fault(_get(api, '/datastores/nosuch/versions'), 404,
                  'itemNotFound')
    _assert_fault(_get(api, '/flavors/99'), 404, 'itemNotFound')
    _assert_fault(_get(api, '/flavors/m1.tiny'), 404, 'itemNotFound')
    _assert_fault(_get(api, '/nosuch'), 404, 'itemNotFound')
    _assert_fault(requests.get(api['base'] + '/nosuch', timeout=10), 404,
                  'itemNotFound')


def test_wrong_tenant(api):
    resp = _get(api, '/datastores',
                headers={'X-Auth-Token': 'mallory:someone-else'})
    assert _assert_fault(resp, 403, 'forbidden') == \
        'User with tenant id someone-else cannot access this resource.'


def test_bad_bodies(api):
    url = api['v1'] + '/mgmt/datastore-versions'
    resp = requests.post(url, data='{"version": ', timeout=10,
                         headers={'Content-Type': 'application/json'})
    assert _assert_fault(resp, 400, 'badRequest').startswith(
        'Malformed request body')
    resp = requests.post(url, data='<version/>', timeout=10,
                         headers={'Content-Type': 'application/xml'})
    _assert_fault(resp, 415, 'badMediaType')
    resp = requests.post(url, json={'version': {'name': 'x'}}, timeout=10)
    message = _assert_fault(resp, 400, 'badRequest')
    assert message.startswith('Validation error:')
    assert "'datastore_manager' is a required property" in message
    resp = requests.post(url, json=[1, 2], timeout=10)
    _assert_fault(resp, 400, 'badRequest')


def test_bad_query(api):
    _assert_fault(_get(api, '/datastores?limit=-1'), 400, 'badRequest')


def test_management_routes(api):
    url = api['v1'] + '/mgmt/datastore-versions'
    resp = requests.post(url, timeout=10, json={'version': {
        'name': '7.2', 'datastore_name': 'redis',
        'datastore_manager': 'redis', 'active': True, 'default': True}})
    assert resp.status_code == 202 and resp.text == ''
    versions = requests.get(url, timeout=10).json()['versions']
    redis = [v for v in versions if v['datastore_name'] == 'redis'][0]
    assert redis['default'] is True
    resp = requests.patch(url + '/' + redis['id'], json={'active': False},
                          timeout=10)
    assert resp.status_code == 202
    assert requests.get(url + '/' + redis['id'], timeout=10).json()[
        'version']['active'] is False
    assert requests.delete(url + '/' + redis['id'],
                           timeout=10).status_code == 202
    assert requests.delete(api['v1'] + '/datastores/redis',
                           timeout=10).status_code == 202
    _assert_fault(_get(api, '/datastores/redis'), 404, 'itemNotFound')
    member = requests.get(url, headers={'X-Roles': 'member'}, timeout=10)
    _assert_fault(member, 401, 'unauthorized')


def test_no_traceback_in_the_log_for_client_errors(api):
    # Client errors are answered, not crashed on: the server logs no
    # unexpected error for any of the requests above.
    assert 'Unexpected error' not in api['process'].log()
