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


class TaskManagerAPI:
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
    BASE_VERSION = '1.0'
    SERVICE_NAME = 'taskmanager'
    # Release names accepted in [upgrade_levels] taskmanager.
    VERSION_ALIASES = {}

    def __init__(self, topic=None):
        self.topic = topic or CONF.taskmanager_queue
        self.client = rpc.get_client(
            self.topic, self.BASE_VERSION,
            version_cap=rpc.version_cap('taskmanager', self.VERSION_ALIASES))

    def rpc_ping(self, context, host=None):
        """Ask a taskmanager (any, or the one on ``host``) who it is.

        :returns: ``{'service', 'host', 'version', 'rpc_api_version'}``.
        :raises: RPCTimeout when no taskmanager answers within
            ``rpc_ping_timeout`` seconds.
        """
        cctxt = rpc.prepare(self.client, '1.0', server=host,
                            timeout=CONF.rpc_ping_timeout)
        return rpc.call(cctxt, context, 'rpc_ping', self.SERVICE_NAME)
