"""Client side of the conductor RPC API.

Guests report to the conductor (heartbeats, backup progress, faults) and
operators' tools ask it for its health through ``ConductorAPI``. Every
method names the version it needs, so that during a rolling upgrade
``[upgrade_levels] conductor`` can cap what new senders emit to what the
oldest conductor on the bus understands. Guests are the slowest part of an
upgrade, so this contract changes only by addition.
"""

from trove_lite.common import rpc
from trove_lite import conf

CONF = conf.CONF


class ConductorAPI(rpc.ServiceClient):
    """Client side of the conductor RPC API.

    API version history:

    |    1.0 - Initial version: rpc_ping.

    Bump ``RPC_API_VERSION`` (here and in ``manager.Manager``) for every
    change, add the new version to this history, and send new or changed
    methods with that version; a method that an old server would not
    understand checks ``can_send_version`` first.
    """

    # NOTE(versions): must equal manager.RPC_API_VERSION.
    RPC_API_VERSION = '1.0'
    SERVICE_NAME = 'conductor'

    def __init__(self, topic=None):
        super().__init__(topic or CONF.conductor_queue)
