"""Turning WSGI requests into controller calls and results into JSON.

A controller method receives ``(req, body, **route_args)`` and returns a
``Response(status, body)`` or a plain dict (200). Anything it raises is a
``TroveLiteError`` that the fault middleware renders; the body is parsed
here, so controllers only ever see dicts.
"""

import json

import webob
import webob.dec

from trove_lite.common import exception
from trove_lite.db import api as db_api

# Where the context middleware leaves the request context.
CONTEXT_ENV = 'trove_lite.context'

JSON_TYPES = ('application/json', 'application/vnd.openstack.trove+json')

# NOTE(limits): the deepest body upstream's API defines nests six levels
# (instance > users > user > databases > database > name). A document
# nested far deeper is no request of ours, and one nested some thousand
# levels exhausts the interpreter's stack in whatever walks it next
# (json, jsonschema, repr, the RPC serializer): refuse it here, once.
MAX_BODY_DEPTH = 32


class Response:
    """What a controller returns when 200 with a body is not what it means."""

    def __init__(self, status=200, body=None, headers=None):
        self.status = status
        self.body = body
        self.headers = headers or {}


def json_response(status, body=None, headers=None):
    """A webob response carrying ``body`` as JSON (or nothing)."""
    response = webob.Response(status=status, headers=headers or {})
    if body is None:
        response.content_type = None
        response.body = b''
    else:
        response.content_type = 'application/json'
        response.charset = None
        response.body = json.dumps(body).encode('utf-8')
    return response


def parse_body(req):
    """The request's JSON document, or None when it has none.

    :raises UnsupportedMediaType: a body that is not declared as JSON.
    :raises MalformedRequestBody: a JSON body that does not parse, or
        that nests deeper than ``MAX_BODY_DEPTH``.
    """
    if not req.body:
        return None
    content_type = req.content_type
    if not content_type:
        # NOTE(compat): upstream treats a body with no Content-Type as no
        # body at all.
        return None
    if content_type not in JSON_TYPES:
        raise exception.UnsupportedMediaType(content_type=content_type)
    try:
        document = json.loads(req.body.decode('utf-8'))
    except (ValueError, UnicodeDecodeError) as err:
        raise exception.MalformedRequestBody(reason=err)
    except RecursionError:
        # NOTE(limits): the decoder itself gives up about a thousand
        # levels deep.
        raise _too_deep()
    if _nests_deeper(document, MAX_BODY_DEPTH):
        raise _too_deep()
    return document


def _too_deep():
    return exception.MalformedRequestBody(
        reason='the JSON document nests more than %d levels deep'
               % MAX_BODY_DEPTH)


def _nests_deeper(document, limit):
    """Whether arrays and objects in ``document`` nest over ``limit`` deep.

    A loop, not a recursion, so that the depth it measures cannot exhaust
    the stack it runs on.
    """
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


class Resource:
    """The WSGI app behind every route of one controller."""

    def __init__(self, controller):
        self.controller = controller

    def __call__(self, environ, start_response):
        req = webob.Request(environ)
        route_args = dict(environ['wsgiorg.routing_args'][1])
        action = route_args.pop('action')
        route_args.pop('controller', None)
        route_args.pop('format', None)
        # NOTE(tenant): checked by the tenant middleware; not an argument.
        route_args.pop('tenant_id', None)
        method = getattr(self.controller, action, None)
        if method is None:
            raise exception.ResourceNotFound()
        body = parse_body(req)
        ctx = req.environ.get(CONTEXT_ENV)
        if req.method == 'GET' and ctx is not None:
            # NOTE(reads): one read transaction per GET: a consistent view
            # of the rows, and one connection instead of one per query.
            with db_api.reader.using(ctx):
                result = method(req, body, **route_args)
        else:
            result = method(req, body, **route_args)
        if not isinstance(result, Response):
            # NOTE(perf): most answers are a 200 with a JSON document;
            # they need no response object.
            body = json.dumps(result).encode('utf-8')
            start_response('200 OK', [
                ('Content-Type', 'application/json'),
                ('Content-Length', str(len(body)))])
            return [body]
        return json_response(result.status, result.body, result.headers)(
            environ, start_response)
