"""Every error is upstream's fault document; nothing leaks a traceback."""

import json

import webob
import webob.dec
import webob.exc

from trove_lite.api.middleware import faults
from trove_lite.common import exception


def _wrap(app):
    return faults.FaultWrapper(app)


def _call(app, path='/'):
    resp = webob.Request.blank(path).get_response(_wrap(app))
    return resp, json.loads(resp.body)


def test_trove_error_becomes_its_fault():
    @webob.dec.wsgify
    def app(req):
        raise exception.DatastoreNotFound(datastore='x')

    resp, body = _call(app)
    assert resp.status_int == 404
    assert body == {'itemNotFound': {
        'code': 404, 'message': 'Datastore x cannot be found.'}}


def test_unexpected_error_is_500_with_an_id_and_no_traceback():
    @webob.dec.wsgify
    def app(req):
        raise KeyError('secret internals')

    resp, body = _call(app)
    assert resp.status_int == 500
    message = body['instanceFault']['message']
    assert message.startswith('Internal Server Error. Please keep this ID')
    assert 'secret' not in resp.text and 'Traceback' not in resp.text


def test_bare_error_responses_are_rewritten():
    @webob.dec.wsgify
    def app(req):
        return webob.exc.HTTPMethodNotAllowed(headers={'Allow': 'GET'})

    resp, body = _call(app)
    assert resp.status_int == 405
    assert list(body) == ['badMethod']
    assert resp.headers['Allow'] == 'GET'


def test_keystone_style_error_json_is_rewritten_too():
    @webob.dec.wsgify
    def app(req):
        return webob.Response(status=401, json_body={'error': {
            'code': 401, 'title': 'Unauthorized'}},
            headers={'WWW-Authenticate': "Keystone uri='x'"})

    resp, body = _call(app)
    assert body['unauthorized']['code'] == 401
    assert resp.headers['WWW-Authenticate'] == "Keystone uri='x'"


def test_rate_limited_has_retry_after():
    @webob.dec.wsgify
    def app(req):
        raise exception.RateLimited(details='Only 1 GET', retry_after=12)

    resp, body = _call(app)
    assert resp.status_int == 413
    assert resp.headers['Retry-After'] == '12'
    assert body['overLimit']['retryAfter'] == '12'
    assert body['overLimit']['details'] == 'Only 1 GET'


def test_fault_names_follow_upstream():
    assert exception.fault_name(400) == 'badRequest'
    assert exception.fault_name(422) == 'unprocessableEntity'
    assert exception.fault_name(501) == 'notImplemented'
    assert exception.ServerError().fault_name == 'serverError'


def test_a_path_that_is_not_utf8_is_a_400_fault():
    # NOTE(issue13): webob decodes the path as UTF-8; this middleware
    # itself failed on it and the server answered a plain-text 500.
    seen = []

    @webob.dec.wsgify
    def app(req):
        seen.append(req.path)

    resp, body = _call(app, '/v1.0/p/instances/%FF')
    assert resp.status_int == 400
    assert body == {'badRequest': {
        'code': 400, 'message': 'The URL path is not valid UTF-8; '
                                'percent-encode the UTF-8 bytes of its '
                                'characters.'}}
    assert seen == []


def test_a_utf8_path_passes():
    @webob.dec.wsgify
    def app(req):
        return webob.Response(json_body={'path': req.path_info})

    resp = webob.Request.blank('/v1.0/p/instances/%C3%A9').get_response(
        _wrap(app))
    assert resp.json == {'path': '/v1.0/p/instances/\u00e9'}


def test_the_log_line_of_an_error_never_decodes_the_path(caplog):
    @webob.dec.wsgify
    def app(req):
        raise KeyError('boom')

    # A path the check lets through, logged as the server received it.
    resp, body = _call(app, '/v1.0/p/instances/%C3%A9')
    assert resp.status_int == 500
    assert '/v1.0/p/instances/\u00c3\u00a9' in caplog.text


def test_a_query_string_that_is_not_utf8_is_a_400_fault():
    # NOTE(issue13): found by tests/unit/api/test_fuzz.py: webob decodes
    # the query string strictly when a middleware reads req.params.
    @webob.dec.wsgify
    def app(req):
        return webob.Response(json_body=dict(req.params))

    resp, body = _call(app, '/v1.0/p/instances?marker=%FF')
    assert resp.status_int == 400
    assert body['badRequest']['message'].startswith(
        'The URL query string is not valid UTF-8')
    resp, body = _call(app, '/v1.0/p/instances?marker=%C3%A9&limit=2')
    assert body == {'marker': '\u00e9', 'limit': '2'}
