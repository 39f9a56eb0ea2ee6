"""Server side of the conductor RPC API.

Each public method of ``Manager`` is an RPC method of the conductor topic.
For now the manager only answers ``rpc_ping``; the guest reports
(heartbeat, update_backup, report_root, notify_*) and the reconcilers that
expire stuck states arrive with later work.
"""

import oslo_messaging

from trove_lite.common import rpc

# NOTE(versions): must equal rpcapi.ConductorAPI.RPC_API_VERSION; the
# version history lives in that class's docstring.
RPC_API_VERSION = '1.1'
SERVICE_NAME = 'conductor'


class Manager:
    """The conductor's RPC endpoint."""

    target = oslo_messaging.Target(version=RPC_API_VERSION)

    def rpc_ping(self, context):
        """Answer who and what this conductor is (API 1.0)."""
        return rpc.ping_reply(SERVICE_NAME, RPC_API_VERSION)
