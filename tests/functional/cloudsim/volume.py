"""The simulated Block Storage API (Cinder v3, as cinderclient 3.42 calls
it), under ``/volume/v3/<project id>``.

A volume is a record only: the guest of a server keeps its data in the
server's directory whatever is attached. What matters to the driver is
Cinder's asynchrony, which is kept: a new volume is ``creating`` and
becomes ``available`` a moment later, an extend passes through
``extending``, a delete through ``deleting`` before the volume is gone.
Attachments are made by the compute API (``attach``/``detach`` here).
"""

import threading
import time

from tests.functional.cloudsim import state
from tests.functional.cloudsim import wsgi

#: How long a transitional status lasts (Cinder's backend at work).
TRANSITION_SECONDS = 0.2


def _version_headers(request):
    """The microversion the request asked for, as Cinder echoes it."""
    asked = request.headers.get('OpenStack-API-Version', 'volume 3.0')
    return {'OpenStack-API-Version': asked, 'Vary': 'OpenStack-API-Version'}


def render_error(err):
    return wsgi.nova_style_error(err)


class VolumeAPI:
    """``/volume/v3/<project id>/...``: volumes, their actions, types."""

    def __init__(self, store):
        self.store = store
        router = self.router = wsgi.Router(render_error, _version_headers)
        project = '/(?P<project>[^/]+)'
        router.add('GET', project + '/volumes(/detail)?', self.list_volumes)
        router.add('POST', project + '/volumes', self.create)
        router.add('GET', project + '/volumes/(?P<ident>[^/]+)', self.show)
        router.add('DELETE', project + '/volumes/(?P<ident>[^/]+)',
                   self.delete)
        router.add('POST', project + '/volumes/(?P<ident>[^/]+)/action',
                   self.action)
        router.add('GET', project + '/types', self.list_types)
        router.add('GET', project + '/types/(?P<ident>[^/]+)',
                   self.show_type)

    def add_volume_type(self, name):
        return self.store.add('volume_types', {
            'name': name, 'is_public': True, 'extra_specs': {},
            'description': None, 'project_id': None, 'seeded': True})

    @staticmethod
    def _project(request, project):
        """The URL's project, which must be the token's."""
        if project != wsgi.project_of(request):
            raise state.SimError(403, 'The URL names project %s, the token '
                                 'another one.' % project)
        return project

    def _type(self, name_or_id):
        with self.store.lock:
            types = self.store['volume_types']
            if name_or_id is None:
                found = self.store.find('volume_types',
                                        name=state.DEFAULT_VOLUME_TYPE)
                return found[0] if found else next(iter(types.values()))
            if name_or_id in types:
                return types[name_or_id]
            found = self.store.find('volume_types', name=name_or_id)
            if not found:
                raise state.SimError(404, 'Volume type with name %s could '
                                     'not be found.' % name_or_id)
            return found[0]

    def view(self, volume):
        view = {key: value for key, value in volume.items()
                if key not in ('project_id', 'seeded')}
        view['os-vol-tenant-attr:tenant_id'] = volume['project_id']
        view['attachments'] = [dict(a) for a in volume['attachments']]
        view['links'] = []
        return view

    def list_volumes(self, request, project):
        project = self._project(request, project)
        filters = {key: request.GET[key] for key in ('name', 'status')
                   if key in request.GET}
        volumes = self.store.find('volumes', project, **filters)
        return 200, {'volumes': [self.view(v) for v in volumes]}

    def show(self, request, project, ident):
        project = self._project(request, project)
        return 200, {'volume': self.view(self.store.get(
            'volumes', ident, project, what='Volume'))}

    def create(self, request, project):
        project = self._project(request, project)
        body = wsgi.member(wsgi.json_body(request), 'volume')
        self.store.called('volume.create')
        size = body.get('size')
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise state.SimError(400, 'Invalid input received: size %r '
                                 'must be an integer of at least 1.' % size)
        volume_type = self._type(body.get('volume_type'))
        volume = self.store.add('volumes', {
            'project_id': project, 'name': body.get('name'),
            'description': body.get('description'), 'size': size,
            'status': 'creating', 'volume_type': volume_type['name'],
            'availability_zone': body.get('availability_zone') or
            state.DEFAULT_AZ, 'metadata': dict(body.get('metadata') or {}),
            'attachments': [], 'bootable': 'false', 'multiattach': False,
            'encrypted': False, 'snapshot_id': None, 'source_volid': None,
            'user_id': request.headers.get('X-User-Id'),
            'replication_status': None})
        self._later(volume, 'creating', lambda: volume.update(
            status='available'))
        return 202, {'volume': self.view(volume)}

    def delete(self, request, project, ident):
        project = self._project(request, project)
        self.store.called('volume.delete')
        with self.store.lock:
            volume = self.store.get('volumes', ident, project, what='Volume')
            if volume['status'] not in ('available', 'error'):
                raise state.SimError(
                    400, 'Invalid volume: Volume status must be available '
                    'or error, but current status is: %s.'
                    % volume['status'])
            volume['status'] = 'deleting'
        self._later(volume, 'deleting',
                    lambda: self.store.remove('volumes', ident))
        return 202, None

    def action(self, request, project, ident):
        project = self._project(request, project)
        body = wsgi.json_body(request)
        if 'os-extend' not in body:
            raise state.SimError(400, 'Unsupported volume action %s.'
                                 % ', '.join(body))
        new_size = (body['os-extend'] or {}).get('new_size')
        self.store.called('volume.extend')
        with self.store.lock:
            volume = self.store.get('volumes', ident, project, what='Volume')
            if volume['status'] not in ('available', 'in-use'):
                raise state.SimError(
                    400, 'Invalid volume: Volume status must be available '
                    'or in-use for extend, but it is %s.'
                    % volume['status'])
            if not isinstance(new_size, int) or new_size <= volume['size']:
                raise state.SimError(
                    400, 'Invalid input received: New size for extend must '
                    'be greater than current size. (current: %s, extended: '
                    '%s).' % (volume['size'], new_size))
            previous = volume['status']
            volume['status'] = 'extending'
        self._later(volume, 'extending', lambda: volume.update(
            size=new_size, status=previous))
        return 202, None

    def _later(self, volume, status, change):
        """Apply ``change`` after a moment, if the volume is still in
        ``status`` (a Cinder backend finishing its work).
        """
        def finish():
            time.sleep(TRANSITION_SECONDS)
            with self.store.lock:
                if volume['status'] == status:
                    change()
                    volume['updated_at'] = self.store.timestamp()
        threading.Thread(target=finish, daemon=True,
                         name='cloudsim-volume').start()

    # Attachments (the compute API's side of them).

    def attach(self, volume_id, server_id, project, device):
        """Make the volume in-use by the server.

        :raises: SimError 404 (no such volume), 400 (not available).
        """
        with self.store.lock:
            volume = self.store.get('volumes', volume_id, project,
                                    what='Volume')
            if volume['status'] != 'available':
                raise state.SimError(
                    400, 'Invalid volume: volume %s status must be '
                    'available, but it is %s.'
                    % (volume_id, volume['status']))
            volume['status'] = 'in-use'
            volume['attachments'] = [{
                'id': volume_id, 'attachment_id': state.new_id(),
                'volume_id': volume_id, 'server_id': server_id,
                'device': device, 'host_name': None,
                'attached_at': self.store.timestamp()}]
            return volume

    def detach(self, volume_id):
        """Make the volume available again (gone already is fine)."""
        with self.store.lock:
            volume = self.store['volumes'].get(volume_id)
            if volume is not None:
                volume['attachments'] = []
                if volume['status'] == 'in-use':
                    volume['status'] = 'available'

    def list_types(self, request, project):
        self._project(request, project)
        return 200, {'volume_types': [
            self._type_view(t) for t in self.store['volume_types'].values()]}

    def show_type(self, request, project, ident):
        self._project(request, project)
        return 200, {'volume_type': self._type_view(self._type(ident))}

    @staticmethod
    def _type_view(volume_type):
        return {key: value for key, value in volume_type.items()
                if key not in ('seeded', 'project_id')}
