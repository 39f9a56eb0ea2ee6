"""The local driver with a recording launcher: layout, guest_info.conf,
addresses, delete and adoption."""

import configparser
import dataclasses
import json
import os
import socket
import subprocess
import sys

import pytest

from tests.unit import rpc_fixtures
from trove_lite.common import exception
from trove_lite.common import states
from trove_lite.compute import base
from trove_lite.compute.local import driver as local_driver
from trove_lite.compute.local import firewall as firewall_module
from trove_lite.compute.local import launcher as agent_launcher
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import local_servers
from trove_lite.taskmanager import guest_files


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


GUEST_INFO_CONF = """[DEFAULT]
guest_id = %(id)s

[guest]
datastore_manager = mariadb
datastore_version = 11.4
tenant_id = p1
instance_key = the-key
"""


def spec_of(row, flavor, port=None, files=None):
    """A ServerSpec as the taskmanager makes it."""
    if files is None:
        files = {base.GUEST_INFO_PATH: GUEST_INFO_CONF % {'id': row.id}}
    return base.ServerSpec(name='db', flavor=base.flavor_of(flavor),
                           service_ports=(port,) if port else (),
                           files=files)


def test_create_lays_out_the_instance(ctx, driver, launcher,
                                      instances_path, new_instance, flavor):
    row = new_instance()
    server = driver.create_server(ctx, row, spec_of(row, flavor))
    instance_dir = instances_path / row.id
    for sub in ('data', 'run', 'log'):
        assert (instance_dir / sub).is_dir()
    assert oct(os.stat(instance_dir / 'data').st_mode & 0o777) == '0o700'
    path = instance_dir / 'guest_info.conf'
    assert launcher.started == {row.id: str(path)}
    assert oct(os.stat(path).st_mode & 0o777) == '0o600'
    assert server.status == states.SERVER_ACTIVE
    assert server.addresses == [{'address': '127.77.0.1', 'type': 'private'}]
    stored = local_servers.get(ctx, row.id)
    assert (stored.id, stored.address, stored.path, stored.host) == (
        server.id, '127.77.0.1', str(instance_dir), 'node-1')


def test_guest_info_conf_is_the_taskmanagers_plus_local_additions(
        ctx, driver, instances_path, new_instance, flavor):
    row = new_instance()
    driver.create_server(ctx, row, spec_of(row, flavor, 3307))
    config = configparser.ConfigParser(interpolation=None)
    config.read(instances_path / row.id / 'guest_info.conf')
    assert config['DEFAULT']['guest_id'] == row.id
    assert 'transport_url' not in config['DEFAULT']
    guest = config['guest']
    assert guest['datastore_manager'] == 'mariadb'
    assert guest['datastore_version'] == '11.4'
    assert guest['tenant_id'] == 'p1'
    assert guest['instance_key'] == 'the-key', 'the driver makes no key'
    assert guest['instance_dir'] == str(instances_path / row.id)
    assert guest['bind_host'] == '127.77.0.1'
    assert instances.key_of(ctx, row.id) is None


def test_other_files_of_the_guest_conf_dir_land_beside_it(
        ctx, driver, instances_path, new_instance, flavor):
    row = new_instance()
    files = {base.GUEST_INFO_PATH: GUEST_INFO_CONF % {'id': row.id},
             '/etc/trove/conf.d/extra.conf': '[x]\ny = 1\n'}
    driver.create_server(ctx, row, spec_of(row, flavor, files=files))
    path = instances_path / row.id / 'extra.conf'
    assert path.read_text() == '[x]\ny = 1\n'
    assert oct(os.stat(path).st_mode & 0o777) == '0o600'


def test_guest_info_of_a_process_agent_carries_its_own_bus_identity(
        ctx, instances_path, new_instance, flavor, override):
    rpc_fixtures.register_messaging_opts()
    override('transport_url', 'rabbit://service:secret@mq:5672/')
    driver = local_driver.LocalDriver(RecordingLauncher(True))
    row = new_instance()
    transport = {'transport_url': 'rabbit://trove-guest-1:pw@mq:5672/',
                 'control_exchange': 'trove',
                 'conductor_queue': 'conductor-cell2'}
    files = {base.GUEST_INFO_PATH: guest_files.render_guest_info(
        row.id, 'the-key', {'tenant_id': 'p1'}, transport)}
    driver.create_server(ctx, row, spec_of(row, flavor, files=files))
    config = configparser.ConfigParser(interpolation=None)
    config.read(instances_path / row.id / 'guest_info.conf')
    assert dict(config['DEFAULT']) == dict(transport, guest_id=row.id,
                                           report_interval='10')
    text = (instances_path / row.id / 'guest_info.conf').read_text()
    assert 'service:secret' not in text


