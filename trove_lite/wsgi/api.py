"""The API as a module-level WSGI ``application``.

For uWSGI, mod_wsgi or gunicorn: ``trove_lite.wsgi.api:application``.
Configuration files come from ``TROVE_LITE_CONFIG_FILES`` (comma
separated), else ``/etc/trove-lite/trove-lite.conf`` when it exists.
"""

import os

from trove_lite.cmd import api
from trove_lite.common import rpc

_files = os.environ.get('TROVE_LITE_CONFIG_FILES')
_args = []
for _path in (_files.split(',') if _files else
              ['/etc/trove-lite/trove-lite.conf']):
    if os.path.exists(_path):
        _args += ['--config-file', _path]

application = api.prepare(_args)
rpc.init(api.CONF)
