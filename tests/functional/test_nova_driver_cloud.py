"""The nova compute driver against a cloud: the simulator of
``tests.functional.cloudsim``, through the real client libraries.

trove-lite-api, -taskmanager and -conductor run as processes of their
own on the real RabbitMQ and a MariaDB infrastructure database, with
``compute_driver = nova`` and service credentials of the session's real
Keystone, whose catalog names the simulator's Compute, Block Storage,
Network and Image endpoints in a region of their own. A "server boot" of
the simulator starts a real ``trove-lite-guestagent`` with the files the
driver injected, and that agent starts a real MariaDB on the address of
the server's first port, reaching the conductor over RabbitMQ as a
cloud's guest would.

What is proven: create -> ACTIVE -> databases and users -> access ->
delete through the nova driver leaves no server, port, security group,
floating address, volume or server group behind; and a create that fails
at any step of the cloud (a fault injected into the simulator) ends in
ERROR with the cloud's reason and nothing left either.
"""

import os
import pathlib
import tempfile
import types

from oslo_config import cfg
import pymysql
import pytest
import requests

from tests.functional.cloudsim import service as cloudsim
from tests.functional import conftest
from tests.functional import fixtures
from tests.functional import keystone
from tests import waiting
from trove_lite.compute import base as compute_base
from trove_lite.compute.nova import driver as nova_driver
from trove_lite.conf import nova as nova_conf

REGION = 'RegionNova'
PROJECT = 'a6c2e8f4b1d34e7f9a0b2c4d6e8f0a1b'
IMAGE_TAGS = ('trove', 'mariadb')
USER, PASSWORD, DATABASE = 'shop', 'Shop-secret-1', 'shop'


@pytest.fixture(scope='module')
def cloud(shared_services):
    identity, projects = keystone.shared_identity(shared_services)
    # NOTE(local): a short directory the mysql user may enter (see
    # test_instance_lifecycle_cloud).
    state = pathlib.Path(tempfile.mkdtemp(prefix='tl-nova-', dir='/tmp'))
    os.chmod(state, 0o755)
    simulator = None
    try:
        simulator = cloudsim.CloudSimulator(state / 'cloud')
        simulator.start(identity=identity, region=REGION)
        simulator.add_flavor('1', 'm1.tiny', ram=512, vcpus=1, disk=1)
        simulator.add_flavor('2', 'm1.small', ram=2048, vcpus=1, disk=20)
        simulator.add_image('trove-guest-mariadb', tags=IMAGE_TAGS)
        tenant_net = simulator.add_network('demo-net')['id']
        mgmt_net = simulator.add_network('trove-mgmt')['id']
        public_net = simulator.add_network('public')['id']
        simulator.add_security_group('trove-mgmt-sg')
        with fixtures.mariadb_database('trove_lite_nova') as db_url:
            yield from _control_plane(state, identity, simulator, db_url, {
                'tenant_net': tenant_net, 'mgmt_net': mgmt_net,
                'public_net': public_net})
    finally:
        if simulator is not None:
            simulator.stop()
        conftest.remove_state(state)


