"""Load the API WSGI application from api-paste.ini."""

import os
import sys

from oslo_config import cfg
from paste import deploy

from trove_lite.common import exception

_SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def find_paste_config():
    """Resolve ``api_paste_config`` to a file.

    A relative name is looked for beside the config files, in /etc, in the
    source tree and in ``<prefix>/share/trove-lite``, in that order.
    """
    name = cfg.CONF.api_paste_config
    if os.path.isabs(name):
        candidates = [name]
    else:
        candidates = [os.path.join(os.path.dirname(path), name)
                      for path in cfg.CONF.config_file]
        candidates += [os.path.join('/etc/trove-lite', name),
                       os.path.join(_SOURCE_ROOT, name),
                       os.path.join(sys.prefix, 'share', 'trove-lite', name)]
    for candidate in candidates:
        if os.path.isfile(candidate):
            return os.path.abspath(candidate)
    raise exception.TroveLiteError(
        'Cannot find the API paste configuration %s (looked in %s).'
        % (name, ', '.join(candidates)))


def load_app(name='main'):
    """The API application named ``name`` in the paste file."""
    return deploy.loadapp('config:%s' % find_paste_config(), name=name)
