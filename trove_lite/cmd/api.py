"""``trove-lite-api``: the REST API service."""

from oslo_log import log as logging

from trove_lite.cmd import common
from trove_lite.common import http_server

LOG = logging.getLogger(__name__)


def main(argv=None):
    application = common.prepare_api(argv)
    conf = common.CONF
    server = http_server.WSGIServer(application, conf.bind_host,
                                    conf.bind_port).start()
    LOG.info('trove-lite-api listening on http://%s:%s', server.host,
             server.port)
    try:
        server.wait()
    except KeyboardInterrupt:
        server.stop()
