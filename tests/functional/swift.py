"""A real OpenStack Swift for functional tests.

``start()`` runs Swift from PyPI (the ``swift`` package of
test-requirements) as a one-node cluster in a directory of its own:

- ``swift.conf`` (hash path prefix and suffix, one storage policy) and
  account, container and object rings built with ``swift-ring-builder``
  (one replica, one device ``d1`` on loopback), all under ``swift_dir``,
  which every server's configuration names, so nothing is read from
  ``/etc/swift``;
- the account, container and object servers and the proxy, each its own
  process (``workers = 0``: one process, no forked children, so stopping
  it stops everything it runs) on a free loopback port, storing under
  ``devices/`` with ``mount_check = false``;
- the proxy's pipeline has ``tempauth`` (user ``test:tester``, key
  ``testing``, account ``AUTH_test``) and ``slo``/``dlo``, so large
  objects work as in a real cloud.

``start(identity=...)`` puts Keystone in front as well, as a cloud runs
Swift: ``authtoken`` (keystonemiddleware, deciding late so that tempauth's
tokens still pass) and ``keystoneauth`` with the accounts ``KEY_<project
id>`` for project members; ``shared_keystone`` registers such a Swift as
the catalog's ``object-store``, which troveclient's ``log tail`` and
``[backup] swift_auth = keystone`` find there.

NOTE(memcached): tempauth keeps its tokens in memcached unless it is given
fernet keys; with a key (``active_fernet_key_id``) its tokens carry their
own groups, and nothing else in this pipeline needs memcached, so none is
run.

NOTE(xattr): the object server keeps an object's metadata in user
extended attributes of its file, in pieces of at most 254 bytes. The
state directory lives under ``/tmp`` (ext4 here, which takes them);
``start()`` checks the devices directory before starting anything and
fails with the reason, since an object server without xattrs answers every
PUT with a 507 that explains nothing. ``TROVE_LITE_TEST_SWIFT_DIR`` puts it
on another filesystem.

NOTE(logging): Swift logs to syslog; with ``-v`` each server also logs to
its stderr, which goes to its log file in the state directory. The syslog
copy goes to a UDP port on loopback that nothing reads (``/dev/log`` is
often missing in containers, and Swift would then send to port 514).
"""

import base64
import contextlib
import os
import pathlib
import pwd
import shutil
import subprocess
import tempfile
import uuid

from swiftclient import client as swift_client

from tests.functional import conftest
from tests.functional import fixtures

USER = 'test:tester'
KEY = 'testing'
ACCOUNT = 'AUTH_test'
DEVICE = 'd1'
SERVERS = ('account', 'container', 'object')


class Swift:
    """A running Swift; what a test or a ``[backup]`` section needs.

    :ivar auth_url: the tempauth v1 auth URL (``swift_auth_url``).
    :ivar user: ``swift_user``.
    :ivar key: ``swift_key``.
    :ivar storage_url: the account's URL (``.../v1/AUTH_test``).
    :ivar processes: the servers, by name (``proxy``, ``object``, ...).
    """

    def __init__(self, proxy_url, processes, state):
        self.proxy_url = proxy_url
        self.auth_url = proxy_url + '/auth/v1.0'
        self.user = USER
        self.key = KEY
        self.storage_url = '%s/v1/%s' % (proxy_url, ACCOUNT)
        self.processes = processes
        self.state = state

    def token(self):
        """Authenticate as ``user``: ``(storage_url, token)``."""
        return swift_client.get_auth(self.auth_url, self.user, self.key)

    def connection(self):
        """A swiftclient ``Connection`` as ``user``, to look at what a test
        stored.
        """
        return swift_client.Connection(authurl=self.auth_url, user=self.user,
                                       key=self.key, retries=0)

    def logs(self):
        """Every server's log, for a failure message."""
        return '\n'.join('--- %s\n%s' % (name, process.log())
                         for name, process in self.processes.items())


