"""trove-lite-all behind a real Keystone, driven by a real openrc.

Keystone (``tests/functional/keystone.py``) holds a ``service`` project
with the ``trove`` service user, a ``demo`` project with a member and a
reader, a second project ``other`` with a member, and the ``database``
service whose endpoint is ``/v1.0/%(tenant_id)s`` on the API. The API runs
with ``auth_strategy = keystone`` and a ``[keystone_authtoken]`` section,
and the fake compute driver (no hosts, no database servers). The
``openstack`` CLI gets nothing but an openrc: it finds the API through the
catalog.
"""

import datetime
import json
import os
import subprocess
import time

import pytest
import requests

from tests.functional import conftest
from tests.functional import keystone

PASSWORD = keystone.USER_PASSWORD
# NOTE(expiry): short enough that a token taken when the API starts has
# expired when the last test runs, long enough for any one CLI command.
TOKEN_EXPIRATION = 30


@pytest.fixture(scope='module')
def cloud(shared_services):
    result = keystone.shared_cloud(shared_services, TOKEN_EXPIRATION)
    # A token the API accepts (and caches) now, for
    # test_expired_token_is_401.
    result.early_token = result.identity.token('demo-member', PASSWORD,
                                               'demo')
    resp = requests.get(result.url('demo', '/instances'), timeout=10,
                        headers={'X-Auth-Token': result.early_token[0]})
    assert resp.status_code == 200, resp.text
    return result


def openrc(cloud, user, project):
    """The environment ``source openrc`` gives: no endpoint override."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith('OS_')}
    env.update({'OS_AUTH_URL': cloud.identity.url,
                'OS_IDENTITY_API_VERSION': '3',
                'OS_USERNAME': user, 'OS_PASSWORD': PASSWORD,
                'OS_PROJECT_NAME': project,
                'OS_USER_DOMAIN_NAME': 'Default',
                'OS_PROJECT_DOMAIN_NAME': 'Default',
                'OS_REGION_NAME': keystone.REGION})
    return env


def run_cli(cloud, user, project, *args):
    return subprocess.run(
        [os.path.join(conftest.BIN_DIR, 'openstack')] + list(args),
        capture_output=True, text=True, timeout=120,
        stdin=subprocess.DEVNULL, env=openrc(cloud, user, project))


def cli(cloud, user, project, *args):
    result = run_cli(cloud, user, project, *(list(args) + ['-f', 'json']))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _assert_unauthorized(resp):
    assert resp.status_code == 401, resp.text
    assert list(resp.json()) == ['unauthorized'], resp.text
    assert resp.json()['unauthorized']['code'] == 401


def test_missing_token_is_401(cloud):
    resp = requests.get(cloud.url('demo', '/instances'), timeout=10)
    _assert_unauthorized(resp)
    assert cloud.identity.url in resp.headers['WWW-Authenticate']


def test_invalid_token_is_401(cloud):
    resp = requests.get(cloud.url('demo', '/instances'), timeout=10,
                        headers={'X-Auth-Token': 'not-a-token'})
    _assert_unauthorized(resp)


def test_token_of_another_project_is_403(cloud):
    token = cloud.token('other-member', 'other')
    resp = requests.get(cloud.url('demo', '/instances'), timeout=10,
                        headers={'X-Auth-Token': token})
    assert resp.status_code == 403, resp.text
    assert list(resp.json()) == ['forbidden'], resp.text
    fault = resp.json()['forbidden']
    assert fault['code'] == 403
    assert cloud.projects['other'] in fault['message']


def test_valid_token_of_the_url_project_is_accepted(cloud):
    for user in ('demo-member', 'demo-reader'):
        resp = requests.get(cloud.url('demo', '/instances'), timeout=10,
                            headers={'X-Auth-Token': cloud.token(user,
                                                                 'demo')})
        assert resp.status_code == 200, resp.text


def test_cli_lists_through_the_catalog(cloud):
    stores = cli(cloud, 'demo-member', 'demo', 'datastore', 'list')
    assert 'mysql' in {store['Name'] for store in stores}
    flavors = cli(cloud, 'demo-member', 'demo', 'database', 'flavor', 'list')
    assert 'm1.tiny' in {flavor['Name'] for flavor in flavors}


def test_cli_instance_lifecycle_and_isolation(cloud):
    created = cli(cloud, 'demo-member', 'demo', 'database', 'instance',
                  'create', 'ks-db1', '--flavor', 'm1.tiny', '--size', '1',
                  '--datastore', 'mysql')
    instance_id = created['id']
    listed = cli(cloud, 'demo-member', 'demo', 'database', 'instance',
                 'list')
    assert instance_id in {row['ID'] for row in listed}
    shown = cli(cloud, 'demo-member', 'demo', 'database', 'instance',
                'show', instance_id)
    assert shown['name'] == 'ks-db1'

    # Another project neither sees nor deletes it.
    other = cli(cloud, 'other-member', 'other', 'database', 'instance',
                'list')
    assert instance_id not in {row['ID'] for row in other}
    token = cloud.token('other-member', 'other')
    for method in ('GET', 'DELETE'):
        resp = requests.request(
            method, cloud.url('other', '/instances/' + instance_id),
            headers={'X-Auth-Token': token}, timeout=10)
        assert resp.status_code == 404, (method, resp.text)
        assert list(resp.json()) == ['itemNotFound'], resp.text
    result = run_cli(cloud, 'other-member', 'other', 'database',
                     'instance', 'delete', instance_id)
    assert result.returncode != 0
    assert cli(cloud, 'demo-member', 'demo', 'database', 'instance',
               'show', instance_id)['id'] == instance_id

    result = run_cli(cloud, 'demo-member', 'demo', 'database', 'instance',
                     'delete', instance_id)
    assert result.returncode == 0, result.stderr
    token = cloud.token('demo-member', 'demo')
    end = time.monotonic() + 60
    while requests.get(cloud.url('demo', '/instances/' + instance_id),
                       headers={'X-Auth-Token': token},
                       timeout=10).status_code != 404:
        assert time.monotonic() < end, 'instance %s never went away' % (
            instance_id)
        time.sleep(0.5)


def test_expired_token_is_401(cloud):
    # Last in the module: the token the fixture took has expired by now
    # (or will after a short wait); the API accepted it then.
    token, body = cloud.early_token
    expires = datetime.datetime.strptime(body['expires_at'],
                                         '%Y-%m-%dT%H:%M:%S.%fZ')
    while datetime.datetime.utcnow() <= expires:
        time.sleep(0.5)
    resp = requests.get(cloud.url('demo', '/instances'), timeout=10,
                        headers={'X-Auth-Token': token})
    _assert_unauthorized(resp)
