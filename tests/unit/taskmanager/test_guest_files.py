"""What a guest is told: its key, its broker options, guest_info.conf."""

import configparser

from tests.unit import rpc_fixtures
from trove_lite.compute import base as compute_base
from trove_lite.guestagent import info as guest_info_module
from trove_lite.taskmanager import guest_files

GUEST_INFO = {'datastore_manager': 'mariadb', 'datastore_version': '11.4',
              'tenant_id': 'p1', 'port': 3307}


class Driver:
    def __init__(self, guest_needs_transport):
        self.guest_needs_transport = guest_needs_transport


def _parse(text):
    # NOTE(test): [DEFAULT] as a section of its own, not inherited.
    config = configparser.ConfigParser(interpolation=None,
                                       default_section='-')
    config.read_string(text)
    return config


def test_guest_info_conf_carries_identity_datastore_and_key():
    config = _parse(guest_files.render_guest_info('i-1', 'k3y', GUEST_INFO))
    assert dict(config['DEFAULT']) == {'guest_id': 'i-1'}
    assert dict(config['guest']) == {
        'datastore_manager': 'mariadb', 'datastore_version': '11.4',
        'tenant_id': 'p1', 'port': '3307', 'instance_key': 'k3y'}


def test_the_guest_reads_what_the_taskmanager_renders(tmp_path):
    path = tmp_path / 'guest_info.conf'
    path.write_text(guest_files.render_guest_info('i-1', 'k3y', GUEST_INFO))
    info = guest_info_module.load(str(path))
    assert (info.guest_id, info.datastore_manager, info.port,
            info.tenant_id, info.instance_key) == (
        'i-1', 'mariadb', 3307, 'p1', 'k3y')


def test_a_version_with_binaries_of_its_own_names_their_directories(
        tmp_path):
    path = tmp_path / 'guest_info.conf'
    path.write_text(guest_files.render_guest_info('i-1', 'k3y', dict(
        GUEST_INFO, server_path=['/opt/redis-6.2/bin', '/opt/more'])))
    info = guest_info_module.load(str(path))
    assert info.server_path == ('/opt/redis-6.2/bin', '/opt/more')
    # Without any, the host's own binaries (PATH).
    path.write_text(guest_files.render_guest_info('i-1', 'k3y', GUEST_INFO))
    assert guest_info_module.load(str(path)).server_path == ()


def test_a_guest_gets_its_own_broker_options():
    transport = {'transport_url': 'rabbit://u:p@mq:5672/',
                 'control_exchange': 'trove',
                 'conductor_queue': 'conductor-cell2'}
    files = guest_files.guest_files('i-1', 'k', GUEST_INFO, transport)
    config = _parse(files[compute_base.GUEST_INFO_PATH])
    assert config['DEFAULT']['transport_url'] == 'rabbit://u:p@mq:5672/'
    assert config['DEFAULT']['conductor_queue'] == 'conductor-cell2'


def test_a_guest_without_broker_options_gets_none(override):
    rpc_fixtures.register_messaging_opts()
    override('transport_url', 'rabbit://u:p@mq:5672/')
    text = guest_files.render_guest_info('i-1', 'k', GUEST_INFO, None)
    assert 'transport_url' not in _parse(text)['DEFAULT']


def test_keys_differ_per_instance():
    keys = {guest_files.new_instance_key() for _ in range(3)}
    assert len(keys) == 3
