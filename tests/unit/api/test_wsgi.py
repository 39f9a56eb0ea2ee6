"""Request bodies: what parses, and what is refused before anything walks
it (issue 13: a deeply nested body was a 500 RecursionError).
"""

import json

import pytest
import webob

from trove_lite.api import router
from trove_lite.api import wsgi
from trove_lite.common import exception

# The body of the fuzz that found it: ``{"a":`` five thousand times.
ABYSS = b'{"a":' * 5000 + b'1' + b'}' * 5000


def _nested(depth):
    document = 1
    for _ in range(depth):
        document = [document]
    return document


def _request(body):
    req = webob.Request.blank('/', method='POST')
    req.body = body
    req.content_type = 'application/json'
    return req


def test_a_body_as_deep_as_allowed_parses():
    body = json.dumps({'a': _nested(wsgi.MAX_BODY_DEPTH - 1)}).encode()
    assert wsgi.parse_body(_request(body))['a'][0][0]


@pytest.mark.parametrize('body', [
    json.dumps(_nested(wsgi.MAX_BODY_DEPTH + 1)).encode(),
    # Deeper than the decoder itself can go.
    ABYSS,
    b'[' * 100000 + b']' * 100000,
], ids=['one-too-deep', 'abyss', 'arrays'])
def test_a_body_nested_too_deep_is_malformed(body):
    with pytest.raises(exception.MalformedRequestBody) as caught:
        wsgi.parse_body(_request(body))
    assert 'nests more than %d levels' % wsgi.MAX_BODY_DEPTH in str(
        caught.value)


def _routes_with_a_body():
    found = []
    for route in router.APIRouter().mapper.matchlist:
        for method in route.conditions['method']:
            if method in ('POST', 'PUT', 'PATCH'):
                found.append((method, route.routepath))
    return found


ROUTES = _routes_with_a_body()


def test_every_route_with_a_body_is_walked():
    assert len(ROUTES) >= 14


@pytest.mark.parametrize('method,path', ROUTES,
                         ids=['%s %s' % route for route in ROUTES])
def test_every_route_refuses_the_abyss_with_400(method, path, client):
    url = '/v1.0' + path.replace('{tenant_id}', 'p1').replace(
        '{', '').replace('}', '')
    resp = client.request(method, url, raw=ABYSS)
    assert resp.status_int == 400, resp.text
    assert resp.json == {'badRequest': {
        'code': 400,
        'message': 'Malformed request body: the JSON document nests more '
                   'than %d levels deep.' % wsgi.MAX_BODY_DEPTH}}
