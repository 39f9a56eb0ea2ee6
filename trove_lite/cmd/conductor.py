"""``trove-lite-conductor``: where guests report.

Any number of conductors may share the ``conductor_queue`` topic; each
also listens as ``[DEFAULT] host``, so a message can be pinned to one.
"""

from trove_lite.cmd import common
from trove_lite.common import rpc
from trove_lite.common import service
from trove_lite.conductor import manager

CONF = common.CONF


def build_service():
    """The conductor's RPC service, not yet started."""
    return service.RPCService(CONF.conductor_queue, CONF.host,
                              manager.Manager())


def main(argv=None):
    """Run the conductor until SIGTERM or SIGINT; returns the exit code."""
    common.init_process(argv)
    rpc.init(CONF)
    try:
        return service.serve([build_service()])
    finally:
        rpc.cleanup()
