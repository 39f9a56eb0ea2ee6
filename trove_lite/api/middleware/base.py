"""The PasteDeploy plumbing shared by our middleware."""

import webob.dec


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

    @webob.dec.wsgify
    def __call__(self, req):
        response = self.process_request(req)
        if response is not None:
            return response
        return req.get_response(self.application)
