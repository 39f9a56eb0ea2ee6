"""Start-up steps every trove_lite process shares.

Importing ``trove_lite`` has already chosen oslo.service's threading
backend (see ``trove_lite/__init__.py``); what is left is parsing the
command line and config files, logging, and the infrastructure database.
"""

import sys

from oslo_log import log as logging

from trove_lite.common import key_storage
from trove_lite import conf
from trove_lite.db import api as db_api
from trove_lite import version

CONF = conf.CONF
LOG = logging.getLogger(__name__)


def init_process(argv=None, project='trove-lite', default_config_files=None,
                 infra_db=True, check_secret=None):
    """Parse the command line and config files, and set up logging.

    :param default_config_files: files read when no ``--config-file`` is
        given; None means oslo.config's search (/etc/trove-lite/...), an
        empty list means none at all.
    :param infra_db: prepare the infrastructure database; guest agents
        never touch it and pass False.
    :param check_secret: check ``[DEFAULT] inst_rpc_key_encr_key``
        (``key_storage.check_secret``); by default the services of the
        infrastructure database, which read and write instance keys, do.
    :raises KeySecretRequired: the cloud shape without the secret.
    """
    logging.register_options(CONF)
    argv = sys.argv[1:] if argv is None else argv
    CONF(argv, project=project, version=version.VERSION,
         default_config_files=default_config_files)
    logging.setup(CONF, project)
    if infra_db if check_secret is None else check_secret:
        key_storage.check_secret(CONF)
    if infra_db:
        db_api.configure()
