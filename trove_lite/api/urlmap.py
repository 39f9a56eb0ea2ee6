"""Dispatch by URL prefix (the ``[composite:root]`` of api-paste.ini).

A small replacement for Paste's urlmap: the longest matching prefix wins,
SCRIPT_NAME/PATH_INFO are shifted as WSGI expects, and a request no
prefix claims gets a 404 that the fault middleware renders. ``/`` only
matches the root itself, so ``/nonsense`` is a 404 rather than the
version document. Plain WSGI: it is on the path of every request.
"""

import webob.exc


class URLMap:
    def __init__(self, apps):
        # Longest prefix first so /v1.0 wins over /.
        self.apps = sorted(apps.items(), key=lambda item: -len(item[0]))

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO') or '/'
        for prefix, app in self.apps:
            if prefix == '/':
                if path == '/':
                    return app(environ, start_response)
                continue
            if path == prefix or path.startswith(prefix + '/'):
                environ['SCRIPT_NAME'] = environ.get('SCRIPT_NAME',
                                                     '') + prefix
                environ['PATH_INFO'] = path[len(prefix):]
                return app(environ, start_response)
        raise webob.exc.HTTPNotFound()


def urlmap_factory(loader, global_conf, **local_conf):
    """PasteDeploy composite factory: each ``/prefix = app`` key is a route."""
    apps = {}
    for prefix, app_name in local_conf.items():
        if not prefix.startswith('/'):
            continue
        prefix = prefix.rstrip('/') or '/'
        apps[prefix] = loader.get_app(app_name, global_conf=global_conf)
    return URLMap(apps)
