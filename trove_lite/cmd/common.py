"""Start-up steps every trove_lite process shares.

Importing ``trove_lite`` has already chosen oslo.service's threading
backend (see ``trove_lite/__init__.py``); what is left is parsing the
command line and config files, logging, and the infrastructure database.
"""

import sys

from oslo_log import log as logging

from trove_lite import conf
from trove_lite.db import api as db_api
from trove_lite import version

CONF = conf.CONF
LOG = logging.getLogger(__name__)


def init_process(argv=None, project='trove-lite', default_config_files=None,
                 infra_db=True):
    """Parse the command line and config files, and set up logging.

    :param default_config_files: files read when no ``--config-file`` is
        given; None means oslo.config's search (/etc/trove-lite/...), an
        empty list means none at all.
    :param infra_db: prepare the infrastructure database; guest agents
        never touch it and pass False.
    """
    logging.register_options(CONF)
    argv = sys.argv[1:] if argv is None else argv
    CONF(argv, project=project, version=version.VERSION,
         default_config_files=default_config_files)
    logging.setup(CONF, project)
    if infra_db:
        db_api.configure()
