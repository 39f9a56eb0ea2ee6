"""The simulated Compute API (Nova v2.1 at microversion 2.12, as
novaclient calls it), under ``/compute/v2.1``.

Servers are asynchronous as in Nova: a create answers 202 with the
server in ``BUILD`` and a thread boots it (``boot.Booter``) into
``ACTIVE``, or ``ERROR`` with a ``fault``; a delete answers 204 and the
server disappears once its processes are gone; a resize passes through
``RESIZE`` to ``VERIFY_RESIZE`` until it is confirmed or reverted. A
server takes its network interfaces from ports the caller made (bound to
it, never deleted by it) and its volumes from the block storage API
(in-use while attached).
"""

import logging
import re
import threading
import time

from tests.functional.cloudsim import boot
from tests.functional.cloudsim import state
from tests.functional.cloudsim import wsgi

LOG = logging.getLogger(__name__)

#: How long a resize takes before it waits for confirmation.
RESIZE_SECONDS = 0.3
DEFAULT_VERSION = '2.1'
MAX_VERSION = '2.96'
SERVER_GROUP_POLICIES = ('affinity', 'anti-affinity', 'soft-affinity',
                         'soft-anti-affinity')
# NOTE(attach): Nova refuses a volume attachment while a server builds,
# is deleted or migrates.
ATTACHABLE = ('ACTIVE', 'SHUTOFF', 'VERIFY_RESIZE')


def render_error(err):
    return wsgi.nova_style_error(err)


def _version_headers(request):
    """The microversion the request asked for, as Nova echoes it."""
    version = (request.headers.get('X-OpenStack-Nova-API-Version') or
               request.headers.get('OpenStack-API-Version', '').replace(
                   'compute ', '') or DEFAULT_VERSION)
    return {'X-OpenStack-Nova-API-Version': version,
            'OpenStack-API-Version': 'compute %s' % version,
            'Vary': 'OpenStack-API-Version, X-OpenStack-Nova-API-Version'}


