"""``trove-lite-api``: the REST API service."""

from oslo_log import log as logging

from trove_lite.api import app
from trove_lite.cmd import common
from trove_lite.common import http_server
from trove_lite.common import rpc
from trove_lite.common import service

CONF = common.CONF
LOG = logging.getLogger(__name__)


def prepare(argv=None, default_config_files=None):
    """Everything the API needs before serving; returns the WSGI app."""
    common.init_process(argv, default_config_files=default_config_files)
    return app.load_app()


def build_server(application):
    """The API's HTTP server on ``bind_host:bind_port``, not yet started."""
    return http_server.WSGIServer(application, CONF.bind_host,
                                  CONF.bind_port)


def main(argv=None):
    """Serve the API until SIGTERM or SIGINT; returns the exit code."""
    server = build_server(prepare(argv))
    rpc.init(CONF)
    try:
        LOG.info('trove-lite-api listening on http://%s:%s', CONF.bind_host,
                 server.port)
        return service.serve([server])
    finally:
        rpc.cleanup()
