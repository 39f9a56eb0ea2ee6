"""A real Keystone for functional tests.

``start()`` runs Keystone from PyPI as an operator would set it up, in a
directory of its own: a SQLite database, fernet and credential keys,
``keystone-manage db_sync`` and ``bootstrap`` (the ``admin`` user and
project, ``RegionOne``, the identity endpoints), then serves
``keystone.server.wsgi:initialize_public_application`` with our threaded
WSGI server on a free loopback port. ``Keystone`` then creates projects,
users, role assignments, services and endpoints through the REST API.

Run as a module (``python -m tests.functional.keystone CONFIG_DIR PORT``)
it is that server.
"""

import contextlib
import grp
import os
import pathlib
import pwd
import shutil
import sys
import tempfile
import time

import requests

from tests.functional import conftest
from tests.functional import fixtures
from trove_lite.common import http_server

ADMIN_PASSWORD = 'keystone-admin-secret'
REGION = 'RegionOne'
REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]


class Keystone:
    """A running Keystone; its v3 REST API driven as ``admin``."""

    def __init__(self, url, process):
        self.url = url
        self.process = process
        self._admin_token = None
        self._admin_token_at = 0.0

    def token(self, user, password, project, domain='Default'):
        """A project-scoped token: (token id, token body)."""
        body = {'auth': {
            'identity': {'methods': ['password'], 'password': {'user': {
                'name': user, 'password': password,
                'domain': {'name': domain}}}},
            'scope': {'project': {'name': project,
                                  'domain': {'name': domain}}}}}
        response = requests.post(self.url + '/auth/tokens', json=body,
                                 timeout=30)
        assert response.status_code == 201, response.text
        return response.headers['X-Subject-Token'], response.json()['token']

    def _admin(self, method, path, expect=(200, 201, 204), **kwargs):
        # NOTE(expiry): tokens may live only seconds (``start``).
        if time.monotonic() - self._admin_token_at > 5:
            self._admin_token = self.token('admin', ADMIN_PASSWORD,
                                           'admin')[0]
            self._admin_token_at = time.monotonic()
        response = requests.request(
            method, self.url + path, timeout=30,
            headers={'X-Auth-Token': self._admin_token}, **kwargs)
        assert response.status_code in expect, (
            method, path, response.text)
        return response.json() if response.content else None

    def role_id(self, name):
        roles = self._admin('GET', '/roles', params={'name': name})['roles']
        assert roles, 'no role %s' % name
        return roles[0]['id']

    def create_project(self, name):
        """Create a project in the Default domain; returns its id."""
        return self._admin('POST', '/projects', json={'project': {
            'name': name, 'domain_id': 'default'}})['project']['id']

    def create_user(self, name, password, project_id, role):
        """A user holding ``role`` on ``project_id``; returns its id."""
        user_id = self._admin('POST', '/users', json={'user': {
            'name': name, 'password': password, 'domain_id': 'default',
            'default_project_id': project_id}})['user']['id']
        self._admin('PUT', '/projects/%s/users/%s/roles/%s' % (
            project_id, user_id, self.role_id(role)))
        return user_id

    def register_service(self, name, service_type, url):
        """A catalog service with public, internal and admin endpoints."""
        service_id = self._admin('POST', '/services', json={'service': {
            'name': name, 'type': service_type}})['service']['id']
        for interface in ('public', 'internal', 'admin'):
            self._admin('POST', '/endpoints', json={'endpoint': {
                'service_id': service_id, 'interface': interface,
                'url': url, 'region_id': REGION}})
        return service_id


def _write_config(state, token_expiration):
    return fixtures.write_config(state / 'keystone.conf', {
        'DEFAULT': {'log_file': state / 'keystone.log'},
        'database': {'connection': 'sqlite:///%s' % (state /
                                                     'keystone.sqlite')},
        'fernet_tokens': {'key_repository': state / 'fernet-keys'},
        'credential': {'key_repository': state / 'credential-keys'},
        'token': {'provider': 'fernet', 'expiration': token_expiration},
        # NOTE(speed): bcrypt's cheapest cost; every password
        # authentication (each CLI command, the service user) pays it.
        'identity': {'password_hash_rounds': 4},
    })


def _setup(state, config, url):
    """What the install guide has an operator run before serving."""
    manage = ['--config-file', config]
    owner = ['--keystone-user', _user(), '--keystone-group', _group()]
    conftest.run_script('keystone-manage', *manage, 'db_sync', timeout=300)
    conftest.run_script('keystone-manage', *manage, 'fernet_setup', *owner)
    conftest.run_script('keystone-manage', *manage, 'credential_setup',
                        *owner)
    conftest.run_script(
        'keystone-manage', *manage, 'bootstrap',
        '--bootstrap-password', ADMIN_PASSWORD,
        '--bootstrap-admin-url', url, '--bootstrap-internal-url', url,
        '--bootstrap-public-url', url, '--bootstrap-region-id', REGION)


def _user():
    return pwd.getpwuid(os.getuid()).pw_name


def _group():
    return grp.getgrgid(os.getgid()).gr_name


@contextlib.contextmanager
def start(token_expiration=3600):
    """Set up and serve a Keystone; yields a ``Keystone``.

    :param token_expiration: seconds a token lives (``[token]
        expiration``); a short life lets a test see tokens expire.
    """
    state = pathlib.Path(tempfile.mkdtemp(prefix='tl-keystone-'))
    port = fixtures.free_port()
    url = 'http://127.0.0.1:%d/v3' % port
    process = None
    try:
        config = _write_config(state, token_expiration)
        _setup(state, config, url)
        process = conftest.Process(
            'keystone', [str(state), str(port)], state / 'server.log',
            command=[sys.executable, '-m', 'tests.functional.keystone'],
            cwd=REPO_ROOT)
        conftest.wait_for_http(url, process, deadline=120)
        yield Keystone(url, process)
    finally:
        if process is not None:
            process.stop()
        shutil.rmtree(state, ignore_errors=True)


def _serve(config_dir, port):
    # NOTE(keystone): keystone parses sys.argv as its own command line and
    # finds keystone.conf through OS_KEYSTONE_CONFIG_DIR.
    os.environ['OS_KEYSTONE_CONFIG_DIR'] = config_dir
    sys.argv[1:] = []
    # NOTE(keystone): imported here so that the test process, which only
    # drives this server, never loads keystone.
    from keystone.server import wsgi
    server = http_server.WSGIServer(wsgi.initialize_public_application(),
                                    '127.0.0.1', port).start()
    print('keystone serving on 127.0.0.1:%d' % port, flush=True)
    server.wait()


if __name__ == '__main__':
    _serve(sys.argv[1], int(sys.argv[2]))