class ComputeAPI:
    """``/compute/v2.1/...``: flavors, servers and their actions, volume
    attachments, server groups.
    """

    def __init__(self, store, volume_api, booter, base_url):
        self.store = store
        self.volumes = volume_api
        self.booter = booter
        self.base_url = base_url
        # Each server's boot thread, which its delete waits for.
        self._threads = {}
        router = self.router = wsgi.Router(render_error, _version_headers)
        server = '/servers/(?P<ident>[^/]+)'
        router.add('GET', '', self.version)
        router.add('GET', '/flavors(?P<detail>/detail)?', self.list_flavors)
        router.add('GET', '/flavors/(?P<ident>[^/]+)', self.show_flavor)
        router.add('GET', '/servers(?P<detail>/detail)?', self.list_servers)
        router.add('POST', '/servers', self.create)
        router.add('GET', server, self.show)
        router.add('DELETE', server, self.delete)
        router.add('POST', server + '/action', self.action)
        router.add('GET', server + '/os-volume_attachments',
                   self.list_attachments)
        router.add('POST', server + '/os-volume_attachments', self.attach)
        router.add('DELETE', server + '/os-volume_attachments/'
                   '(?P<volume_id>[^/]+)', self.detach)
        router.add('GET', '/os-server-groups', self.list_groups)
        router.add('POST', '/os-server-groups', self.create_group)
        router.add('GET', '/os-server-groups/(?P<ident>[^/]+)',
                   self.show_group)
        router.add('DELETE', '/os-server-groups/(?P<ident>[^/]+)',
                   self.delete_group)

    def version(self, request):
        return 200, {'version': wsgi.version_document(
            'v2.1', 'CURRENT', self.base_url + '/', min_version='2.1',
            version=MAX_VERSION)}

    # Flavors (seeded by the test).

    def add_flavor(self, flavor_id, name, ram, vcpus, disk):
        return self.store.add('flavors', {
            'id': str(flavor_id), 'name': name, 'ram': int(ram),
            'vcpus': int(vcpus), 'disk': int(disk), 'project_id': None,
            'seeded': True})

    def _flavor_view(self, flavor):
        return {'id': flavor['id'], 'name': flavor['name'],
                'ram': flavor['ram'], 'vcpus': flavor['vcpus'],
                'disk': flavor['disk'], 'OS-FLV-EXT-DATA:ephemeral': 0,
                'OS-FLV-DISABLED:disabled': False, 'swap': '',
                'rxtx_factor': 1.0, 'os-flavor-access:is_public': True,
                'links': self._links('flavors', flavor['id'])}

    def list_flavors(self, request, detail=None):
        flavors = sorted(self.store['flavors'].values(),
                         key=lambda flavor: flavor['created_at'])
        if detail:
            return 200, {'flavors': [self._flavor_view(f) for f in flavors]}
        return 200, {'flavors': [
            {'id': f['id'], 'name': f['name'],
             'links': self._links('flavors', f['id'])} for f in flavors]}

    def show_flavor(self, request, ident):
        return 200, {'flavor': self._flavor_view(
            self.store.get('flavors', ident, what='Flavor'))}

    def _links(self, collection, ident):
        return [{'rel': 'self', 'href': '%s/%s/%s' % (
            self.base_url, collection, ident)}]

    # Servers.

    def _server(self, request, ident):
        return self.store.get('servers', ident, wsgi.project_of(request),
                              what='Instance')

    def _addresses(self, server):
        addresses = {}
        for port_id in server['port_ids']:
            port = self.store['ports'].get(port_id)
            if port is None:
                continue
            network = self.store['networks'].get(port['network_id'], {})
            entries = addresses.setdefault(network.get('name', 'unknown'),
                                           [])
            for fixed in port['fixed_ips']:
                entries.append({'addr': fixed['ip_address'], 'version': 4,
                                'OS-EXT-IPS:type': 'fixed',
                                'OS-EXT-IPS-MAC:mac_addr':
                                    port['mac_address']})
            for fip in self.store.find('floatingips', port_id=port_id):
                entries.append({'addr': fip['floating_ip_address'],
                                'version': 4, 'OS-EXT-IPS:type': 'floating',
                                'OS-EXT-IPS-MAC:mac_addr':
                                    port['mac_address']})
        return addresses

    def view(self, server):
        with self.store.lock:
            view = {
                'id': server['id'], 'name': server['name'],
                'status': server['status'], 'tenant_id':
                server['project_id'], 'user_id': server['user_id'],
                'metadata': dict(server['metadata']),
                'addresses': self._addresses(server),
                'flavor': {'id': server['flavor_id'], 'links':
                           self._links('flavors', server['flavor_id'])},
                'image': {'id': server['image_id'], 'links':
                          self._links('images', server['image_id'])},
                'OS-EXT-AZ:availability_zone':
                    server['availability_zone'],
                'os-extended-volumes:volumes_attached': [
                    {'id': volume_id} for volume_id in server['volume_ids']],
                'OS-EXT-STS:task_state': server['task_state'],
                'OS-EXT-STS:vm_state': server['status'].lower(),
                'OS-EXT-STS:power_state': 1 if server['status'] in (
                    'ACTIVE', 'VERIFY_RESIZE') else 0,
                'config_drive': 'True' if server['config_drive'] else '',
                'created': server['created_at'], 'updated':
                server['created_at'], 'hostId': 'cloudsim', 'progress': 0,
                'accessIPv4': '', 'accessIPv6': '', 'key_name': None,
                'security_groups': [{'name': 'default'}],
                'links': self._links('servers', server['id'])}
            if server['fault'] is not None:
                view['fault'] = dict(server['fault'])
            return view

    def list_servers(self, request, detail=None):
        servers = self.store.find('servers', wsgi.project_of(request))
        if 'name' in request.GET:
            pattern = re.compile(request.GET['name'])
            servers = [s for s in servers if pattern.search(s['name'])]
        if detail:
            return 200, {'servers': [self.view(s) for s in servers]}
        return 200, {'servers': [
            {'id': s['id'], 'name': s['name'],
             'links': self._links('servers', s['id'])} for s in servers]}

    def show(self, request, ident):
        return 200, {'server': self.view(self._server(request, ident))}

    def create(self, request):
        project = wsgi.project_of(request)
        body = wsgi.json_body(request)
        spec = wsgi.member(body, 'server')
        self.store.called('server.create')
        files = boot.injected_files(spec)
        with self.store.lock:
            server = self._new_server(request, project, spec, body)
        thread = threading.Thread(target=self._boot, args=(server, files),
                                  daemon=True, name='cloudsim-boot')
        self._threads[server['id']] = thread
        thread.start()
        return 202, {'server': {
            'id': server['id'], 'links': self._links('servers',
                                                     server['id']),
            'adminPass': state.new_id()[:12],
            'OS-DCF:diskConfig': 'MANUAL',
            'security_groups': [{'name': 'default'}]}}

    def _new_server(self, request, project, spec, body):
        """Check the request's references and make the server (BUILD),
        its ports bound, its volumes in use, a member of its group.

        :raises: SimError 400 for a missing or unknown reference, 409 for
            a port in use by another server.
        """
        if not spec.get('name'):
            raise state.SimError(400, 'Invalid input: name is required.')
        flavor = self.store['flavors'].get(str(spec.get('flavorRef')))
        if flavor is None:
            raise state.SimError(400, 'Flavor %s could not be found.'
                                 % spec.get('flavorRef'))
        image_id = spec.get('imageRef') or _bdm_image(spec)
        if image_id not in self.store['images']:
            raise state.SimError(400, 'Can not find requested image')
        ports = [self._free_port(project, network)
                 for network in spec.get('networks') or ()]
        volume_ids = [bdm['uuid'] for bdm in
                      spec.get('block_device_mapping_v2') or ()
                      if bdm.get('source_type') == 'volume']
        group_id = (body.get('os:scheduler_hints') or {}).get('group')
        if group_id is not None and self.store.find(
                'server_groups', project, id=group_id) == []:
            raise state.SimError(400, 'Invalid server group %s.' % group_id)
        for volume_id in volume_ids:
            self._check_attachable(project, volume_id)
        server = self.store.add('servers', {
            'project_id': project, 'user_id': request.headers.get(
                'X-User-Id'), 'name': spec['name'], 'status': 'BUILD',
            'task_state': 'spawning', 'flavor_id': flavor['id'],
            'old_flavor_id': None, 'image_id': image_id,
            'metadata': dict(spec.get('metadata') or {}),
            'availability_zone': spec.get('availability_zone') or
            state.DEFAULT_AZ, 'config_drive': bool(spec.get('config_drive')),
            'port_ids': [port['id'] for port in ports], 'volume_ids': [],
            'group_id': group_id, 'fault': None,
            # How the files came: what a test of an injection mode reads.
            'personality_paths': [entry.get('path') for entry in
                                  spec.get('personality') or ()],
            'user_data': bool(spec.get('user_data'))})
        for port in ports:
            port.update(device_id=server['id'], status='ACTIVE',
                        device_owner='compute:%s' % server[
                            'availability_zone'])
        for volume_id in volume_ids:
            self._attach(server, volume_id)
        if group_id is not None:
            self.store['server_groups'][group_id]['members'].append(
                server['id'])
        return server

    def _free_port(self, project, network):
        if not network.get('port'):
            raise state.SimError(400, 'The simulator boots servers on '
                                 'ports only; give networks=[{"port": '
                                 'id}].')
        port = self.store['ports'].get(network['port'])
        if port is None or not state.visible(port, project):
            raise state.SimError(400, 'Port %s could not be found.'
                                 % network['port'])
        if port['device_id']:
            raise state.SimError(409, 'Port %s is still in use.'
                                 % port['id'])
        return port

    def _check_attachable(self, project, volume_id):
        volume = self.store['volumes'].get(volume_id)
        if volume is None or not state.visible(volume, project):
            raise state.SimError(400, 'Invalid volume: volume %s could not '
                                 'be found.' % volume_id)
        if volume['status'] != 'available':
            raise state.SimError(400, 'Invalid volume: volume %s status '
                                 'must be available, but it is %s.'
                                 % (volume_id, volume['status']))

    def _attach(self, server, volume_id):
        used = {self.store['volumes'][v]['attachments'][0]['device']
                for v in server['volume_ids']
                if v in self.store['volumes']
                and self.store['volumes'][v]['attachments']}
        device = next('/dev/vd%s' % letter for letter in 'bcdefghijklmnop'
                      if '/dev/vd%s' % letter not in used)
        self.volumes.attach(volume_id, server['id'], server['project_id'],
                            device)
        server['volume_ids'].append(volume_id)
        return device

    def _address(self, server):
        with self.store.lock:
            for port_id in server['port_ids']:
                port = self.store['ports'].get(port_id)
                if port is not None:
                    return port['fixed_ips'][0]['ip_address']
        raise state.SimError(500, 'the server has no port, so its guest '
                             'has no address')

    def _boot(self, server, files):
        """Boot ``server`` (in its thread): ACTIVE, or ERROR with a fault."""
        try:
            self.store.called('server.boot')
            self.booter.boot(server['id'], files, self._address(server))
        except state.SimError as err:
            self._fail(server, err.message, err.status)
        except Exception as err:  # noqa: any failure is the server's fault
            LOG.exception('Booting server %s failed', server['id'])
            self._fail(server, 'Boot failed: %s' % err, 500)
        else:
            with self.store.lock:
                if server['status'] == 'BUILD':
                    server.update(status='ACTIVE', task_state=None)

    def _fail(self, server, message, code):
        with self.store.lock:
            server.update(status='ERROR', task_state=None, fault={
                'message': message, 'code': code,
                'created': self.store.timestamp()})

    def delete(self, request, ident):
        self.store.called('server.delete')
        with self.store.lock:
            server = self._server(request, ident)
            if server['task_state'] == 'deleting':
                return 204, None
            server['task_state'] = 'deleting'
        threading.Thread(target=self._delete, args=(server,), daemon=True,
                         name='cloudsim-delete').start()
        return 204, None

    def _delete(self, server):
        """Delete ``server`` (in its thread): processes, then records."""
        booting = self._threads.pop(server['id'], None)
        if booting is not None:
            booting.join()
        try:
            self.booter.delete(server['id'])
        except OSError as err:
            self._fail(server, 'Delete failed: %s' % err, 500)
            return
        self.forget(server)

    def forget(self, server):
        """Unbind the server's ports, detach its volumes, leave its group,
        and remove it.
        """
        with self.store.lock:
            for port_id in server['port_ids']:
                port = self.store['ports'].get(port_id)
                if port is not None and port['device_id'] == server['id']:
                    port.update(device_id='', device_owner='',
                                status='DOWN')
            for volume_id in server['volume_ids']:
                self.volumes.detach(volume_id)
            group = self.store['server_groups'].get(server['group_id'])
            if group is not None and server['id'] in group['members']:
                group['members'].remove(server['id'])
            self.store.remove('servers', server['id'])

    def stop_all(self):
        """Delete every server now (the simulator stops)."""
        for server in list(self.store['servers'].values()):
            self._delete(server)

    # Actions.

    def action(self, request, ident):
        body = wsgi.json_body(request)
        server = self._server(request, ident)
        if 'os-getConsoleOutput' in body:
            length = (body['os-getConsoleOutput'] or {}).get('length')
            return 200, {'output': self.booter.console_output(
                server['id'], None if length in (None, -1) else int(length))}
        if 'resize' in body:
            return self._resize(server, wsgi.member(body, 'resize'))
        if 'confirmResize' in body:
            return self._finish_resize(server, confirm=True)
        if 'revertResize' in body:
            return self._finish_resize(server, confirm=False)
        raise state.SimError(400, 'The simulator does not do the action '
                             '%s.' % ', '.join(body))

    def _resize(self, server, spec):
        self.store.called('server.resize')
        with self.store.lock:
            if server['status'] != 'ACTIVE':
                raise state.SimError(409, "Cannot 'resize' instance %s "
                                     "while it is in status %s."
                                     % (server['id'], server['status']))
            flavor_id = str(spec.get('flavorRef'))
            if flavor_id not in self.store['flavors']:
                raise state.SimError(400, 'Flavor %s could not be found.'
                                     % flavor_id)
            if flavor_id == server['flavor_id']:
                raise state.SimError(400, 'When resizing, instances must '
                                     'change flavor!')
            server.update(status='RESIZE', task_state='resize_prep')

        def finish():
            time.sleep(RESIZE_SECONDS)
            with self.store.lock:
                if server['status'] == 'RESIZE':
                    server.update(status='VERIFY_RESIZE', task_state=None,
                                  old_flavor_id=server['flavor_id'],
                                  flavor_id=flavor_id)
        # NOTE(resize): the guest keeps running; a real resize reboots
        # the server, which the driver cannot tell from here.
        threading.Thread(target=finish, daemon=True,
                         name='cloudsim-resize').start()
        return 202, None

    def _finish_resize(self, server, confirm):
        with self.store.lock:
            if server['status'] != 'VERIFY_RESIZE':
                raise state.SimError(409, "Cannot '%s' instance %s while it "
                                     "is in status %s." % (
                                         'confirmResize' if confirm else
                                         'revertResize', server['id'],
                                         server['status']))
            if not confirm:
                server['flavor_id'] = server['old_flavor_id']
            server.update(status='ACTIVE', old_flavor_id=None)
        return (204 if confirm else 202), None

    # Volume attachments.

    @staticmethod
    def _attachment_view(server_id, volume):
        return {'id': volume['id'], 'serverId': server_id,
                'volumeId': volume['id'],
                'device': volume['attachments'][0]['device']}

    def list_attachments(self, request, ident):
        with self.store.lock:
            server = self._server(request, ident)
            return 200, {'volumeAttachments': [
                self._attachment_view(server['id'], self.store['volumes'][v])
                for v in server['volume_ids'] if v in self.store['volumes']]}

    def attach(self, request, ident):
        body = wsgi.member(wsgi.json_body(request), 'volumeAttachment')
        self.store.called('volume.attach')
        with self.store.lock:
            server = self._server(request, ident)
            if server['status'] not in ATTACHABLE:
                raise state.SimError(409, "Cannot 'attach_volume' instance "
                                     "%s while it is in status %s."
                                     % (ident, server['status']))
            volume_id = body.get('volumeId')
            self.store.get('volumes', volume_id, server['project_id'],
                           what='Volume')
            self._attach(server, volume_id)
            return 200, {'volumeAttachment': self._attachment_view(
                server['id'], self.store['volumes'][volume_id])}

    def detach(self, request, ident, volume_id):
        with self.store.lock:
            server = self._server(request, ident)
            if volume_id not in server['volume_ids']:
                raise state.SimError(404, 'Volume %s is not attached to '
                                     'instance %s.' % (volume_id, ident))
            server['volume_ids'].remove(volume_id)
            self.volumes.detach(volume_id)
        return 202, None

    # Server groups.

    @staticmethod
    def _group_view(group):
        return {key: group[key] for key in (
            'id', 'name', 'policies', 'members', 'metadata', 'project_id',
            'user_id')}

    def list_groups(self, request):
        return 200, {'server_groups': [
            self._group_view(g) for g in self.store.find(
                'server_groups', wsgi.project_of(request))]}

    def show_group(self, request, ident):
        return 200, {'server_group': self._group_view(self.store.get(
            'server_groups', ident, wsgi.project_of(request),
            what='Server group'))}

    def create_group(self, request):
        spec = wsgi.member(wsgi.json_body(request), 'server_group')
        self.store.called('server_group.create')
        policies = spec.get('policies')
        if (not spec.get('name') or not isinstance(policies, list) or
                len(policies) != 1 or policies[0] not in
                SERVER_GROUP_POLICIES):
            raise state.SimError(400, 'Invalid input: a server group needs '
                                 'a name and one policy of %s.'
                                 % ', '.join(SERVER_GROUP_POLICIES))
        group = self.store.add('server_groups', {
            'project_id': wsgi.project_of(request),
            'user_id': request.headers.get('X-User-Id'),
            'name': spec['name'], 'policies': policies, 'members': [],
            'metadata': {}})
        return 200, {'server_group': self._group_view(group)}

    def delete_group(self, request, ident):
        with self.store.lock:
            self.store.get('server_groups', ident, wsgi.project_of(request),
                           what='Server group')
            self.store.remove('server_groups', ident)
        return 204, None


def _bdm_image(spec):
    """The image of a boot-from-image block device mapping, if any."""
    for bdm in spec.get('block_device_mapping_v2') or ():
        if bdm.get('source_type') == 'image' and bdm.get('boot_index') in (
                0, '0'):
            return bdm.get('uuid')
    return None
