"""The local driver with a recording launcher: layout, guest_info.conf,
addresses, delete and adoption."""

import base64
import configparser
import os
import socket
import subprocess
import sys

import pytest

from tests.unit import rpc_fixtures
from trove_lite.common import states
from trove_lite.compute import base
from trove_lite.compute.local import driver as local_driver
from trove_lite.compute.local import launcher as agent_launcher
from trove_lite.db.repositories import flavors
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import local_servers


class RecordingLauncher(agent_launcher.AgentLauncher):
    def __init__(self, separate_process=False):
        self.separate_process = separate_process
        self.started = {}
        self.stopped = []

    def start(self, instance_id, guest_info_path):
        self.started[instance_id] = guest_info_path

    def stop(self, instance_id):
        self.stopped.append(instance_id)
        self.started.pop(instance_id, None)

    def running(self, instance_id):
        return instance_id in self.started


@pytest.fixture
def instances_path(tmp_path, override):
    path = tmp_path / 'instances'
    override('instances_path', str(path), group='local')
    override('address_range', '127.77.0.0/29', group='local')
    override('host', 'node-1')
    return path


@pytest.fixture
def launcher():
    return RecordingLauncher()


@pytest.fixture
def driver(launcher, instances_path):
    return local_driver.LocalDriver(launcher=launcher)


@pytest.fixture
def flavor(admin_context):
    return flavors.create_flavor(admin_context, '1', 'm1.tiny', 512, 1, 1)


@pytest.fixture
def new_instance(admin_context, flavor):
    def _new():
        return instances.create(admin_context, {
            'name': 'db', 'tenant_id': 'p1', 'flavor_id': '1'})
    return _new


GUEST_INFO = {'datastore_manager': 'mariadb', 'datastore_version': '11.4',
              'tenant_id': 'p1'}


def test_create_lays_out_the_instance(admin_context, driver, launcher,
                                      instances_path, new_instance, flavor):
    row = new_instance()
    server = driver.create_server(admin_context, row, flavor, GUEST_INFO)
    instance_dir = instances_path / row.id
    for sub in ('data', 'run', 'log'):
        assert (instance_dir / sub).is_dir()
    assert oct(os.stat(instance_dir / 'data').st_mode & 0o777) == '0o700'
    path = instance_dir / 'guest_info.conf'
    assert launcher.started == {row.id: str(path)}
    assert oct(os.stat(path).st_mode & 0o777) == '0o600'
    assert server.status == states.SERVER_ACTIVE
    assert server.addresses == [{'address': '127.77.0.1', 'type': 'private'}]
    stored = local_servers.get(admin_context, row.id)
    assert (stored.id, stored.address, stored.path, stored.host) == (
        server.id, '127.77.0.1', str(instance_dir), 'node-1')


def test_guest_info_conf(admin_context, driver, instances_path,
                         new_instance, flavor):
    row = new_instance()
    driver.create_server(admin_context, row, flavor,
                         dict(GUEST_INFO, port=3307))
    config = configparser.ConfigParser(interpolation=None)
    config.read(instances_path / row.id / 'guest_info.conf')
    assert config['DEFAULT']['guest_id'] == row.id
    assert 'transport_url' not in config['DEFAULT']
    guest = config['guest']
    assert guest['datastore_manager'] == 'mariadb'
    assert guest['datastore_version'] == '11.4'
    assert guest['tenant_id'] == 'p1'
    assert guest['instance_dir'] == str(instances_path / row.id)
    assert guest['bind_host'] == '127.77.0.1'
    assert guest['port'] == '3307'
    key = guest['instance_key']
    assert len(base64.urlsafe_b64decode(key)) == 32
    assert instances.key_of(admin_context, row.id) == key
    stored = instances.get(admin_context, row.id).encrypted_key
    assert key not in stored, 'the key is encrypted at rest'


def test_guest_info_of_a_process_agent_carries_its_own_bus_identity(
        admin_context, instances_path, new_instance, flavor, override):
    rpc_fixtures.register_messaging_opts()
    override('transport_url', 'rabbit://service:secret@mq:5672/')
    driver = local_driver.LocalDriver(RecordingLauncher(True))
    row = new_instance()
    transport = {'transport_url': 'rabbit://trove-guest-1:pw@mq:5672/',
                 'control_exchange': 'trove',
                 'conductor_queue': 'conductor-cell2'}
    driver.create_server(admin_context, row, flavor,
                         dict(GUEST_INFO, guest_transport=transport))
    config = configparser.ConfigParser(interpolation=None)
    config.read(instances_path / row.id / 'guest_info.conf')
    assert dict(config['DEFAULT']) == dict(transport, guest_id=row.id)
    text = (instances_path / row.id / 'guest_info.conf').read_text()
    assert 'service:secret' not in text


def test_process_agent_without_bus_identity_is_refused(
        admin_context, instances_path, new_instance, flavor, override):
    rpc_fixtures.register_messaging_opts()
    override('transport_url', 'rabbit://service:secret@mq:5672/')
    launcher = RecordingLauncher(True)
    driver = local_driver.LocalDriver(launcher)
    row = new_instance()
    with pytest.raises(base.ComputeError, match='broker identity'):
        driver.create_server(admin_context, row, flavor,
                             dict(GUEST_INFO, guest_transport=None))
    assert launcher.started == {}


