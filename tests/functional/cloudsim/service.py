"""``CloudSimulator``: the simulated cloud a functional test starts.

It serves the four APIs on one free loopback port from a thread of the
test process (``trove_lite.common.http_server``), behind
keystonemiddleware's ``authtoken`` when it is given the tests' real
Keystone, and registers them in its catalog:

=============  =================================================
compute        ``<url>/compute/v2.1``
volumev3       ``<url>/volume/v3/$(project_id)s`` (and block-storage)
network        ``<url>/network`` (neutronclient adds ``/v2.0``)
image          ``<url>/image`` (requests go to ``/image/v2/...``)
=============  =================================================

plus the control API ``<url>/_sim`` (no token): ``GET resources``,
``GET calls``, ``POST faults`` and ``DELETE faults``, which the fixture's
methods of the same names also give. ``stop()`` deletes every server
(its agent and datastore processes), takes the endpoints out of the
catalog again (so a later simulator of the session is the one clients
find) and removes the state directory.
"""

import contextlib
import os
import random
import tempfile

from keystonemiddleware import auth_token
from oslo_config import cfg

from tests.functional.cloudsim import boot
from tests.functional.cloudsim import compute
from tests.functional.cloudsim import image
from tests.functional.cloudsim import network
from tests.functional.cloudsim import state
from tests.functional.cloudsim import volume
from tests.functional.cloudsim import wsgi
from tests.functional import conftest
from tests.functional import keystone
from trove_lite.common import http_server

#: Catalog entries: (name, service type, path below the simulator's URL).
CATALOG = (
    ('nova', 'compute', '/compute/v2.1'),
    ('cinderv3', 'volumev3', '/volume/v3/$(project_id)s'),
    ('cinder', 'block-storage', '/volume/v3/$(project_id)s'),
    ('neutron', 'network', '/network'),
    ('glance', 'image', '/image'),
)


def random_loopback_cidr():
    """A /24 of 127.78.0.0/16 for a test's network: simulators of tests
    run at the same time rarely pick the same one, and a fixed IP where
    something listens already is skipped anyway.
    """
    return '127.78.%d.0/24' % random.randint(1, 254)