def test_process_agent_without_bus_identity_is_refused(
        ctx, instances_path, new_instance, flavor, override):
    rpc_fixtures.register_messaging_opts()
    override('transport_url', 'rabbit://service:secret@mq:5672/')
    launcher = RecordingLauncher(True)
    driver = local_driver.LocalDriver(launcher)
    row = new_instance()
    with pytest.raises(base.ComputeError, match='broker identity'):
        driver.create_server(ctx, row, spec_of(row, flavor))
    assert launcher.started == {}
    assert not (instances_path / row.id).exists()


@pytest.mark.parametrize('files', [
    {}, {base.GUEST_INFO_PATH: '[DEFAULT]\n', '/etc/passwd': 'x'}])
def test_files_it_cannot_place_are_a_compute_error(
        ctx, driver, launcher, instances_path, new_instance,
        flavor, files):
    row = new_instance()
    with pytest.raises(base.ComputeError):
        driver.create_server(ctx, row,
                             spec_of(row, flavor, files=files))
    assert launcher.started == {}
    # Refused before anything was made.
    assert not (instances_path / row.id).exists()
    assert local_servers.get(ctx, row.id) is None


def test_a_process_agent_needs_the_transport(instances_path):
    assert local_driver.LocalDriver(
        RecordingLauncher(True)).guest_needs_transport
    assert not local_driver.LocalDriver(
        RecordingLauncher(False)).guest_needs_transport


def test_volume_is_the_data_directory(ctx, driver, instances_path,
                                      new_instance, flavor):
    row = new_instance()
    volume = driver.create_volume(ctx, row, base.VolumeSpec(2))
    data = instances_path / row.id / 'data'
    assert data.is_dir() and volume.size == 2
    driver.create_server(ctx, row, spec_of(row, flavor))
    assert driver.attach_volume(ctx, row, volume.id) == str(data)
    assert driver.extend_volume(ctx, row, volume.id, 3).size == 3
    driver.delete_volume(ctx, row, volume.id)
    assert not data.exists()
    driver.delete_volume(ctx, row, volume.id)


def test_extending_to_a_smaller_size_is_a_compute_error(
        ctx, driver, new_instance):
    row = new_instance()
    instances.update(ctx, row.id, volume_size=5)
    row = instances.get(ctx, row.id)
    with pytest.raises(base.ComputeError):
        driver.extend_volume(ctx, row, row.id, 4)
    # The size it has (a repeated resize) is no error.
    assert driver.extend_volume(ctx, row, row.id, 5).size == 5
    assert driver.extend_volume(ctx, row, row.id, 6).size == 6


def test_server_groups_are_names_only(ctx, driver):
    group = driver.create_server_group(ctx, 'g', 'affinity')
    assert group
    driver.delete_server_group(ctx, group)


def test_flavors_are_the_flavors_table(ctx, driver, flavor):
    assert driver.flavors_in_infra_db
    assert driver.list_flavors(ctx) == [
        base.Flavor('1', 'm1.tiny', 512, 1, 1, 0)]
    assert driver.get_flavor(ctx, '1').ram == 512
    with pytest.raises(exception.FlavorNotFound):
        driver.get_flavor(ctx, '2')


def test_addresses_are_unique_and_reused(ctx, driver,
                                         new_instance, flavor):
    rows = [new_instance() for _ in range(3)]
    got = [driver.create_server(ctx, r, spec_of(r, flavor))
           .addresses[0]['address'] for r in rows]
    assert got == ['127.77.0.1', '127.77.0.2', '127.77.0.3']
    driver.delete_server(ctx, rows[1])
    row = new_instance()
    again = driver.create_server(ctx, row, spec_of(row, flavor))
    assert again.addresses[0]['address'] == '127.77.0.2'


