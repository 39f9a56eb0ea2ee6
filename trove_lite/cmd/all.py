"""``trove-lite-all``: the whole control plane in one process.

API, taskmanager and conductor (with its reconcilers) share one process,
and so do the guest agents of local instances when the transport is
in-process (``[local] agent_mode``). They share an in-process RPC
transport and a SQLite file under ``state_path`` unless a config file says
otherwise. On start it brings the infrastructure database to the current
schema and, on a fresh one, registers the datastores this host can run and
a default set of flavors.
"""

from oslo_log import log as logging

from trove_lite.cmd import api as api_cmd
from trove_lite.cmd import common
from trove_lite.cmd import conductor as conductor_cmd
from trove_lite.cmd import taskmanager as taskmanager_cmd
from trove_lite.common import context
from trove_lite.common import rpc
from trove_lite.common import service
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
    application = api_cmd.prepare(argv, default_config_files=[])
    migration.upgrade()
    admin = context.get_admin_context()
    bootstrap.register_host_datastores(admin)
    bootstrap.ensure_default_flavors(admin)
    return application


def main(argv=None):
    """Run everything until SIGTERM or SIGINT; returns the exit code."""
    application = prepare(argv)
    try:
        server = api_cmd.build_server(application)
    except OSError as err:
        return common.cannot_listen('trove-lite-all', CONF.bind_host,
                                    CONF.bind_port, err)
    rpc.init(CONF)
    try:
        LOG.info('trove-lite-all serving the Trove API on '
                 'http://%s:%s/v1.0 (auth_strategy=%s)', CONF.bind_host,
                 server.port, CONF.auth_strategy)
        # NOTE(embedded): the conductor first, so the heartbeats of the
        # agents adopted by the taskmanager find its queue.
        return service.serve(conductor_cmd.build_services()
                             + taskmanager_cmd.build_services() + [server])
    finally:
        rpc.cleanup()