def _check_xattr(directory):
    probe = pathlib.Path(directory) / '.xattr-probe'
    probe.touch()
    try:
        os.setxattr(probe, 'user.swift.metadata', b'x' * 254)
    except OSError as err:
        raise AssertionError(
            'the filesystem of %s takes no user extended attributes (%s); '
            'Swift\'s object server needs them: set TROVE_LITE_TEST_SWIFT_'
            'DIR to a directory on ext4, xfs or tmpfs' % (directory, err))
    finally:
        probe.unlink()


def _build_ring(swift_dir, server, port):
    builder = str(swift_dir / ('%s.builder' % server))
    ring_builder = conftest.console_script('swift-ring-builder')
    # NOTE(ring): 2^4 partitions, one replica, min_part_hours 0 (a fresh
    # ring is rebalanced once); exit status 1 is a warning (e.g. about
    # balance on one device), so the ring file is what is checked.
    for args in (['create', '4', '1', '0'],
                 ['add', 'r1z1-127.0.0.1:%d/%s' % (port, DEVICE), '100'],
                 ['rebalance']):
        result = subprocess.run([ring_builder, builder] + args,
                                capture_output=True, text=True, timeout=60,
                                stdin=subprocess.DEVNULL)
        if result.returncode not in (0, 1):
            raise AssertionError('swift-ring-builder %s %s exited %s:\n%s%s'
                                 % (builder, ' '.join(args),
                                    result.returncode, result.stdout,
                                    result.stderr))
    ring = swift_dir / ('%s.ring.gz' % server)
    assert ring.exists(), 'swift-ring-builder wrote no %s' % ring


def _common(swift_dir, devices, port, log_port):
    return {'bind_ip': '127.0.0.1', 'bind_port': port,
            'workers': 0, 'user': pwd.getpwuid(os.getuid()).pw_name,
            'swift_dir': swift_dir, 'devices': devices,
            'mount_check': 'false', 'disable_fallocate': 'true',
            'log_udp_host': '127.0.0.1', 'log_udp_port': log_port,
            'log_level': 'INFO'}


def _server_config(path, server, common):
    egg = 'egg:swift#%s' % server
    return fixtures.write_config(path, {
        'DEFAULT': common,
        'pipeline:main': {'pipeline': '%s-server' % server},
        'app:%s-server' % server: {'use': egg},
        # NOTE(swift): the object server's replicator, updater and
        # auditor sections are read only by those daemons, never run here.
    })


KEYSTONE_PREFIX = 'KEY'


def _keystone_filters(identity, password):
    """The ``authtoken`` and ``keystoneauth`` filters for ``identity``
    (a ``tests.functional.keystone.Keystone``); its ``trove`` service
    user, whose password is ``password``, validates the tokens.
    """
    return {
        'filter:authtoken': {
            'paste.filter_factory':
                'keystonemiddleware.auth_token:filter_factory',
            'www_authenticate_uri': identity.url,
            'auth_url': identity.url, 'auth_type': 'password',
            'username': 'trove', 'password': password,
            'project_name': 'service', 'user_domain_name': 'Default',
            'project_domain_name': 'Default',
            'delay_auth_decision': 'true'},
        'filter:keystoneauth': {
            'use': 'egg:swift#keystoneauth',
            'reseller_prefix': KEYSTONE_PREFIX,
            'operator_roles': 'admin, member'},
    }


def _proxy_config(path, common, identity=None, password=None):
    fernet_key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    filters = ('catch_errors', 'gatekeeper', 'healthcheck', 'proxy-logging',
               'listing_formats', 'copy', 'slo', 'dlo')
    auth = 'authtoken keystoneauth tempauth' if identity else 'tempauth'
    sections = {
        'DEFAULT': common,
        'pipeline:main': {'pipeline': (
            'catch_errors gatekeeper healthcheck proxy-logging '
            'listing_formats %s copy slo dlo proxy-logging '
            'proxy-server' % auth)},
        'app:proxy-server': {'use': 'egg:swift#proxy',
                             'account_autocreate': 'true'},
        'filter:tempauth': {'use': 'egg:swift#tempauth',
                            'reseller_prefix': 'AUTH',
                            'user_test_tester': '%s .admin' % KEY,
                            'fernet_key_1': fernet_key,
                            'active_fernet_key_id': '1'},
    }
    for name in filters:
        sections['filter:%s' % name] = {
            'use': 'egg:swift#%s' % name.replace('-', '_')}
    if identity is not None:
        sections.update(_keystone_filters(identity, password))
    return fixtures.write_config(path, sections)


