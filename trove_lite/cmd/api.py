"""``trove-lite-api``: the REST API service.

It serves with ``trove_api_workers`` processes (one per CPU unless set):
a Python process runs Python code on one core at a time, and the API's
requests are mostly Python. The parent binds the port and loads the
application, so that a broken configuration fails before any worker is
forked; each worker then opens its own database connections and RPC
transport (``common/workers.py``).
"""

import os

from oslo_log import log as logging

from trove_lite.api import app
from trove_lite.cmd import common
from trove_lite.common import http_server
from trove_lite.common import rpc
from trove_lite.common import service
from trove_lite.common import workers

CONF = common.CONF
LOG = logging.getLogger(__name__)


def prepare(argv=None, default_config_files=None):
    """Everything the API needs before serving; returns the WSGI app.

    :raises SystemExit: an option has a value its type refuses.
    """
    common.init_process(argv, default_config_files=default_config_files)
    application = app.load_app()
    # NOTE(config): the pipeline's filters (authtoken, oslo.middleware's)
    # register their options as they load; check those too.
    common.check_config(CONF)
    return application


def build_server(application, sock=None):
    """The API's HTTP server on ``bind_host:bind_port``, not yet started.

    :param sock: a listening socket to serve instead of binding one.
    """
    return http_server.WSGIServer(application, CONF.bind_host,
                                  CONF.bind_port, sock=sock)


def worker_count():
    """``trove_api_workers``, or the number of CPUs when unset."""
    return CONF.trove_api_workers or os.cpu_count() or 1


def serve(server):
    """Serve ``server`` in this process until SIGTERM or SIGINT."""
    rpc.init(CONF)
    try:
        return service.serve([server])
    finally:
        rpc.cleanup()


def main(argv=None):
    """Serve the API until SIGTERM or SIGINT; returns the exit code."""
    application = prepare(argv)
    count = worker_count()
    try:
        if count == 1:
            server = build_server(application)
        else:
            sock = http_server.listen(CONF.bind_host, CONF.bind_port)
    except OSError as err:
        return common.cannot_listen('trove-lite-api', CONF.bind_host,
                                    CONF.bind_port, err)
    if count == 1:
        LOG.info('trove-lite-api listening on http://%s:%s', CONF.bind_host,
                 server.port)
        return serve(server)
    LOG.info('trove-lite-api listening on http://%s:%s with %d worker '
             'processes', CONF.bind_host, sock.getsockname()[1], count)
    pool = workers.WorkerPool(
        lambda: serve(build_server(application, sock)), count,
        name='trove-lite-api worker')
    try:
        return pool.run()
    finally:
        sock.close()
