"""An in-process API application and a client for it."""

import json

import pytest
import webob

from trove_lite.api import app as api_app
from trove_lite.db.repositories import datastores
from trove_lite.db.repositories import flavors


class Client:
    """Send requests to the WSGI app the way the CLI would over HTTP."""

    def __init__(self, app, project='p1'):
        self.app = app
        self.project = project

    def request(self, method, path, body=None, raw=None, headers=None,
                content_type='application/json'):
        req = webob.Request.blank(path, method=method)
        req.headers['X-Auth-Token'] = 'any'
        req.headers['Accept'] = 'application/json'
        if raw is not None:
            req.body = raw
            req.content_type = content_type
        elif body is not None:
            req.body = json.dumps(body).encode()
            req.content_type = content_type
        for key, value in (headers or {}).items():
            req.headers[key] = value
        return req.get_response(self.app)

    def get(self, path, **kwargs):
        return self.request('GET', path, **kwargs)

    def v1(self, method, path, **kwargs):
        return self.request(method, '/v1.0/%s%s' % (self.project, path),
                            **kwargs)


@pytest.fixture
def client():
    return Client(api_app.load_app())


@pytest.fixture
def mysql(ctx):
    """A mysql datastore with an active 10.11 default and an inactive 5.7."""
    datastores.update_datastore(ctx, 'mysql')
    active = datastores.upsert_version(ctx, 'mysql', '10.11',
                                       'mysql')
    inactive = datastores.upsert_version(ctx, 'mysql', '5.7',
                                         'mysql', active=False)
    datastores.update_datastore(ctx, 'mysql', '10.11')
    return {'active': active.id, 'inactive': inactive.id}


@pytest.fixture
def flavor_rows(ctx):
    flavors.create_flavor(ctx, '1', 'm1.tiny', 512, 1, 1)
    flavors.create_flavor(ctx, '2', 'm1.small', 2048, 1, 20)
    flavors.create_flavor(ctx, 'ab-c', 'custom', 1024, 2, 10)


def member():
    """Headers that make a noauth request a plain project member."""
    return {'X-Roles': 'member'}
