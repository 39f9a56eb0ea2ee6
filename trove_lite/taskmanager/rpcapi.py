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
    |    1.1 - create_instance, delete_instance, restart.

    Bump ``RPC_API_VERSION`` (here and in ``manager.Manager``) for every
    change, add the new version to this history, and send new or changed
    methods with that version; a method that an old server would not
    understand checks ``can_send_version`` first.
    """

    # NOTE(versions): must equal manager.RPC_API_VERSION.
    RPC_API_VERSION = '1.1'
    SERVICE_NAME = 'taskmanager'

    def __init__(self, topic=None):
        super().__init__(topic or CONF.taskmanager_queue)

    def create_instance(self, context, instance_id, databases, users,
                        root_password):
        """Build the instance whose row the API created in BUILDING.

        The secrets travel here, never through the infrastructure
        database: the initial databases and users (with passwords) and
        the root password, if one was asked for.
        """
        cctxt = rpc.prepare(self.client, '1.1')
        rpc.cast(cctxt, context, 'create_instance', instance_id=instance_id,
                 databases=databases, users=users,
                 root_password=root_password)

    def delete_instance(self, context, instance_id):
        """Delete the instance (the API has set DELETING and the lock)."""
        cctxt = rpc.prepare(self.client, '1.1')
        rpc.cast(cctxt, context, 'delete_instance', instance_id=instance_id)

    def restart(self, context, instance_id):
        """Restart the datastore (the API has set REBOOTING and the lock)."""
        cctxt = rpc.prepare(self.client, '1.1')
        rpc.cast(cctxt, context, 'restart', instance_id=instance_id)
