"""``trove-lite-guestagent``: the agent of one database instance.

The agent's identity is ``[DEFAULT] guest_id`` (written by the control
plane into the instance's ``guest_info.conf``); it listens on topic
``guestagent.<guest_id>`` as server ``<guest_id>``. Without an identity
there is nothing it could answer for, so it refuses to start.
"""

import sys

from oslo_config import cfg
from oslo_log import log as logging

from trove_lite.cmd import common
from trove_lite.common import rpc
from trove_lite.common import service
from trove_lite.guestagent import rpcapi
from trove_lite.guestagent import service as guest_service

CONF = common.CONF
LOG = logging.getLogger(__name__)

# Exit code when the configuration cannot run an agent.
EXIT_CONFIG_ERROR = 2


def build_service(guest_id=None):
    """The guest agent's RPC service, not yet started.

    :param guest_id: the instance to serve; ``[DEFAULT] guest_id`` when
        omitted (``trove-lite-all`` passes the ids of its local instances).
    :raises: oslo_config.cfg.RequiredOptError when no guest_id is known.
    """
    guest_id = guest_id or CONF.guest_id
    if not guest_id:
        raise cfg.RequiredOptError('guest_id')
    endpoint = guest_service.GuestAgentEndpoint(guest_id)
    return service.RPCService(rpcapi.topic_for(guest_id), guest_id, endpoint)


def main(argv=None):
    """Run the agent until SIGTERM or SIGINT; returns the exit code."""
    common.init_process(argv, infra_db=False)
    try:
        agent = build_service()
    except cfg.RequiredOptError:
        message = ('trove-lite-guestagent: [DEFAULT] guest_id is not set; '
                   'it names the instance this agent serves (the control '
                   'plane writes it into guest_info.conf).')
        LOG.error(message)
        print(message, file=sys.stderr)
        return EXIT_CONFIG_ERROR
    rpc.init(CONF)
    try:
        return service.serve([agent])
    finally:
        rpc.cleanup()
