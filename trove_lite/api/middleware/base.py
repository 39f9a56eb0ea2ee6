"""The PasteDeploy plumbing shared by our middleware.

Our middleware is plain WSGI: it wraps the environ in a ``webob.Request``
for ``process_request`` and otherwise calls the next application directly.
``webob.dec.wsgify`` would copy the request and build a response object at
every layer, a cost every API request paid several times over.
"""

import webob


class Middleware:
    """A middleware whose ``process_request`` may answer on its own.

    ``process_request(req)`` returns None to pass the request on, or a
    response (or raises a ``TroveLiteError``) to answer it here.
    """

    def __init__(self, application):
        self.application = application

    @classmethod
    def factory(cls, global_config, **local_config):
        def _factory(app):
            return cls(app, **local_config)
        return _factory

    def process_request(self, req):
        return None

    def __call__(self, environ, start_response):
        response = self.process_request(webob.Request(environ))
        if response is not None:
            return response(environ, start_response)
        return self.application(environ, start_response)
