"""``trove-lite-conductor``: where guests report, and the reconcilers.

Any number of conductors may share the ``conductor_queue`` topic; each
also listens as ``[DEFAULT] host``, so a message can be pinned to one.
Each runs the reconcilers of ``[conductor] reconcilers``; they are safe to
run in several conductors at once.
"""

from trove_lite.cmd import common
from trove_lite.common import rpc
from trove_lite.common import sealing
from trove_lite.common import service
from trove_lite.conductor import failover
from trove_lite.conductor import manager
from trove_lite.conductor import reconcilers

CONF = common.CONF


def build_service():
    """The conductor's RPC service, not yet started.

    Reports are unsealed with the key of the instance they claim to come
    from (``common.sealing``); one at a version the conductor does not
    speak leaves a fault on that instance (``refuse_wrong_version``).
    """
    return service.RPCService(
        CONF.conductor_queue, CONF.host, manager.Manager(),
        serializer=sealing.ConductorSerializer(manager.instance_key),
        on_wrong_version=manager.refuse_wrong_version)


def build_services():
    """The RPC service, the reconcilers and the failover watch, not yet
    started.
    """
    return [build_service(), reconcilers.ReconcilerService(),
            failover.FailoverService()]


def main(argv=None):
    """Run the conductor until SIGTERM or SIGINT; returns the exit code."""
    common.init_process(argv)
    rpc.init(CONF)
    try:
        return service.serve(build_services())
    finally:
        rpc.cleanup()