class CloudSimulator:
    """A simulated OpenStack for the nova compute driver's tests.

    :param state_dir: where server directories go (a fresh directory
        under /tmp, removed at ``stop()``, when omitted).
    :param agent_command: the guest agent command without
        ``--config-file`` (``trove-lite-guestagent`` of this environment).
    :param stop_timeout: seconds a server's processes get between SIGTERM
        and SIGKILL when it is deleted.
    :param probe_ports: a fixed IP is never an address where something
        listens on one of these ports (a datastore must bind there).

    :ivar url: the simulator's base URL (``http://127.0.0.1:<port>``),
        once started.
    :ivar endpoints: ``{service type: endpoint URL}`` as registered.
    """

    def __init__(self, state_dir=None, agent_command=None, stop_timeout=10,
                 probe_ports=(3306,)):
        self._own_state = state_dir is None
        self.state_dir = str(state_dir or tempfile.mkdtemp(
            prefix='tl-cloudsim-', dir='/tmp'))
        os.makedirs(self.state_dir, exist_ok=True)
        # NOTE(datastore): a datastore server that drops to its own user
        # must enter the server directories below.
        os.chmod(self.state_dir, 0o755)
        servers_dir = os.path.join(self.state_dir, 'servers')
        os.makedirs(servers_dir, mode=0o755, exist_ok=True)
        self.store = state.Store()
        self.booter = boot.Booter(servers_dir, agent_command, stop_timeout)
        # NOTE(port): served from now on (the APIs' links name the URL,
        # and seeding may come before start()); the APIs answer 503 until
        # start() says whether tokens are needed.
        self._server = http_server.WSGIServer(self._dispatch, '127.0.0.1',
                                              0).start()
        self.url = 'http://127.0.0.1:%d' % self._server.port
        self.network = network.NetworkAPI(self.store, probe_ports)
        self.volume = volume.VolumeAPI(self.store)
        self.volume.add_volume_type(state.DEFAULT_VOLUME_TYPE)
        self.compute = compute.ComputeAPI(self.store, self.volume,
                                          self.booter,
                                          self.url + '/compute/v2.1')
        self.image = image.ImageAPI(self.store, self.url + '/image')
        self._mounts = sorted(
            {'/compute/v2.1': self.compute.router,
             '/volume/v3': self.volume.router,
             '/network/v2.0': self.network.router,
             '/image': self.image.router}.items(),
            key=lambda mount: -len(mount[0]))
        self._control = self._control_router()
        self._apis = _not_started
        self.endpoints = {kind: self.url + path for _, kind, path in CATALOG}
        self._identity = None
        self._stopped = False

    # Life cycle.

    def start(self, identity=None, password=keystone.USER_PASSWORD,
              region=keystone.REGION):
        """Serve the APIs; returns self.

        :param identity: a ``tests.functional.keystone.Keystone``: its
            tokens are required (validated by its ``trove`` service user,
            whose password is ``password``) and the APIs are registered in
            its catalog in ``region``. None: no token needed, the project
            is the ``X-Project-Id`` header's (or ``wsgi.NO_AUTH_PROJECT``).
        """
        if identity is None:
            self._apis = self._dispatch_api
        else:
            self._apis = _authtoken(self._dispatch_api, identity, password)
            self._identity = identity
            for name, kind, path in CATALOG:
                identity.register_service(name, kind, self.url + path,
                                          region=region)
        return self

    def stop(self):
        """Delete every server, stop serving, leave the catalog, remove
        the state directory (and whatever still runs out of it).
        """
        try:
            self.compute.stop_all()
        finally:
            if not self._stopped:
                self._server.stop()
                self._stopped = True
            if self._identity is not None:
                self._identity.remove_endpoints(self.url)
                self._identity = None
            if self._own_state:
                conftest.remove_state(self.state_dir)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def _dispatch(self, environ, start_response):
        # NOTE(control): the control API takes no token; the others go
        # through authtoken (one, whose token cache they share).
        if _mounted(environ, '/_sim'):
            return self._control(environ, start_response)
        return self._apis(environ, start_response)

    def _dispatch_api(self, environ, start_response):
        for prefix, app in self._mounts:
            if _mounted(environ, prefix):
                return app(environ, start_response)
        start_response('404 Not Found', [('Content-Type', 'text/plain')])
        return [b'no simulated API at ' + environ['PATH_INFO'].encode()]

    # Seeding: what the operator made before the tenants came.

    def add_flavor(self, flavor_id, name, ram, vcpus, disk):
        """A flavor (``flavor_id`` as Nova shows it: a string)."""
        return self.compute.add_flavor(flavor_id, name, ram, vcpus, disk)

    def add_image(self, name, tags=(), status='active'):
        """A public image; returns its record (``['id']``)."""
        return self.image.add_image(name, tags, status)

    def add_network(self, name, cidr=None):
        """A shared, external network with one subnet of ``cidr`` (a
        loopback range; ``random_loopback_cidr()`` when omitted) from
        which fixed and floating IPs come; returns its record.
        """
        return self.network.add_network(name, cidr or random_loopback_cidr())

    def add_security_group(self, name, description=''):
        """A pre-existing security group (a management one), not a
        tenant's resource; returns its record.
        """
        return self.network.add_security_group(name, description)

    def add_volume_type(self, name):
        return self.volume.add_volume_type(name)

    # Inspection and faults (the control API's operations).

    def resources(self):
        """What the tenants made and that still exists, by kind."""
        return self.store.resources()

    def calls(self):
        """The operations called so far, in order."""
        return self.store.calls()

    def inject(self, operation, status=500, count=1, message=None):
        """Make the next ``count`` calls of ``operation`` (one of
        ``state.OPERATIONS``) fail with ``status``.
        """
        self.store.inject(operation, status, count, message)

    def clear_faults(self):
        self.store.clear_faults()

    def server_dir(self, server_id):
        """The directory of a server (its guest_info.conf, log/, ...)."""
        return self.booter.server_dir(server_id)

    def _control_router(self):
        router = wsgi.Router(_control_error)
        router.add('GET', '/resources', lambda request: (
            200, self.resources()))
        router.add('GET', '/calls', lambda request: (200, self.calls()))
        router.add('POST', '/faults', self._post_fault)
        router.add('DELETE', '/faults', self._delete_faults)
        return router

    def _delete_faults(self, request):
        self.clear_faults()
        return 204, None

    def _post_fault(self, request):
        body = wsgi.json_body(request)
        try:
            self.inject(body.get('operation'), body.get('status', 500),
                        body.get('count', 1), body.get('message'))
        except (ValueError, TypeError) as err:
            raise state.SimError(400, str(err))
        return 201, None


def _mounted(environ, prefix):
    """Whether the request is below ``prefix``; if so, move ``prefix``
    from ``PATH_INFO`` to ``SCRIPT_NAME``.
    """
    path = environ.get('PATH_INFO', '')
    if path != prefix and not path.startswith(prefix + '/'):
        return False
    environ['SCRIPT_NAME'] = environ.get('SCRIPT_NAME', '') + prefix
    environ['PATH_INFO'] = path[len(prefix):]
    return True


def _not_started(environ, start_response):
    headers = [('Content-Type', 'text/plain')]
    start_response('503 Service Unavailable', headers)
    return [b'the simulator is not started yet']


def _control_error(err):
    return err.status, {'error': err.message}


def _authtoken(app, identity, password):
    """``app`` behind keystonemiddleware's authtoken, which validates
    tokens as Keystone's ``trove`` service user (as ``swift.py``'s proxy
    does) and tells ``app`` the project in ``X-Project-Id``.
    """
    # NOTE(config): a configuration object of its own, not the global
    # one of the test process, which other tests' code parses.
    options = cfg.ConfigOpts()
    options([], project='cloudsim')
    return auth_token.AuthProtocol(app, {
        'oslo_config_config': options,
        'www_authenticate_uri': identity.url, 'auth_url': identity.url,
        'auth_type': 'password', 'username': 'trove', 'password': password,
        'project_name': 'service', 'user_domain_name': 'Default',
        'project_domain_name': 'Default', 'delay_auth_decision': 'false'})


@contextlib.contextmanager
def running(identity=None, **options):
    """A started ``CloudSimulator`` (``options``: its constructor's),
    stopped on exit whatever happened.
    """
    simulator = CloudSimulator(**options)
    try:
        yield simulator.start(identity)
    finally:
        simulator.stop()
