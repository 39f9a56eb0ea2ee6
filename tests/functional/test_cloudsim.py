"""The cloud simulator (``tests/functional/cloudsim``) through the real
client libraries, behind the session's real Keystone.

What the nova compute driver will call, called as it will: a keystoneauth
password session of the ``trove`` service user (in the ``service``
project), endpoints from the catalog, and novaclient 2.12, cinderclient
3.42, neutronclient v2.0 and a keystoneauth ``Adapter`` for images. A
server's boot is checked where it is real: the guest agent process runs
with the server's ``guest_info.conf`` (rewritten for the server's
directory and fixed IP), and the console output is that agent's log. A
whole MariaDB guest is the nova driver's own test's business.
"""

import base64
import ipaddress
import os
import time
import uuid

from cinderclient import client as cinder_client
from cinderclient import exceptions as cinder_exc
from keystoneauth1 import adapter
from keystoneauth1 import exceptions as ksa_exc
from keystoneauth1.identity import v3
from keystoneauth1 import session as ksa_session
from neutronclient.common import exceptions as neutron_exc
from neutronclient.v2_0 import client as neutron_client
from novaclient import client as nova_client
from novaclient import exceptions as nova_exc
import pytest
import requests

from tests.functional.cloudsim import service
from tests.functional import fixtures
from tests.functional import keystone
from tests import waiting
from trove_lite.common import sealing
from trove_lite.compute.local import processes

GUEST_INFO = '/etc/trove/conf.d/guest_info.conf'
AGENT_COMMAND = 'trove-lite-guestagent'


@pytest.fixture(scope='module')
def identity(shared_services):
    return keystone.shared_identity(shared_services)


@pytest.fixture(scope='module')
def sim(identity):
    with service.running(identity[0], stop_timeout=5) as simulator:
        simulator.add_flavor('1', 'm1.small', 512, 1, 1)
        simulator.add_flavor('2', 'm1.medium', 1024, 2, 2)
        simulator.old_image = simulator.add_image('guest-old',
                                                  ['trove', 'mysql'])
        simulator.guest_image = simulator.add_image('guest',
                                                    ['trove', 'mysql'])
        simulator.add_image('other', ['trove'])
        simulator.net = simulator.add_network('trove-net')
        simulator.mgmt_sg = simulator.add_security_group('trove-mgmt')
        yield simulator


@pytest.fixture(autouse=True)
def no_faults_left(sim):
    yield
    sim.clear_faults()


def _session(identity, user, project):
    return ksa_session.Session(auth=v3.Password(
        auth_url=identity.url, username=user,
        password=keystone.USER_PASSWORD, project_name=project,
        user_domain_name='Default', project_domain_name='Default'))


@pytest.fixture(scope='module')
def clients(identity, sim):
    session = _session(identity[0], 'trove', 'service')

    class Clients:
        nova = nova_client.Client('2.12', session=session)
        cinder = cinder_client.Client('3.42', session=session)
        neutron = neutron_client.Client(session=session)
        image = adapter.Adapter(session, service_type='image')
        project_id = identity[1]['service']
    return Clients


def _guest_info(guest_id):
    """A guest_info.conf a real agent starts with: a bus of its own on the
    machine's RabbitMQ, the mysql manager, a sealing key.
    """
    bus = fixtures.unique_bus('cloudsim')
    return ('[DEFAULT]\nguest_id = %s\ntransport_url = %s\n'
            'control_exchange = %s\n\n[guest]\ndatastore_manager = mysql\n'
            'datastore_version = 10.11\ntenant_id = demo\n'
            'instance_key = %s\n' % (guest_id, fixtures.RABBIT_URL,
                                     bus['control_exchange'],
                                     sealing.generate_key()))


def _wait_server(nova, server_id, wanted, timeout=60):
    end = time.monotonic() + timeout
    while True:
        try:
            server = nova.servers.get(server_id)
        except nova_exc.NotFound:
            server = None
        status = 'gone' if server is None else server.status
        if status == wanted:
            return server
        assert time.monotonic() < end, 'server %s is %s, not %s' % (
            server_id, status, wanted)
        time.sleep(0.1)


def _wait_volume(cinder, volume_id, wanted, timeout=10):
    end = time.monotonic() + timeout
    while True:
        try:
            volume = cinder.volumes.get(volume_id)
        except cinder_exc.NotFound:
            volume = None
        status = 'gone' if volume is None else volume.status
        if status == wanted:
            return volume
        assert time.monotonic() < end, 'volume %s is %s, not %s' % (
            volume_id, status, wanted)
        time.sleep(0.05)