def test_a_full_range_is_a_compute_error(ctx, driver,
                                         new_instance, flavor, override):
    override('address_range', '127.77.0.0/30', group='local')
    for _ in range(2):
        row = new_instance()
        driver.create_server(ctx, row, spec_of(row, flavor))
    row = new_instance()
    with pytest.raises(base.ComputeError):
        driver.create_server(ctx, row, spec_of(row, flavor))


def test_delete_removes_everything(ctx, driver, launcher,
                                   instances_path, new_instance, flavor):
    row = new_instance()
    driver.create_server(ctx, row, spec_of(row, flavor))
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
        driver.delete_server(ctx, row)
        assert server.wait(5) is not None
        assert other.wait(5) is not None
    finally:
        for proc in (server, other):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert not instance_dir.exists()
    assert launcher.stopped == [row.id]
    assert local_servers.get(ctx, row.id) is None
    assert driver.server_status(ctx, row) == states.SERVER_DELETED


def test_delete_is_idempotent(ctx, driver, new_instance, flavor):
    row = new_instance()
    driver.delete_server(ctx, row)
    driver.create_server(ctx, row, spec_of(row, flavor))
    driver.delete_server(ctx, row)
    driver.delete_server(ctx, row)


def test_server_status(ctx, driver, launcher, new_instance,
                       flavor):
    row = new_instance()
    assert driver.server_status(ctx, row) == states.SERVER_DELETED
    driver.create_server(ctx, row, spec_of(row, flavor))
    assert driver.server_status(ctx, row) == states.SERVER_ACTIVE
    launcher.stop(row.id)
    assert driver.server_status(ctx, row) == states.SERVER_SHUTDOWN


def test_console_output_is_the_tail_of_the_agent_log(
        ctx, driver, instances_path, new_instance, flavor):
    row = new_instance()
    assert driver.console_output(ctx, row) == ''
    driver.create_server(ctx, row, spec_of(row, flavor))
    assert driver.console_output(ctx, row) == ''
    log = instances_path / row.id / 'log' / 'agent.log'
    log.write_text('x' * 100 + 'Failed to find some config files\n')
    assert driver.console_output(ctx, row, max_chars=33) == (
        'Failed to find some config files\n')


def test_adopt_starts_agents_of_live_instances(ctx, driver,
                                               launcher, new_instance,
                                               flavor, override):
    live, gone, running = new_instance(), new_instance(), new_instance()
    for row in (live, gone, running):
        driver.create_server(ctx, row, spec_of(row, flavor))
    instances.mark_deleted(ctx, gone.id)
    launcher.started.pop(live.id)
    launcher.started.pop(gone.id)
    assert driver.adopt_servers(ctx) == [live.id]
    assert set(launcher.started) == {live.id, running.id}
    override('host', 'node-2')
    launcher.started.clear()
    assert driver.adopt_servers(ctx) == []


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
        ctx, driver, new_instance, flavor):
    listener, port = _listener_on_first_free()
    with listener:
        row = new_instance()
        server = driver.create_server(ctx, row,
                                      spec_of(row, flavor, port))
    assert server.addresses[0]['address'] == '127.77.0.2'


def test_port_free_without_a_port_takes_any_address():
    assert local_driver.port_free(None)('127.77.0.1')


class RecordingFirewall:
    """What the driver asked of its firewall, in order; ``refuse`` makes
    ``apply`` fail as nft does.
    """

    enforced = True

    def __init__(self, launcher=None):
        self.calls = []
        self.refuse = None
        self.launcher = launcher

    def apply(self, address, access, owner):
        # Whether the agent (and so the datastore) ran already.
        running = bool(self.launcher and self.launcher.running(owner))
        self.calls.append(('apply', address, access, owner, running))
        if self.refuse:
            raise firewall_module.FirewallError(reason=self.refuse)

    def remove(self, address):
        self.calls.append(('remove', address))


@pytest.fixture
def walled(launcher, instances_path):
    wall = RecordingFirewall(launcher)
    return local_driver.LocalDriver(launcher=launcher, firewall=wall), wall