def _swift_conf(path):
    return fixtures.write_config(path, {
        'swift-hash': {'swift_hash_path_prefix': uuid.uuid4().hex,
                       'swift_hash_path_suffix': uuid.uuid4().hex},
        'storage-policy:0': {'name': 'gold', 'default': 'yes'},
    })


@contextlib.contextmanager
def start(identity=None, password=None):
    """Set up and serve a one-node Swift; yields a ``Swift``.

    :param identity: a Keystone whose tokens the proxy takes too (for
        accounts ``KEY_<project id>``); None for tempauth only.
    :param password: the password of that Keystone's ``trove`` service
        user, which validates tokens for the proxy.

    Every server is stopped and the state directory removed on exit,
    whatever happened.

    :raises AssertionError: when a server exits or does not answer (the
        message has its log), or the filesystem lacks xattrs.
    """
    base = os.environ.get('TROVE_LITE_TEST_SWIFT_DIR', '/tmp')
    state = pathlib.Path(tempfile.mkdtemp(prefix='tl-swift-', dir=base))
    processes = {}
    try:
        swift_dir = state / 'etc'
        devices = state / 'devices'
        (devices / DEVICE).mkdir(parents=True)
        swift_dir.mkdir()
        _check_xattr(devices / DEVICE)
        _swift_conf(swift_dir / 'swift.conf')
        log_port = fixtures.free_port()
        ports = {name: fixtures.free_port() for name in SERVERS}
        for name in SERVERS:
            _build_ring(swift_dir, name, ports[name])
        configs = {
            name: _server_config(
                swift_dir / ('%s-server.conf' % name), name,
                _common(swift_dir, devices, ports[name], log_port))
            for name in SERVERS}
        proxy_port = fixtures.free_port()
        configs['proxy'] = _proxy_config(
            swift_dir / 'proxy-server.conf',
            _common(swift_dir, devices, proxy_port, log_port), identity,
            password)
        ports['proxy'] = proxy_port
        for name, config in configs.items():
            command = conftest.console_script('swift-%s-server' % name)
            processes[name] = conftest.Process(
                'swift-%s-server' % name, [config, '-v'],
                state / ('%s.log' % name), command=[command])
        for name, process in processes.items():
            path = '/healthcheck' if name == 'proxy' else '/'
            conftest.wait_for_http('http://127.0.0.1:%d%s' % (
                ports[name], path), process)
        service = Swift('http://127.0.0.1:%d' % proxy_port, processes, state)
        yield service
    finally:
        for process in processes.values():
            process.stop()
        shutil.rmtree(state, ignore_errors=True)


def shared(shared_services):
    """The session's Swift, started by the first module asking."""
    return shared_services.get('swift', start)


def shared_keystone(shared_services, identity, password, regions=()):
    """The session's Swift behind ``identity`` (``password``: of its
    ``trove`` service user), the catalog's ``object-store``
    (``/v1/KEY_%(tenant_id)s``) in the identity's region and each of
    ``regions``, started and registered by the first module asking (a
    region is registered once).
    """

    def registered():
        service = shared_services.get(('swift-keystone', identity.url),
                                      lambda: start(identity, password))
        url = service.proxy_url + '/v1/%s_%%(tenant_id)s' % KEYSTONE_PREFIX
        identity.register_service('swift', 'object-store', url)
        return contextlib.nullcontext(service)

    service = shared_services.get(('swift-keystone-catalog', identity.url),
                                  registered)
    for region in regions:
        shared_services.get(
            ('swift-keystone-region', identity.url, region),
            lambda: contextlib.nullcontext(identity.register_service(
                'swift', 'object-store', service.proxy_url + '/v1/%s_%%'
                '(tenant_id)s' % KEYSTONE_PREFIX, region=region)))
    return service