def _agent_pid(sim, server_id):
    path = os.path.join(sim.server_dir(server_id), 'run', 'agent.pid')
    with open(path) as handle:
        return int(handle.read())


def _nothing_left(sim):
    leftovers = {kind: records for kind, records in sim.resources().items()
                 if records}
    assert leftovers == {}


def test_flavors_and_images_by_tag(clients, sim):
    flavors = {f.id: (f.name, f.ram, f.vcpus, f.disk)
               for f in clients.nova.flavors.list()}
    assert flavors == {'1': ('m1.small', 512, 1, 1),
                       '2': ('m1.medium', 1024, 2, 2)}
    assert clients.nova.flavors.get('2').name == 'm1.medium'
    with pytest.raises(nova_exc.NotFound):
        clients.nova.flavors.get('99')

    images = clients.image.get('/v2/images', params={
        'tag': ['trove', 'mysql'], 'status': 'active',
        'sort': 'created_at:desc'}).json()['images']
    assert [i['id'] for i in images] == [sim.guest_image['id'],
                                         sim.old_image['id']]
    shown = clients.image.get('/v2/images/%s' % sim.guest_image['id'])
    assert shown.json()['tags'] == ['trove', 'mysql']
    with pytest.raises(ksa_exc.NotFound):
        clients.image.get('/v2/images/%s' % uuid.uuid4())

    sim.inject('image.list', status=503)
    with pytest.raises(ksa_exc.ServiceUnavailable):
        clients.image.get('/v2/images', params={'tag': 'trove'})
    assert sim.calls()[-1] == 'image.list'


def test_token_and_project_are_checked(clients, identity, sim):
    port = clients.neutron.create_port({'port': {
        'network_id': sim.net['id']}})['port']
    try:
        response = requests.get(sim.endpoints['network'] + '/v2.0/ports',
                                headers={'X-Auth-Token': 'not-a-token'},
                                timeout=10)
        assert response.status_code == 401
        other = neutron_client.Client(session=_session(
            identity[0], 'demo-member', 'demo'))
        with pytest.raises(neutron_exc.PortNotFoundClient):
            other.show_port(port['id'])
        assert other.list_ports()['ports'] == []
        assert port['project_id'] == clients.project_id
    finally:
        clients.neutron.delete_port(port['id'])


def _boot(clients, sim, name, port_id, guest_id, **kwargs):
    return clients.nova.servers.create(
        name, sim.guest_image['id'], '1', nics=[{'port-id': port_id}],
        **kwargs)


