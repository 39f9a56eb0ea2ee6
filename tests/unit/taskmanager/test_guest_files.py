"""What a guest is told: its key, its broker options, guest_info.conf."""

import configparser

from oslo_config import cfg

from tests.unit import rpc_fixtures
from trove_lite.compute import base as compute_base
from trove_lite.conf import datastores as datastores_conf
from trove_lite.conf import guest_agent as guest_agent_conf
from trove_lite.conf import instances as instances_conf
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
    assert dict(config['DEFAULT']) == {'guest_id': 'i-1',
                                       'report_interval': '10'}
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


def test_a_guest_gets_its_datastore_options_from_the_control_plane(
        tmp_path, override):
    # NOTE(semi-sync): an agent that runs as a process of its own reads
    # only guest_info.conf; without this, its source never waited for a
    # replica however the operator configured [mariadb].
    override('replication_semi_sync', True, group='mariadb')
    override('replication_semi_sync_timeout', 2500, group='mariadb')
    override('ignore_users', ['os_admin', 'backup'], group='mariadb')
    text = guest_files.render_guest_info('i-1', 'k', GUEST_INFO)
    section = _parse(text)['mariadb']
    assert section['replication_semi_sync'] == 'true'
    assert 'replication_semi_sync' not in _parse(text)['guest']
    path = tmp_path / 'guest_info.conf'
    path.write_text(text)
    agent_conf = cfg.ConfigOpts()
    datastores_conf.register_opts(agent_conf)
    agent_conf(['--config-file', str(path)], project='test')
    assert agent_conf.mariadb.replication_semi_sync is True
    assert agent_conf.mariadb.replication_semi_sync_timeout == 2500
    assert agent_conf.mariadb.ignore_users == ['os_admin', 'backup']
    assert agent_conf.mariadb.backup_strategy == \
        cfg.CONF.mariadb.backup_strategy


def test_a_guest_beats_and_supervises_as_the_control_plane_says(
        tmp_path, override):
    override('report_interval', 1)
    override('server_crash_limit', 2, group='guest_agent')
    path = tmp_path / 'guest_info.conf'
    path.write_text(guest_files.render_guest_info('i-1', 'k', GUEST_INFO))
    agent_conf = cfg.ConfigOpts()
    guest_agent_conf.register_opts(agent_conf)
    instances_conf.register_opts(agent_conf)
    agent_conf(['--config-file', str(path)], project='test')
    assert agent_conf.report_interval == 1
    assert agent_conf.guest_agent.server_crash_limit == 2
    assert agent_conf.guest_agent.server_restart_enabled is True


def test_an_unknown_datastore_gets_no_section():
    info = dict(GUEST_INFO, datastore_manager='nosuch')
    config = _parse(guest_files.render_guest_info('i-1', 'k', info))
    assert 'nosuch' not in config


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
