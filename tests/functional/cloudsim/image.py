"""The simulated Image API (Glance v2), under ``/image``.

Images are the operator's (seeded by the test, public): the driver finds
the guest image by its tags. Only reads are served, as a keystoneauth
Adapter for ``image`` makes them; the version document at ``/image``
answers a client that discovers the version first.
"""

from tests.functional.cloudsim import wsgi

FILTERS = ('name', 'status', 'visibility', 'id')


def render_error(err):
    # NOTE(glance): Glance answers errors as plain text; keystoneauth
    # only needs the status.
    return err.status, {'code': err.status, 'title': 'Error',
                        'message': err.message}


class ImageAPI:
    """``/image/v2/images``: list by tags and other fields; show."""

    def __init__(self, store, base_url):
        self.store = store
        router = self.router = wsgi.Router(render_error)
        router.add('GET', '', self.versions)
        router.add('GET', '/versions', self.versions)
        router.add('GET', '/v2/images', self.list_images)
        router.add('GET', '/v2/images/(?P<ident>[^/]+)', self.show)
        self._base_url = base_url

    def add_image(self, name, tags=(), status='active'):
        return self.store.add('images', {
            'name': name, 'tags': list(tags), 'status': status,
            'visibility': 'public', 'disk_format': 'qcow2',
            'container_format': 'bare', 'min_disk': 0, 'min_ram': 0,
            'project_id': None, 'seeded': True})

    def versions(self, request):
        return 300, {'versions': [wsgi.version_document(
            'v2.9', 'CURRENT', self._base_url + '/v2/')]}

    @staticmethod
    def view(image):
        view = {key: value for key, value in image.items()
                if key not in ('seeded', 'project_id')}
        view['updated_at'] = image['created_at']
        view['self'] = '/v2/images/%s' % image['id']
        return view

    def list_images(self, request):
        self.store.called('image.list')
        tags = request.GET.getall('tag')
        filters = {key: request.GET[key] for key in FILTERS
                   if key in request.GET}
        images = [image for image in self.store.find('images', **filters)
                  if set(tags) <= set(image['tags'])]
        # NOTE(glance): newest first unless the request sorts otherwise.
        images.sort(key=lambda image: image['created_at'], reverse=True)
        for key, direction in _sorting(request):
            images.sort(key=lambda image: image.get(key) or '',
                        reverse=direction == 'desc')
        if 'limit' in request.GET:
            images = images[:int(request.GET['limit'])]
        return 200, {'images': [self.view(i) for i in images],
                     'first': '/v2/images', 'schema': '/v2/schemas/images'}

    def show(self, request, ident):
        return 200, self.view(self.store.get('images', ident, what='Image'))


def _sorting(request):
    """``[(key, asc|desc)]`` from ``sort=k:dir,...`` or ``sort_key`` and
    ``sort_dir``, the last key applied last (so it sorts first).
    """
    if 'sort' in request.GET:
        keys = []
        for part in request.GET['sort'].split(','):
            key, _, direction = part.partition(':')
            keys.append((key, direction or 'desc'))
        return list(reversed(keys))
    if 'sort_key' in request.GET:
        return [(request.GET['sort_key'],
                 request.GET.get('sort_dir', 'desc'))]
    return []