def test_boot_runs_the_guest_agent_and_delete_cleans_up(clients, sim):
    neutron, nova, cinder = clients.neutron, clients.nova, clients.cinder
    group = neutron.create_security_group({'security_group': {
        'name': 'trove-sg', 'description': 'instance'}})['security_group']
    assert {r['direction'] for r in group['security_group_rules']} == {
        'egress'}
    rule = {'security_group_id': group['id'], 'direction': 'ingress',
            'ethertype': 'IPv4', 'protocol': 'tcp', 'port_range_min': 3306,
            'port_range_max': 3306, 'remote_ip_prefix': '0.0.0.0/0'}
    neutron.create_security_group_rule({'security_group_rule': rule})
    with pytest.raises(neutron_exc.Conflict):
        neutron.create_security_group_rule({'security_group_rule': rule})
    assert len(neutron.list_security_group_rules(
        security_group_id=group['id'])['security_group_rules']) == 3
    port = neutron.create_port({'port': {
        'network_id': sim.net['id'], 'name': 'trove-port',
        'security_groups': [group['id'], sim.mgmt_sg['id']]}})['port']
    address = port['fixed_ips'][0]['ip_address']
    subnet = neutron.show_subnet(port['fixed_ips'][0]['subnet_id'])
    assert ipaddress.ip_address(address) in ipaddress.ip_network(
        subnet['subnet']['cidr'])
    volume = cinder.volumes.create(1, name='trove-data')
    assert volume.status == 'creating'
    _wait_volume(cinder, volume.id, 'available')
    server_group = nova.server_groups.create(name='trove-grp',
                                             policies=['anti-affinity'])

    guest_id = str(uuid.uuid4())
    server = _boot(
        clients, sim, 'trove-1', port['id'], guest_id, meta={'k': 'v'},
        files={GUEST_INFO: _guest_info(guest_id),
               '/etc/trove/conf.d/extra.conf': '[x]\ny = 1\n'},
        block_device_mapping_v2=[{
            'uuid': volume.id, 'source_type': 'volume',
            'destination_type': 'volume', 'boot_index': -1,
            'delete_on_termination': False}],
        scheduler_hints={'group': server_group.id}, config_drive=True,
        availability_zone='nova')
    server = _wait_server(nova, server.id, 'ACTIVE')
    assert server.addresses == {'trove-net': [{
        'addr': address, 'version': 4, 'OS-EXT-IPS:type': 'fixed',
        'OS-EXT-IPS-MAC:mac_addr': port['mac_address']}]}
    assert server.metadata == {'k': 'v'}
    assert getattr(server, 'os-extended-volumes:volumes_attached') == [
        {'id': volume.id}]
    attached = cinder.volumes.get(volume.id)
    assert attached.status == 'in-use'
    assert attached.attachments[0]['server_id'] == server.id
    assert neutron.show_port(port['id'])['port']['device_id'] == server.id
    assert nova.server_groups.get(server_group.id).members == [server.id]
    assert [s.id for s in nova.servers.list(search_opts={
        'name': '^trove-1$'})] == [server.id]
    assert [p['id'] for p in neutron.list_ports(
        device_id=server.id)['ports']] == [port['id']]

    # The guest: an agent process reading the server's guest_info.conf,
    # which names the server's directory and fixed IP.
    server_dir = sim.server_dir(server.id)
    config = os.path.join(server_dir, 'guest_info.conf')
    pid = _agent_pid(sim, server.id)
    args = processes.cmdline(pid)
    assert args[-2:] == ['--config-file', config]
    assert AGENT_COMMAND in [os.path.basename(arg) for arg in args[:2]]
    with open(config) as handle:
        text = handle.read()
    assert 'guest_id = %s' % guest_id in text
    assert 'instance_dir = %s' % server_dir in text
    assert 'bind_host = %s' % address in text
    with open(os.path.join(server_dir, 'injected', 'etc', 'trove', 'conf.d',
                           'extra.conf')) as handle:
        assert handle.read() == '[x]\ny = 1\n'
    # The console output is the agent's log: its start, once it listens.
    started = 'Guest agent of instance %s started' % guest_id
    assert waiting.wait_for(lambda: started in nova.servers.get_console_output(
        server.id), timeout=60), nova.servers.get_console_output(server.id)
    with open(os.path.join(server_dir, 'log', 'agent.log')) as handle:
        last_lines = handle.read().splitlines(keepends=True)[-2:]
    assert nova.servers.get_console_output(server.id, length=2) == ''.join(
        last_lines)

    # In use: the security group cannot go, the port cannot boot another.
    with pytest.raises(neutron_exc.Conflict) as raised:
        neutron.delete_security_group(group['id'])
    assert 'in use' in str(raised.value)
    with pytest.raises(nova_exc.Conflict):
        _boot(clients, sim, 'trove-2', port['id'], guest_id)

    nova.servers.delete(server.id)
    _wait_server(nova, server.id, 'gone')
    assert not processes.alive(pid)
    assert not os.path.exists(server_dir)
    assert neutron.show_port(port['id'])['port']['device_id'] == ''
    assert cinder.volumes.get(volume.id).status == 'available'
    assert nova.server_groups.get(server_group.id).members == []

    neutron.delete_port(port['id'])
    neutron.delete_security_group(group['id'])
    cinder.volumes.delete(volume.id)
    _wait_volume(cinder, volume.id, 'gone')
    nova.server_groups.delete(server_group.id)
    _nothing_left(sim)
    assert sim.resources()['security_groups'] == []
    assert neutron.show_security_group(sim.mgmt_sg['id'])


