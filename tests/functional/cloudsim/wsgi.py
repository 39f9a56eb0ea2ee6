"""The little WSGI plumbing the simulated APIs share.

Each API is a ``Router``: a list of ``(method, path pattern, handler)``
under a URL prefix, whose handlers take the webob request and the path's
named groups and return ``(status, body)``. A ``state.SimError`` a handler
raises becomes the API's own upstream error shape (``render_error``),
so that each client library turns it into its own exception class.
"""

import json
import re

import webob

from tests.functional.cloudsim import state

#: The project of a request made without Keystone in front (the
#: simulator run on its own, as in a unit of the simulator's tests).
NO_AUTH_PROJECT = 'cloudsim-project'


def project_of(request):
    """The project of the request's token (set by keystonemiddleware's
    authtoken); without Keystone in front, ``X-Project-Id`` or
    ``NO_AUTH_PROJECT``.
    """
    return request.headers.get('X-Project-Id') or NO_AUTH_PROJECT


def json_body(request, required=True):
    """The request's JSON object.

    :raises: SimError 400 when it is not JSON (or is missing while
        ``required``).
    """
    if not request.body:
        if required:
            raise state.SimError(400, 'The request has no body.')
        return {}
    try:
        body = json.loads(request.body)
    except ValueError:
        raise state.SimError(400, 'Malformed request body.')
    if not isinstance(body, dict):
        raise state.SimError(400, 'The request body must be an object.')
    return body


def member(body, key):
    """``body[key]`` as an object.

    :raises: SimError 400 when it is missing or not an object.
    """
    value = body.get(key)
    if not isinstance(value, dict):
        raise state.SimError(400, 'The request body has no %r object.' % key)
    return value


class Router:
    """Dispatch to handlers by method and path; render errors.

    :param render_error: ``SimError -> (status, body)`` in the API's
        upstream shape.
    :param headers: ``request -> {header: value}`` every answer carries
        (an API's version headers).
    """

    def __init__(self, render_error, headers=None):
        self._routes = []
        self._render_error = render_error
        self._headers = headers or (lambda request: {})

    def add(self, method, pattern, handler):
        """Route ``method`` on ``pattern`` (a regular expression of the
        path below the API's prefix, anchored at both ends).
        """
        self._routes.append((method, re.compile('^%s$' % pattern), handler))

    def __call__(self, environ, start_response):
        request = webob.Request(environ)
        path = request.path_info.rstrip('/')
        # NOTE(neutron): older neutronclients asked for "<path>.json".
        if path.endswith('.json'):
            path = path[:-len('.json')]
        try:
            status, body = self._dispatch(request, path)
        except state.SimError as err:
            status, body = self._render_error(err)
        response = webob.Response(status=status)
        response.headers.update(self._headers(request))
        if body is not None:
            response.content_type = 'application/json'
            response.charset = None
            response.body = json.dumps(body).encode()
        return response(environ, start_response)

    def _dispatch(self, request, path):
        allowed = False
        for method, pattern, handler in self._routes:
            match = pattern.match(path)
            if match is None:
                continue
            allowed = True
            if method == request.method:
                return handler(request, **match.groupdict())
        if allowed:
            raise state.SimError(405, 'Method %s is not allowed on %s.'
                                 % (request.method, path))
        raise state.SimError(404, 'No such resource: %s' % path)


def nova_style_error(err):
    """``{"itemNotFound": {"message", "code"}}`` and its siblings, as
    Nova and Cinder answer.
    """
    names = {400: 'badRequest', 401: 'unauthorized', 403: 'forbidden',
             404: 'itemNotFound', 405: 'badMethod', 409: 'conflictingRequest',
             413: 'overLimit'}
    name = names.get(err.status, 'computeFault')
    return err.status, {name: {'message': err.message, 'code': err.status}}


def version_document(version_id, status, url, min_version='',
                     version=''):
    """One entry of an API's version discovery document."""
    return {'id': version_id, 'status': status, 'min_version': min_version,
            'version': version, 'updated': '2024-01-01T00:00:00Z',
            'links': [{'rel': 'self', 'href': url}]}