def test_keys_differ_per_instance(admin_context, driver, new_instance,
                                  flavor):
    a, b = new_instance(), new_instance()
    driver.create_server(admin_context, a, flavor, GUEST_INFO)
    driver.create_server(admin_context, b, flavor, GUEST_INFO)
    assert instances.key_of(admin_context, a.id) != \
        instances.key_of(admin_context, b.id)


def test_addresses_are_unique_and_reused(admin_context, driver,
                                         new_instance, flavor):
    rows = [new_instance() for _ in range(3)]
    got = [driver.create_server(admin_context, r, flavor, GUEST_INFO)
           .addresses[0]['address'] for r in rows]
    assert got == ['127.77.0.1', '127.77.0.2', '127.77.0.3']
    driver.delete_server(admin_context, rows[1])
    again = driver.create_server(admin_context, new_instance(), flavor,
                                 GUEST_INFO)
    assert again.addresses[0]['address'] == '127.77.0.2'


def test_a_full_range_is_a_compute_error(admin_context, driver,
                                         new_instance, flavor, override):
    override('address_range', '127.77.0.0/30', group='local')
    for _ in range(2):
        driver.create_server(admin_context, new_instance(), flavor,
                             GUEST_INFO)
    with pytest.raises(base.ComputeError):
        driver.create_server(admin_context, new_instance(), flavor,
                             GUEST_INFO)


def test_delete_removes_everything(admin_context, driver, launcher,
                                   instances_path, new_instance, flavor):
    row = new_instance()
    driver.create_server(admin_context, row, flavor, GUEST_INFO)
    instance_dir = instances_path / row.id
    # A datastore server started detached by the agent: found by its
    # command line naming the instance directory.
    server = subprocess.Popen(
        [sys.executable, '-c', 'import time; time.sleep(60)',
         '--datadir=%s/data' % instance_dir], start_new_session=True)
    # And one that only a pid file tells about.
    other = subprocess.Popen(['sleep', '60'], start_new_session=True)
    (instance_dir / 'run' / 'other.pid').write_text('%d\n' % other.pid)
    try:
        driver.delete_server(admin_context, row)
        assert server.wait(5) is not None
        assert other.wait(5) is not None
    finally:
        for proc in (server, other):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert not instance_dir.exists()
    assert launcher.stopped == [row.id]
    assert local_servers.get(admin_context, row.id) is None
    assert driver.server_status(admin_context, row) == states.SERVER_DELETED


def test_delete_is_idempotent(admin_context, driver, new_instance, flavor):
    row = new_instance()
    driver.delete_server(admin_context, row)
    driver.create_server(admin_context, row, flavor, GUEST_INFO)
    driver.delete_server(admin_context, row)
    driver.delete_server(admin_context, row)


def test_server_status(admin_context, driver, launcher, new_instance,
                       flavor):
    row = new_instance()
    assert driver.server_status(admin_context, row) == states.SERVER_DELETED
    driver.create_server(admin_context, row, flavor, GUEST_INFO)
    assert driver.server_status(admin_context, row) == states.SERVER_ACTIVE
    launcher.stop(row.id)
    assert driver.server_status(admin_context, row) == states.SERVER_SHUTDOWN


def test_console_output_is_the_tail_of_the_agent_log(
        admin_context, driver, instances_path, new_instance, flavor):
    row = new_instance()
    assert driver.console_output(admin_context, row) == ''
    driver.create_server(admin_context, row, flavor, GUEST_INFO)
    assert driver.console_output(admin_context, row) == ''
    log = instances_path / row.id / 'log' / 'agent.log'
    log.write_text('x' * 100 + 'Failed to find some config files\n')
    assert driver.console_output(admin_context, row, max_chars=33) == (
        'Failed to find some config files\n')


def test_adopt_starts_agents_of_live_instances(admin_context, driver,
                                               launcher, new_instance,
                                               flavor, override):
    live, gone, running = new_instance(), new_instance(), new_instance()
    for row in (live, gone, running):
        driver.create_server(admin_context, row, flavor, GUEST_INFO)
    instances.mark_deleted(admin_context, gone.id)
    launcher.started.pop(live.id)
    launcher.started.pop(gone.id)
    assert driver.adopt_servers(admin_context) == [live.id]
    assert set(launcher.started) == {live.id, running.id}
    override('host', 'node-2')
    launcher.started.clear()
    assert driver.adopt_servers(admin_context) == []


def test_loaded_by_name(launcher):
    assert isinstance(base.load_driver('local', launcher=launcher),
                      local_driver.LocalDriver)


def _listener_on_first_free(port_range=(40000, 60000)):
    """A socket listening on 127.77.0.1 at a port free there."""
    sock = socket.socket()
    for port in range(*port_range):
        try:
            sock.bind(('127.77.0.1', port))
        except OSError:
            continue
        sock.listen()
        return sock, port
    raise AssertionError('no free port on 127.77.0.1')


def test_create_skips_an_address_whose_port_is_taken(
        admin_context, driver, new_instance, flavor):
    listener, port = _listener_on_first_free()
    with listener:
        server = driver.create_server(admin_context, new_instance(), flavor,
                                      dict(GUEST_INFO, port=port))
    assert server.addresses[0]['address'] == '127.77.0.2'


def test_port_free_without_a_port_takes_any_address():
    assert local_driver.port_free(None)('127.77.0.1')