def test_user_data_resize_and_volume_attach(clients, sim):
    neutron, nova, cinder = clients.neutron, clients.nova, clients.cinder
    port = neutron.create_port({'port': {
        'network_id': sim.net['id']}})['port']
    guest_id = str(uuid.uuid4())
    encoded = base64.b64encode(_guest_info(guest_id).encode()).decode()
    user_data = ('#cloud-config\nwrite_files:\n'
                 '- path: %s\n  encoding: b64\n  content: %s\n'
                 '  permissions: "0600"\n' % (GUEST_INFO, encoded))
    server = _boot(clients, sim, 'trove-ud', port['id'], guest_id,
                   userdata=user_data)
    _wait_server(nova, server.id, 'ACTIVE')
    with open(os.path.join(sim.server_dir(server.id),
                           'guest_info.conf')) as handle:
        assert 'guest_id = %s' % guest_id in handle.read()
    pid = _agent_pid(sim, server.id)

    nova.servers.resize(server.id, '2')
    resized = _wait_server(nova, server.id, 'VERIFY_RESIZE')
    assert resized.flavor['id'] == '2'
    with pytest.raises(nova_exc.Conflict):
        nova.servers.resize(server.id, '1')
    nova.servers.confirm_resize(server.id)
    confirmed = _wait_server(nova, server.id, 'ACTIVE')
    assert confirmed.flavor['id'] == '2'
    with pytest.raises(nova_exc.BadRequest):
        nova.servers.resize(server.id, '2')
    assert processes.alive(pid)

    volume = cinder.volumes.create(1, name='late')
    with pytest.raises(nova_exc.BadRequest):
        nova.volumes.create_server_volume(server.id, volume.id)
    _wait_volume(cinder, volume.id, 'available')
    attachment = nova.volumes.create_server_volume(server.id, volume.id)
    assert (attachment.device, attachment.serverId) == ('/dev/vdb',
                                                        server.id)
    assert cinder.volumes.get(volume.id).status == 'in-use'
    with pytest.raises(cinder_exc.BadRequest):
        cinder.volumes.delete(volume.id)
    cinder.volumes.extend(volume.id, 3)
    assert _wait_volume(cinder, volume.id, 'in-use').size == 3
    nova.volumes.delete_server_volume(server.id, volume.id)
    assert cinder.volumes.get(volume.id).status == 'available'

    nova.servers.delete(server.id)
    _wait_server(nova, server.id, 'gone')
    assert not processes.alive(pid)
    neutron.delete_port(port['id'])
    cinder.volumes.delete(volume.id)
    _wait_volume(cinder, volume.id, 'gone')
    _nothing_left(sim)


def test_volume_extend(clients, sim):
    cinder = clients.cinder
    volume = cinder.volumes.create(1, name='grow')
    _wait_volume(cinder, volume.id, 'available')
    with pytest.raises(cinder_exc.NotFound):
        cinder.volumes.create(1, volume_type='no-such-type')
    cinder.volumes.extend(volume.id, 2)
    assert cinder.volumes.get(volume.id).status == 'extending'
    assert _wait_volume(cinder, volume.id, 'available').size == 2
    with pytest.raises(cinder_exc.BadRequest):
        cinder.volumes.extend(volume.id, 1)
    sim.inject('volume.extend', status=500, message='backend down')
    with pytest.raises(cinder_exc.ClientException) as raised:
        cinder.volumes.extend(volume.id, 4)
    assert raised.value.code == 500 and 'backend down' in str(raised.value)
    assert cinder.volumes.get(volume.id).size == 2
    cinder.volumes.delete(volume.id)
    _wait_volume(cinder, volume.id, 'gone')
    _nothing_left(sim)


def test_injected_faults_reach_the_clients(clients, sim):
    neutron, nova = clients.neutron, clients.nova
    sim.inject('port.create', status=500, message='neutron is down')
    with pytest.raises(neutron_exc.NeutronClientException) as raised:
        neutron.create_port({'port': {'network_id': sim.net['id']}})
    assert raised.value.status_code == 500
    assert 'neutron is down' in str(raised.value)
    assert sim.calls()[-1] == 'port.create'
    assert sim.resources()['ports'] == []
    # The fault was for one call.
    port = neutron.create_port({'port': {
        'network_id': sim.net['id']}})['port']

    sim.inject('server.create', status=500)
    with pytest.raises(nova_exc.ClientException) as raised:
        _boot(clients, sim, 'never', port['id'], 'x')
    assert raised.value.code == 500

    sim.inject('server.boot', message='No valid host was found.')
    guest_id = str(uuid.uuid4())
    server = _boot(clients, sim, 'broken', port['id'], guest_id,
                   files={GUEST_INFO: _guest_info(guest_id)})
    failed = _wait_server(nova, server.id, 'ERROR')
    assert failed.fault['message'] == 'No valid host was found.'
    assert failed.fault['code'] == 500
    assert not os.path.exists(os.path.join(sim.server_dir(server.id), 'run',
                                           'agent.pid'))
    assert sim.calls()[-2:] == ['server.create', 'server.boot']
    nova.servers.delete(server.id)
    _wait_server(nova, server.id, 'gone')
    neutron.delete_port(port['id'])
    _nothing_left(sim)