def _control_plane(state, identity, simulator, db_url, networks):
    port = fixtures.free_port()
    bus = fixtures.unique_bus()
    credentials = {
        'auth_type': 'password', 'auth_url': identity.url,
        'username': 'trove', 'password': keystone.USER_PASSWORD,
        'project_name': 'service', 'user_domain_name': 'Default',
        'project_domain_name': 'Default', 'region_name': REGION}
    config = fixtures.write_config(state / 'trove-lite.conf', {
        'DEFAULT': dict(
            bus, auth_strategy='noauth', bind_host='127.0.0.1',
            bind_port=port, state_path=state / 'state',
            transport_url=fixtures.RABBIT_URL, host='nova-%s' % port,
            report_interval=2, compute_driver='nova',
            inst_rpc_key_encr_key='nova-driver-test-secret',
            management_networks=networks['mgmt_net'],
            management_security_groups='trove-mgmt-sg'),
        'database': {'connection': db_url},
        'service_credentials': credentials,
        'nova': {'poll_interval': 0.2, 'server_boot_timeout': 120,
                 'volume_timeout': 60, 'server_delete_timeout': 60,
                 'public_network_id': networks['public_net']},
    })
    manage = ['--config-file', config]
    conftest.run_script('trove-lite-manage', *manage, 'db_sync')
    conftest.run_script('trove-lite-manage', *manage, 'datastore_update',
                        'mysql', '')
    conftest.run_script('trove-lite-manage', *manage,
                        'datastore_version_update', 'mysql', '10.11',
                        'mysql', '', '', '1',
                        '--image-tags', ','.join(IMAGE_TAGS))
    conftest.run_script('trove-lite-manage', *manage, 'datastore_update',
                        'mysql', '10.11')
    processes = [conftest.Process(name, manage, state / ('%s.log' % name))
                 for name in ('trove-lite-conductor',
                              'trove-lite-taskmanager', 'trove-lite-api')]
    try:
        base = 'http://127.0.0.1:%d' % port
        conftest.wait_for_http(base + '/', processes[-1])
        for process, topic in zip(processes, (bus['conductor_queue'],
                                              bus['taskmanager_queue'])):
            conftest.wait_for_log(process, 'RPC service %s listening'
                                  % topic)
        # The taskmanager copied Nova's flavors into the catalogue.
        conftest.wait_for_log(processes[1], 'Flavor catalogue')
        yield dict(networks, v1='%s/v1.0/%s' % (base, PROJECT),
                   state=state, processes=processes, simulator=simulator,
                   credentials=credentials)
        for process in processes:
            assert process.stop() == 0, process.log()
    finally:
        for process in processes:
            process.stop()


def logs(cloud):
    return '\n'.join('== %s\n%s' % (p.name, p.log()[-5000:])
                     for p in cloud['processes'])


def api(cloud, method, path, **kwargs):
    return requests.request(method, cloud['v1'] + path, timeout=60,
                            **kwargs)


def shown(cloud, instance_id):
    resp = api(cloud, 'GET', '/instances/%s' % instance_id)
    return None if resp.status_code == 404 else resp.json()['instance']


def wait_status(cloud, instance_id, wanted, deadline=180):
    return waiting.wait_for_status(
        lambda: shown(cloud, instance_id), wanted, timeout=deadline,
        describe=lambda: logs(cloud))


def create(cloud, name, **fields):
    body = {'name': name, 'flavorRef': '1', 'volume': {'size': 1},
            'datastore': {'type': 'mysql', 'version': '10.11'},
            'nics': [{'net-id': cloud['tenant_net']}]}
    body.update(fields)
    resp = api(cloud, 'POST', '/instances', json={'instance': body})
    assert resp.status_code == 200, resp.text
    return resp.json()['instance']['id']


def delete(cloud, instance_id):
    resp = api(cloud, 'DELETE', '/instances/%s' % instance_id)
    assert resp.status_code == 202, resp.text
    wait_status(cloud, instance_id, waiting.GONE, deadline=120)


def left_over(cloud):
    """What the cloud still holds of the instances: every kind that must
    be empty when no instance exists.
    """
    resources = cloud['simulator'].resources()
    return {kind: items for kind, items in resources.items()
            if items and kind != 'security_group_rules'}


