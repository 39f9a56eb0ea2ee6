"""Start-up steps every trove_lite process shares.

The threading backend of oslo.service must be chosen before anything
imports oslo.messaging's executors, so every entry point calls
``init_process`` first.
"""

import sys

from oslo_log import log as logging
from oslo_service import backend

from trove_lite.api import app
from trove_lite import conf
from trove_lite.db import api as db_api
from trove_lite import version

CONF = conf.CONF
LOG = logging.getLogger(__name__)


def init_backend():
    """Pick native threads for oslo.service (a no-op the second time)."""
    backend.init_backend(backend.BackendType.THREADING)


def init_process(argv=None, project='trove-lite', default_config_files=None):
    """Parse the command line and config files, and set up logging."""
    init_backend()
    logging.register_options(CONF)
    argv = sys.argv[1:] if argv is None else argv
    CONF(argv, project=project, version=version.VERSION,
         default_config_files=default_config_files)
    logging.setup(CONF, project)
    db_api.configure()


def prepare_api(argv=None, default_config_files=None):
    """Everything the API needs before serving; returns the WSGI app."""
    init_process(argv, default_config_files=default_config_files)
    return app.load_app()