def test_floating_ips(clients, sim):
    neutron = clients.neutron
    port = neutron.create_port({'port': {
        'network_id': sim.net['id']}})['port']
    fip = neutron.create_floatingip({'floatingip': {
        'floating_network_id': sim.net['id'],
        'port_id': port['id']}})['floatingip']
    assert fip['status'] == 'ACTIVE' and fip['port_id'] == port['id']
    assert fip['floating_ip_address'] != port['fixed_ips'][0]['ip_address']
    assert [f['id'] for f in neutron.list_floatingips(
        port_id=port['id'])['floatingips']] == [fip['id']]
    neutron.delete_floatingip(fip['id'])
    assert neutron.list_floatingips(port_id=port['id'])['floatingips'] == []
    with pytest.raises(neutron_exc.NotFound):
        neutron.create_floatingip({'floatingip': {
            'floating_network_id': str(uuid.uuid4())}})
    neutron.delete_port(port['id'])
    with pytest.raises(neutron_exc.PortNotFoundClient):
        neutron.show_port(port['id'])
    _nothing_left(sim)


def test_server_groups(clients, sim):
    nova = clients.nova
    group = nova.server_groups.create(name='trove-affinity',
                                      policies=['affinity'])
    shown = nova.server_groups.get(group.id)
    assert (shown.name, shown.policies, shown.members) == (
        'trove-affinity', ['affinity'], [])
    with pytest.raises(nova_exc.BadRequest):
        nova.server_groups.create(name='bad', policies=['spread-out'])
    sim.inject('server_group.create', status=403)
    with pytest.raises(nova_exc.Forbidden):
        nova.server_groups.create(name='denied', policies=['affinity'])
    nova.server_groups.delete(group.id)
    with pytest.raises(nova_exc.NotFound):
        nova.server_groups.get(group.id)
    _nothing_left(sim)


def test_bad_references_fail_the_create(clients, sim):
    nova, neutron = clients.nova, clients.neutron
    port = neutron.create_port({'port': {
        'network_id': sim.net['id']}})['port']
    with pytest.raises(nova_exc.BadRequest) as raised:
        nova.servers.create('x', sim.guest_image['id'], '99',
                            nics=[{'port-id': port['id']}])
    assert 'Flavor 99' in str(raised.value)
    with pytest.raises(nova_exc.BadRequest):
        nova.servers.create('x', str(uuid.uuid4()), '1',
                            nics=[{'port-id': port['id']}])
    with pytest.raises(nova_exc.BadRequest):
        nova.servers.create('x', sim.guest_image['id'], '1',
                            nics=[{'port-id': str(uuid.uuid4())}])
    with pytest.raises(nova_exc.BadRequest):
        nova.servers.create('x', sim.guest_image['id'], '1',
                            nics=[{'port-id': port['id']}],
                            block_device_mapping_v2=[{
                                'uuid': str(uuid.uuid4()),
                                'source_type': 'volume',
                                'destination_type': 'volume',
                                'boot_index': -1}])
    with pytest.raises(neutron_exc.NotFound):
        neutron.create_port({'port': {'network_id': sim.net['id'],
                                      'security_groups': ['nope']}})
    neutron.delete_port(port['id'])
    _nothing_left(sim)


def test_control_api(sim):
    control = sim.url + '/_sim'
    response = requests.post(control + '/faults', json={
        'operation': 'volume.delete', 'status': 503, 'count': 2},
        timeout=10)
    assert response.status_code == 201
    assert requests.post(control + '/faults', json={
        'operation': 'no.such'}, timeout=10).status_code == 400
    assert sim.store.take_fault('volume.delete')['status'] == 503
    assert requests.delete(control + '/faults', timeout=10).status_code == 204
    assert sim.store.take_fault('volume.delete') is None
    assert requests.get(control + '/calls', timeout=10).json() == sim.calls()
    assert requests.get(control + '/resources', timeout=10).json() == {
        kind: [] for kind in sim.resources()}