def test_create_applies_the_access_before_the_agent_starts(
        ctx, walled, launcher, instances_path, new_instance, flavor):
    driver, wall = walled
    row = new_instance()
    spec = dataclasses.replace(
        spec_of(row, flavor, 3306),
        access=base.AccessSpec(True, ('127.0.0.2/32',)))
    driver.create_server(ctx, row, spec)
    applied = base.AccessSpec(True, ('127.0.0.2/32',), (3306,))
    assert wall.calls == [('apply', '127.77.0.1', applied, row.id, False)]
    assert launcher.started
    assert json.loads((instances_path / row.id / 'access.json').read_text()
                      ) == {'is_public': True,
                            'allowed_cidrs': ['127.0.0.2/32'],
                            'ports': [3306], 'address': '127.77.0.1'}


def test_a_spec_without_access_is_private_on_its_ports(
        ctx, walled, new_instance, flavor):
    driver, wall = walled
    row = new_instance()
    driver.create_server(ctx, row, spec_of(row, flavor, 5432))
    assert wall.calls[0][2] == base.AccessSpec(False, (), (5432,))


def test_refused_rules_fail_the_create_and_start_nothing(
        ctx, walled, launcher, new_instance, flavor):
    driver, wall = walled
    wall.refuse = 'Operation not permitted'
    row = new_instance()
    with pytest.raises(base.ComputeError, match='Operation not permitted'):
        driver.create_server(ctx, row, spec_of(row, flavor, 3306))
    assert launcher.started == {}
    # What the create made goes with the revert's delete, rules included.
    driver.delete_server(ctx, row)
    assert wall.calls[-1] == ('remove', '127.77.0.1')


def test_apply_access_replaces_it_on_the_ports_the_create_covered(
        ctx, walled, instances_path, new_instance, flavor):
    driver, wall = walled
    row = new_instance()
    driver.create_server(ctx, row, spec_of(row, flavor, 3306))
    addresses = driver.apply_access(
        ctx, row, base.AccessSpec(True, ('127.0.0.3/32',)))
    assert addresses == [{'address': '127.77.0.1', 'type': 'private'}]
    assert wall.calls[-1][:3] == (
        'apply', '127.77.0.1',
        base.AccessSpec(True, ('127.0.0.3/32',), (3306,)))
    record = json.loads((instances_path / row.id / 'access.json'
                         ).read_text())
    assert record['allowed_cidrs'] == ['127.0.0.3/32']


def test_apply_access_without_a_server_is_a_compute_error(
        ctx, walled, new_instance):
    driver, wall = walled
    with pytest.raises(base.ComputeError, match='no local server'):
        driver.apply_access(ctx, new_instance(), base.AccessSpec())
    assert wall.calls == []


def test_delete_removes_the_rules_of_the_address(ctx, walled, launcher,
                                                 new_instance, flavor):
    driver, wall = walled
    row = new_instance()
    driver.create_server(ctx, row, spec_of(row, flavor, 3306))
    driver.delete_server(ctx, row)
    assert wall.calls[-1] == ('remove', '127.77.0.1')
    # Gone already: nothing to remove, no error.
    driver.delete_server(ctx, row)
    assert wall.calls[-1] == ('remove', '127.77.0.1')
    assert len([c for c in wall.calls if c[0] == 'remove']) == 1


def test_adoption_restores_the_access_of_live_instances(
        ctx, walled, launcher, instances_path, new_instance, flavor):
    driver, wall = walled
    recorded, older, gone = new_instance(), new_instance(), new_instance()
    for row in (recorded, older, gone):
        driver.create_server(ctx, row, spec_of(row, flavor, 3306))
    driver.apply_access(ctx, recorded, base.AccessSpec(
        True, ('127.0.0.2/32',)))
    # A server made before access was recorded: the row's access, on
    # every TCP port of its address.
    (instances_path / older.id / 'access.json').unlink()
    instances.update(ctx, older.id, access='{"is_public": true}')
    instances.mark_deleted(ctx, gone.id)
    wall.calls.clear()
    driver.adopt_servers(ctx)
    assert sorted((call[3], call[2]) for call in wall.calls) == sorted([
        (recorded.id, base.AccessSpec(True, ('127.0.0.2/32',), (3306,))),
        (older.id, base.AccessSpec(True, (), ()))])


def test_the_firewall_comes_from_the_option(launcher, instances_path):
    driver = local_driver.LocalDriver(launcher=launcher)
    # The unit tests' default (conftest): nothing touches this host.
    assert not driver.firewall.enforced
