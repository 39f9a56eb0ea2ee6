"""Client side of the taskmanager RPC API.

The API and the conductor ask the taskmanager to run workflows through
``TaskManagerAPI``; nothing else puts messages on the taskmanager topic.
Every method names the version it needs, so that during a rolling upgrade
``[upgrade_levels] taskmanager`` can cap what new senders emit to what the
oldest taskmanager on the bus understands.
"""

from trove_lite.common import rpc
from trove_lite import conf

CONF = conf.CONF


class TaskManagerAPI(rpc.ServiceClient):
    """Client side of the taskmanager RPC API.

    API version history:

    |    1.0 - Initial version: rpc_ping.

    Bump ``RPC_API_VERSION`` (here and in ``manager.Manager``) for every
    change, add the new version to this history, and send new or changed
    methods with that version; a method that an old server would not
    understand checks ``can_send_version`` first.
    """

    # NOTE(versions): must equal manager.RPC_API_VERSION.
    RPC_API_VERSION = '1.0'
    SERVICE_NAME = 'taskmanager'

    def __init__(self, topic=None):
        super().__init__(topic or CONF.taskmanager_queue)
