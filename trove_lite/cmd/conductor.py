"""``trove-lite-conductor``: where guests report, and the reconcilers.

Any number of conductors may share the ``conductor_queue`` topic; each
also listens as ``[DEFAULT] host``, so a message can be pinned to one.
Each runs the reconcilers of ``[conductor] reconcilers``; they are safe to
run in several conductors at once.
"""

import functools

from trove_lite.cmd import common
from trove_lite.common import rpc
from trove_lite.common import sealing
from trove_lite.common import service
from trove_lite.conductor import failover
from trove_lite.conductor import heartbeats
from trove_lite.conductor import instance_keys
from trove_lite.conductor import manager
from trove_lite.conductor import reconcilers

CONF = common.CONF


def build_service(endpoint=None):
    """The conductor's RPC service, not yet started.

    Reports are unsealed with the key of the instance they claim to come
    from (``common.sealing``), kept in memory for
    ``[conductor] instance_key_cache_ttl`` (``conductor.instance_keys``);
    one at a version the conductor does not speak leaves a fault on that
    instance (``refuse_wrong_version``).

    :param endpoint: the ``Manager`` (``build_endpoint``'s by default).
    """
    endpoint = endpoint or build_endpoint()
    return service.RPCService(
        CONF.conductor_queue, CONF.host, endpoint,
        serializer=sealing.ConductorSerializer(
            endpoint.keys, fresh_key_of=endpoint.keys.fresh),
        on_wrong_version=manager.refuse_wrong_version)


def build_endpoint():
    """The conductor's ``Manager``, with its key cache and its heartbeat
    writer (``[conductor] heartbeat_batch_*``).
    """
    interval = CONF.conductor.heartbeat_batch_interval or None
    keys = instance_keys.KeyCache(manager.instance_key,
                                  CONF.conductor.instance_key_cache_ttl)
    endpoint = manager.Manager(keys=keys, writer=functools.partial(
        heartbeats.HeartbeatWriter, interval=interval,
        max_rows=CONF.conductor.heartbeat_batch_size))
    return endpoint


def build_services():
    """The heartbeat writer, the RPC service, the reconcilers and the
    failover watch, not yet started.

    NOTE(shutdown): the writer comes first, so that it stops last, once
    the RPC service has stopped taking heartbeats; what it holds then is
    written before the process ends.
    """
    endpoint = build_endpoint()
    return [endpoint.heartbeats, build_service(endpoint),
            reconcilers.ReconcilerService(), failover.FailoverService()]


def main(argv=None):
    """Run the conductor until SIGTERM or SIGINT; returns the exit code."""
    common.init_process(argv)
    rpc.init(CONF)
    try:
        return service.serve(build_services())
    finally:
        rpc.cleanup()
