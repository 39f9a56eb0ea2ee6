"""Render every error as upstream's fault document; never a traceback.

``{"<faultName>": {"code": <status>, "message": "<text>"}}``: a
``TroveLiteError`` becomes its own status and message; anything else is a
bug, logged with its traceback under an id the user can quote, and
answered with 500 ``instanceFault`` naming that id. Bare error responses
made further in (a 404 from the router, a 405) are rewritten into the same
shape so that clients parse one format.

A URL whose path or query string is not UTF-8 (``/instances/%FF``,
``?marker=%FF``) names nothing we serve and cannot even be read as text by
the layers further in (webob decodes both as UTF-8): it is answered here
with 400 ``badRequest`` before anything else sees it. This middleware itself reads the request
only through the raw environ, so that no request can make it raise.
"""

import json
from urllib import parse
import uuid

from oslo_log import log as logging
import webob
import webob.exc

from trove_lite.api import wsgi
from trove_lite.common import exception

LOG = logging.getLogger(__name__)


def fault_response(code, message, fault=None, headers=None):
    name = fault or exception.fault_name(code)
    return wsgi.json_response(code, {name: {'code': code,
                                            'message': message}},
                              headers=headers)


def from_exception(err):
    """The fault response for a ``TroveLiteError``."""
    if isinstance(err, exception.RateLimited):
        return wsgi.json_response(
            413, {'overLimit': {'code': 413, 'message': err.msg,
                                'details': err.details,
                                'retryAfter': str(err.retry_after)}},
            headers={'Retry-After': str(err.retry_after)})
    return fault_response(err.code, err.msg, err.fault_name)


_FAULT_NAMES = frozenset(exception.FAULT_NAMES.values()) | {'serverError'}


def _is_fault_body(response):
    """Whether a response already carries one of our fault documents."""
    if response.content_type != 'application/json':
        return False
    try:
        body = json.loads(response.body or b'null')
    except ValueError:
        return False
    return isinstance(body, dict) and len(body) == 1 and (
        next(iter(body)) in _FAULT_NAMES)


# Headers of a bare error response that still matter once it is rewritten.
_KEPT_HEADERS = ('WWW-Authenticate', 'Retry-After', 'Allow')


class FaultWrapper:
    """Outermost error boundary of an API pipeline."""

    def __init__(self, application):
        self.application = application

    @classmethod
    def factory(cls, global_config, **local_config):
        return cls

    def __call__(self, environ, start_response):
        req = webob.Request(environ)
        try:
            _check_url(environ)
            status, headers, app_iter = req.call_application(
                self.application)
        except exception.TroveLiteError as err:
            return from_exception(err)(environ, start_response)
        except webob.exc.HTTPException as err:
            return fault_response(err.code, err.explanation)(
                environ, start_response)
        except Exception:
            error_id = str(uuid.uuid4())
            LOG.exception('Unexpected error %s serving %s %s', error_id,
                          environ.get('REQUEST_METHOD'), _raw_path(environ))
            return fault_response(
                500, 'Internal Server Error. Please keep this ID to help us '
                     'figure out what went wrong: (%s).' % error_id)(
                environ, start_response)
        if int(status[:3]) < 400:
            # NOTE(perf): the common case passes through untouched.
            start_response(status, headers)
            return app_iter
        response = webob.Response(status=status, headerlist=headers,
                                  app_iter=app_iter)
        if not _is_fault_body(response):
            kept = {name: response.headers[name] for name in _KEPT_HEADERS
                    if name in response.headers}
            response = fault_response(response.status_int,
                                      _default_message(response),
                                      headers=kept)
        return response(environ, start_response)


def _raw_path(environ):
    """The request's path as the server received it (WSGI's latin-1 text).

    Never raises, unlike ``webob.Request.path``, which decodes it as UTF-8.
    """
    return environ.get('SCRIPT_NAME', '') + environ.get('PATH_INFO', '')


_NOT_UTF8 = ('The URL %s is not valid UTF-8; percent-encode the UTF-8 '
             'bytes of its characters.')


def _check_url(environ):
    """:raises BadRequest: the path or the query string is not UTF-8 once
        percent-decoded.
    """
    try:
        _raw_path(environ).encode('latin-1').decode('utf-8')
    except UnicodeError:
        raise exception.BadRequest(_NOT_UTF8 % 'path')
    try:
        parse.unquote_to_bytes(
            environ.get('QUERY_STRING', '').encode('latin-1')).decode(
                'utf-8')
    except UnicodeError:
        raise exception.BadRequest(_NOT_UTF8 % 'query string')


def _default_message(response):
    exc_class = webob.exc.status_map.get(response.status_int)
    if exc_class is not None and exc_class.explanation:
        return exc_class.explanation
    return response.status
