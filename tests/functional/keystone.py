"""A real Keystone for functional tests.

``start()`` runs Keystone from PyPI as an operator would set it up, in a
directory of its own: a SQLite database, fernet and credential keys,
``keystone-manage db_sync`` and ``bootstrap`` (the ``admin`` user and
project, ``RegionOne``, the identity endpoints), then serves
``keystone.server.wsgi:initialize_public_application`` with our threaded
WSGI server on a free loopback port. ``Keystone`` then creates projects,
users, role assignments, services and endpoints through the REST API.

``populated()`` gives it the projects and users the tests act as,
``api_behind()`` puts trove-lite-all behind it, and ``shared_cloud()``
gives the test modules of a session one Keystone between them (its set-up
costs half a minute), with one API of each shape: fake database servers
(the catalog's ``database`` service) or real ones.

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
USER_PASSWORD = 'user-secret'
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

    def register_service(self, name, service_type, url, region=REGION):
        """A catalog service with public, internal and admin endpoints in
        ``region``; a service of that type is reused (its endpoints in
        another region added).
        """
        found = self._admin('GET', '/services',
                            params={'type': service_type})['services']
        if found:
            service_id = found[0]['id']
        else:
            service_id = self._admin('POST', '/services', json={'service': {
                'name': name, 'type': service_type}})['service']['id']
        if region != REGION:
            self._admin('POST', '/regions', json={'region': {'id': region}},
                        expect=(201, 409))
        for interface in ('public', 'internal', 'admin'):
            self._admin('POST', '/endpoints', json={'endpoint': {
                'service_id': service_id, 'interface': interface,
                'url': url, 'region_id': region}})
        return service_id

    def remove_endpoints(self, url_prefix):
        """Delete the catalog's endpoints whose URL starts with
        ``url_prefix`` (a service that stops leaves the catalog, so that
        clients do not find it before a later one of the same type).
        """
        for endpoint in self._admin('GET', '/endpoints')['endpoints']:
            if endpoint['url'].startswith(url_prefix):
                self._admin('DELETE', '/endpoints/%s' % endpoint['id'])


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


class Cloud:
    """trove-lite-all behind a Keystone, as ``api_behind()`` set them up.

    :ivar projects: project ids by name (``service``, ``demo``, ``other``).
    :ivar config: the API's configuration file, for ``trove-lite-manage``.
    """

    def __init__(self, identity, api_base, projects, config, process):
        self.identity = identity
        self.api_base = api_base
        self.projects = projects
        self.config = config
        self.process = process
        self.early_token = None

    def url(self, project, path=''):
        return '%s/v1.0/%s%s' % (self.api_base, self.projects[project],
                                 path)

    def token(self, user, project):
        return self.identity.token(user, USER_PASSWORD, project)[0]


# The API's [DEFAULT] options in each shape it is run behind Keystone.
FAKE_SHAPE = {
    'compute_driver': 'fake',
    # NOTE(fake): fake guests send one heartbeat, at prepare; keep it
    # fresh for the whole session.
    'agent_heartbeat_expiry': 3600,
}
# The local compute driver: real database servers started by real guest
# agents on this host (in-process RPC, as the embedded shape runs).
LOCAL_SHAPE = {
    'compute_driver': 'local',
    'report_interval': 2,
    'default_datastore': 'mysql',
}


def _api_config(state, identity, api_port, options, sections=None):
    # NOTE(ratelimit): the persona walks read every route as five
    # personas within a minute, past the default 200 GETs a project;
    # the limits have tests of their own (tests/unit/api/middleware).
    defaults = {'bind_host': '127.0.0.1', 'bind_port': api_port,
                'state_path': os.path.join(state, 'state'),
                'auth_strategy': 'keystone', 'http_get_rate': 1000}
    defaults.update(options)
    return fixtures.write_config(
        os.path.join(state, 'trove-lite.conf'),
        dict(fixtures.with_private_address_range(sections), **{
            'DEFAULT': defaults,
            'keystone_authtoken': {
                'www_authenticate_uri': identity.url,
                'auth_url': identity.url,
                'auth_type': 'password',
                'username': 'trove', 'password': USER_PASSWORD,
                'project_name': 'service',
                'user_domain_name': 'Default',
                'project_domain_name': 'Default'},
        }))


@contextlib.contextmanager
def populated(token_expiration=3600):
    """A Keystone with the projects and users the tests act as; yields
    ``(Keystone, project ids by name)``.

    It holds a ``service`` project with the ``trove`` service user (an
    admin), a ``demo`` project with a member, a reader and an admin, and a
    second project ``other`` with a member and an admin (all with
    ``USER_PASSWORD``).
    """
    with start(token_expiration=token_expiration) as identity:
        service = identity.create_project('service')
        identity.create_user('trove', USER_PASSWORD, service, 'admin')
        demo = identity.create_project('demo')
        identity.create_user('demo-member', USER_PASSWORD, demo, 'member')
        identity.create_user('demo-reader', USER_PASSWORD, demo, 'reader')
        identity.create_user('demo-admin', USER_PASSWORD, demo, 'admin')
        other = identity.create_project('other')
        identity.create_user('other-member', USER_PASSWORD, other,
                             'member')
        identity.create_user('other-admin', USER_PASSWORD, other, 'admin')
        yield identity, {'demo': demo, 'other': other, 'service': service}


@contextlib.contextmanager
def api_behind(identity, projects, options, catalog, sections=None,
               region=REGION):
    """trove-lite-all with ``auth_strategy = keystone`` behind
    ``identity``; yields a ``Cloud``.

    :param options: its other ``[DEFAULT]`` options (``FAKE_SHAPE``,
        ``LOCAL_SHAPE``).
    :param catalog: register it as the ``database`` service of
        ``region``, whose endpoint is ``/v1.0/%(tenant_id)s`` on the API.
        One region has one such endpoint: an API that is not in the
        catalog is reached with an endpoint override, or put in a region
        of its own (the CLI then names the region).
    :param sections: other sections of its configuration file.
    :raises AssertionError: when the API does not stop cleanly.
    """
    api_port = fixtures.free_port()
    api_base = 'http://127.0.0.1:%d' % api_port
    if catalog:
        identity.register_service('database', 'database',
                                  api_base + '/v1.0/%(tenant_id)s',
                                  region=region)
    # NOTE(local): a short directory the datastore users may enter:
    # pytest's temporary root is private, and a unix socket path has at
    # most 107 characters.
    state = tempfile.mkdtemp(prefix='tl-ks-', dir='/tmp')
    os.chmod(state, 0o755)
    try:
        config = _api_config(state, identity, api_port, options, sections)
        process = conftest.Process('trove-lite-all',
                                   ['--config-file', config],
                                   os.path.join(state, 'all.log'))
        try:
            conftest.wait_for_http(api_base + '/', process)
            yield Cloud(identity, api_base, projects, config, process)
            assert process.stop() == 0, process.log()
        finally:
            process.stop()
    finally:
        conftest.remove_state(state)


def shared_identity(shared_services, token_expiration=3600):
    """The session's ``populated()`` Keystone with that token life."""
    return shared_services.get(('keystone', token_expiration),
                               lambda: populated(token_expiration))


def shared_cloud(shared_services, token_expiration=3600, local=False):
    """The session's Keystone with that token life and trove-lite-all
    behind it, each started by the first module asking.

    :param shared_services: the ``shared_services`` session fixture.
    :param token_expiration: seconds a token lives. A token that lives
        less than keystoneauth's two-minute margin is fetched again for
        every request: each CLI command then authenticates four times
        (about 1.5 s more here), so only a module that must see tokens
        expire should ask for a short life.
    :param local: the API runs real database servers (``LOCAL_SHAPE``,
        not in the catalog) instead of fake ones (``FAKE_SHAPE``, the
        catalog's ``database`` service).
    """
    identity, projects = shared_identity(shared_services, token_expiration)
    options = LOCAL_SHAPE if local else FAKE_SHAPE
    return shared_services.get(
        ('keystone-cloud', token_expiration, local),
        lambda: api_behind(identity, projects, options, catalog=not local))


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