def test_lifecycle_through_the_nova_driver(cloud):
    instance_id = create(
        cloud, 'db1', databases=[{'name': DATABASE}],
        users=[{'name': USER, 'password': PASSWORD,
                'databases': [{'name': DATABASE}]}],
        availability_zone='az-east', locality='anti-affinity')
    instance = wait_status(cloud, instance_id, 'ACTIVE')
    assert instance['locality'] == 'anti-affinity'
    resources = cloud['simulator'].resources()
    [server] = resources['servers']
    assert server['metadata']['trove_instance_id'] == instance_id
    assert server['flavor_id'] == '1'
    assert server['availability_zone'] == 'az-east'
    assert server['config_drive'] is True
    [group] = resources['server_groups']
    assert (group['policies'], group['members']) == (['anti-affinity'],
                                                     [server['id']])
    # The guest's identity and key reached the server in its files.
    guest_info = pathlib.Path(cloud['simulator'].server_dir(server['id']),
                              'guest_info.conf').read_text()
    assert instance_id in guest_info and 'transport_url' in guest_info
    [volume] = resources['volumes']
    assert (volume['size'], volume['status']) == (1, 'in-use')
    ports = resources['ports']
    assert sorted(port['network_id'] for port in ports) == sorted(
        [cloud['tenant_net'], cloud['mgmt_net']])
    [own_group] = resources['security_groups']
    assert own_group['name'] == 'trove-lite-' + instance_id
    rules = [(rule['port_range_min'], rule['remote_ip_prefix'])
             for rule in resources['security_group_rules']
             if rule['security_group_id'] == own_group['id']
             and rule['direction'] == 'ingress']
    assert rules == [(3306, '0.0.0.0/0')]
    [tenant_port] = [port for port in ports
                     if port['network_id'] == cloud['tenant_net']]
    address = tenant_port['fixed_ips'][0]['ip_address']
    assert [a['address'] for a in instance['addresses']] == [address]
    assert instance['ip'] == [address]

    # The tenant's MariaDB, on the server's address.
    with pymysql.connect(host=address, port=3306, user=USER,
                         password=PASSWORD, database=DATABASE,
                         connect_timeout=10) as conn:
        with conn.cursor() as cursor:
            cursor.execute('CREATE TABLE t (id INT PRIMARY KEY)')
            cursor.execute('INSERT INTO t VALUES (1), (2), (3)')
        conn.commit()
    resp = api(cloud, 'POST', '/instances/%s/databases' % instance_id,
               json={'databases': [{'name': 'second'}]})
    assert resp.status_code == 202, resp.text
    resp = api(cloud, 'POST', '/instances/%s/users' % instance_id,
               json={'users': [{'name': 'reporter', 'password': 'Rep-1',
                                'databases': [{'name': 'second'}]}]})
    assert resp.status_code == 202, resp.text
    names = {db['name'] for db in api(
        cloud, 'GET', '/instances/%s/databases' % instance_id).json()[
        'databases']}
    assert {DATABASE, 'second'} <= names

    # A volume resize extends the Cinder volume; the rows stay.
    resp = api(cloud, 'POST', '/instances/%s/action' % instance_id,
               json={'resize': {'volume': {'size': 2}}})
    assert resp.status_code == 202, resp.text
    instance = wait_status(cloud, instance_id, 'ACTIVE')
    assert instance['volume']['size'] == 2
    [volume] = cloud['simulator'].resources()['volumes']
    assert (volume['size'], volume['status']) == (2, 'in-use')
    with pymysql.connect(host=address, port=3306, user=USER,
                         password=PASSWORD, database=DATABASE,
                         connect_timeout=10) as conn:
        with conn.cursor() as cursor:
            cursor.execute('SELECT SUM(id) FROM t')
            assert cursor.fetchone() == (6,)

    # Access: the security group follows allowed_cidrs, and a public
    # instance gets a floating address.
    resp = api(cloud, 'PUT', '/instances/%s' % instance_id,
               json={'instance': {'access': {
                   'is_public': True,
                   'allowed_cidrs': ['10.1.0.0/16']}}})
    assert resp.status_code == 202, resp.text
    instance = wait_status(cloud, instance_id, 'ACTIVE')
    resources = cloud['simulator'].resources()
    rules = [(rule['port_range_min'], rule['remote_ip_prefix'])
             for rule in resources['security_group_rules']
             if rule['security_group_id'] == own_group['id']
             and rule['direction'] == 'ingress']
    assert rules == [(3306, '10.1.0.0/16')]
    [floating] = resources['floatingips']
    assert floating['port_id'] == tenant_port['id']
    assert {'address': floating['floating_ip_address'],
            'type': 'public'} in instance['addresses']

    delete(cloud, instance_id)
    assert left_over(cloud) == {}


# Each step of a create on the cloud, in the order the driver takes them:
# the fault the simulator injects there and what the instance's fault
# then says.
CREATE_STEPS = [
    ('volume.create', 'creating the volume'),
    ('server_group.create', 'server group'),
    ('image.list', 'guest image'),
    ('security_group.create', 'network of the server'),
    ('security_group_rule.create', 'network of the server'),
    ('port.create', 'network of the server'),
    ('server.create', 'creating the server'),
    ('server.boot', 'failed to boot'),
    ('floatingip.create', 'public address'),
]


@pytest.mark.parametrize('operation,reason', CREATE_STEPS,
                         ids=[step for step, _ in CREATE_STEPS])
