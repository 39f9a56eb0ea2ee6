"""Server side of the guest agent RPC API: the agent's endpoint.

Each public method of ``GuestAgentEndpoint`` is an RPC method of topic
``guestagent.<guest_id>``. It answers ``rpc_ping`` for now; the database,
user, backup and replication methods arrive with the datastore managers
(``guestagent/datastores/<family>/``), to which this endpoint will
delegate, so that one endpoint serves every datastore.
"""

import oslo_messaging

from trove_lite.common import rpc

# NOTE(versions): must equal rpcapi.GuestAgentAPI.RPC_API_VERSION; the
# version history lives in that class's docstring.
RPC_API_VERSION = '1.1'
SERVICE_NAME = 'guestagent'


class GuestAgentEndpoint:
    """The guest agent's RPC endpoint for one instance.

    :param instance_id: the instance this agent manages (``guest_id``).
    """

    target = oslo_messaging.Target(version=RPC_API_VERSION)

    def __init__(self, instance_id):
        self.instance_id = instance_id

    def rpc_ping(self, context):
        """Answer who and what this agent is (API 1.0)."""
        return rpc.ping_reply(SERVICE_NAME, RPC_API_VERSION,
                              instance_id=self.instance_id)
