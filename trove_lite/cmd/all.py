"""``trove-lite-all``: the whole control plane in one process.

API, taskmanager and conductor share one process, an in-process RPC
transport and a SQLite file under ``state_path`` unless a config file says
otherwise. On start it brings the infrastructure database to the current
schema and, on a fresh one, registers the datastores this host can run and
a default set of flavors.
"""

import signal
import threading

from oslo_log import log as logging

from trove_lite.cmd import common
from trove_lite.cmd import conductor as conductor_cmd
from trove_lite.cmd import taskmanager as taskmanager_cmd
from trove_lite.common import context
from trove_lite.common import http_server
from trove_lite.compute.local import bootstrap
from trove_lite.conf import embedded
from trove_lite.db import migration

CONF = common.CONF
LOG = logging.getLogger(__name__)


def prepare(argv=None):
    """Configure, migrate and seed; returns the API application."""
    embedded.apply(CONF)
    # NOTE(embedded): only files named with --config-file count, so a
    # stray /etc/trove-lite/trove-lite.conf cannot change the shape.
    application = common.prepare_api(argv, default_config_files=[])
    migration.upgrade()
    admin = context.get_admin_context()
    bootstrap.register_host_datastores(admin)
    bootstrap.ensure_default_flavors(admin)
    return application


def main(argv=None):
    application = prepare(argv)
    services = [taskmanager_cmd.build_service(),
                conductor_cmd.build_service()]
    for service in services:
        service.start()
    server = http_server.WSGIServer(application, CONF.bind_host,
                                    CONF.bind_port).start()
    LOG.info('trove-lite-all serving the Trove API on http://%s:%s/v1.0 '
             '(auth_strategy=%s)', server.host, server.port,
             CONF.auth_strategy)
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *args: stopping.set())
    stopping.wait()
    LOG.info('trove-lite-all stopping')
    server.stop()
    for service in services:
        service.stop()
    for service in services:
        service.wait()
    return 0