def test_a_failed_create_leaves_nothing_behind(cloud, operation, reason):
    simulator = cloud['simulator']
    simulator.inject(operation, status=500,
                     message='injected failure of %s' % operation)
    try:
        instance_id = create(cloud, 'broken', locality='affinity',
                             access={'is_public': True})
        instance = wait_status(cloud, instance_id, 'ERROR')
    finally:
        simulator.clear_faults()
    assert operation in simulator.calls(), simulator.calls()
    # The cloud's own words reach the instance's fault.
    fault = instance['fault']['message'] + ' ' + _admin_fault(
        cloud, instance_id)
    assert reason in fault, fault
    assert 'injected failure of %s' % operation in fault, fault
    assert left_over(cloud) == {}, logs(cloud)[-6000:]
    delete(cloud, instance_id)
    assert left_over(cloud) == {}


def _admin_fault(cloud, instance_id):
    """The fault's details (an administrator's: noauth is one)."""
    instance = shown(cloud, instance_id)
    return (instance.get('fault') or {}).get('details') or ''


def _driver(cloud, **nova):
    """A nova driver of this test's own, on the control plane's
    credentials (its configuration is private to it).
    """
    # NOTE(keystoneauth): the auth plugin's options exist only once its
    # loader has read auth_type, so they come from a file.
    path = fixtures.write_config(cloud['state'] / 'direct.conf', {
        'service_credentials': cloud['credentials'],
        'nova': dict({'poll_interval': 0.2}, **nova)})
    conf = cfg.ConfigOpts()
    nova_conf.register_opts(conf)
    conf(['--config-file', str(path)], project='trove-lite',
         default_config_files=[])
    return nova_driver.NovaDriver(conf=conf)


def test_user_data_injection_resize_and_console_through_the_driver(cloud):
    """The driver's calls the control plane's lifecycle does not make:
    files as cloud-init user data, a flavor resize with its confirmation,
    the console and the status of a server, and a volume attached after
    boot; then nothing is left.
    """
    driver = _driver(cloud, file_injection='user_data')
    instance = types.SimpleNamespace(
        id='0d4c9f7e-2b1a-4c3d-8e5f-6a7b8c9d0e1f', compute_instance_id=None,
        networks=None, availability_zone=None, addresses=None)
    flavor = driver.get_flavor(None, '1')
    guest_info = '[DEFAULT]\ninstance_id = %s\n' % instance.id
    spec = compute_base.ServerSpec(
        name='direct', flavor=flavor, image_tags=IMAGE_TAGS,
        networks=({'net_id': cloud['tenant_net']},),
        service_ports=(3306,),
        files={compute_base.GUEST_INFO_PATH: guest_info})
    server = driver.create_server(None, instance, spec)
    instance.compute_instance_id = server.id
    try:
        [record] = cloud['simulator'].resources()['servers']
        assert record['user_data'] and record['personality_paths'] == []
        written = pathlib.Path(cloud['simulator'].server_dir(server.id),
                               'guest_info.conf').read_text()
        assert 'instance_id = %s' % instance.id in written
        assert driver.server_status(None, instance) == 'ACTIVE'
        # The agent (which has no bus in this file) said something.
        assert waiting.wait_for(
            lambda: driver.console_output(None, instance), timeout=30)

        resized = driver.resize_server(None, instance,
                                       driver.get_flavor(None, '2'))
        assert resized.status == 'ACTIVE'
        [record] = cloud['simulator'].resources()['servers']
        assert (record['flavor_id'], record['status']) == ('2', 'ACTIVE')

        volume = driver.create_volume(None, instance,
                                      compute_base.VolumeSpec(size=1))
        assert driver.attach_volume(None, instance, volume.id).startswith(
            '/dev/vd')
        assert driver.extend_volume(None, instance, volume.id, 3).size == 3
        with pytest.raises(compute_base.ComputeError, match='does not '
                                                            'shrink'):
            driver.extend_volume(None, instance, volume.id, 2)
    finally:
        driver.delete_server(None, instance)
        for made in cloud['simulator'].resources()['volumes']:
            driver.delete_volume(None, instance, made['id'])
    assert driver.server_status(None, instance) == 'DELETED'
    assert left_over(cloud) == {}
