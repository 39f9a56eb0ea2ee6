"""The API as a module-level WSGI ``application``.

For uWSGI, mod_wsgi or gunicorn: ``trove_lite.wsgi.api:application``.
Configuration files come from ``TROVE_LITE_CONFIG_FILES`` (comma
separated), else ``/etc/trove-lite/trove-lite.conf`` when it exists.

Importing this module parses the configuration and loads the app, so a
broken configuration fails at once, but opens no RPC transport, database
engine or thread: the WSGI server may fork its workers after the import,
and none of those survive a fork (HACKING.rst, Processes). Each process
makes its RPC transport on its first request (``LazyTransport``).
"""

import os
import threading

from trove_lite.cmd import api
from trove_lite.common import rpc


class LazyTransport:
    """``app``, with this process's RPC transport made on its first request.

    :param app: the WSGI application to serve.
    :param conf: the ``ConfigOpts`` the transport is built from.
    """

    def __init__(self, app, conf):
        self.app = app
        self.conf = conf
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        if not rpc.initialized():
            with self._lock:
                if not rpc.initialized():
                    rpc.init(self.conf)
        return self.app(environ, start_response)


def _config_args():
    files = os.environ.get('TROVE_LITE_CONFIG_FILES')
    args = []
    for path in (files.split(',') if files else
                 ['/etc/trove-lite/trove-lite.conf']):
        if os.path.exists(path):
            args += ['--config-file', path]
    return args


application = LazyTransport(api.prepare(_config_args()), api.CONF)
