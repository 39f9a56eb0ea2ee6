"""Server side of the taskmanager RPC API.

Each public method of ``Manager`` is an RPC method of the taskmanager
topic. For now the manager only answers ``rpc_ping``; the workflows
(create, delete, resize, backups, replicas, clusters) arrive with later
work as flows under ``taskmanager/flows``, one module per operation, so
that this class stays a thin dispatcher.
"""

import oslo_messaging

from trove_lite.common import rpc

# NOTE(versions): must equal rpcapi.TaskManagerAPI.RPC_API_VERSION; the
# version history lives in that class's docstring.
RPC_API_VERSION = '1.1'
SERVICE_NAME = 'taskmanager'


class Manager:
    """The taskmanager's RPC endpoint."""

    target = oslo_messaging.Target(version=RPC_API_VERSION)

    def rpc_ping(self, context):
        """Answer who and what this taskmanager is (API 1.0)."""
        return rpc.ping_reply(SERVICE_NAME, RPC_API_VERSION)
