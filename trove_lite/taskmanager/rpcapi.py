"""Client side of the taskmanager RPC API.

The API and the conductor ask the taskmanager to run workflows through
``TaskManagerAPI``; nothing else puts messages on the taskmanager topic.
Every method names the version it needs, so that during a rolling upgrade
``[upgrade_levels] taskmanager`` can cap what new senders emit to what the
oldest taskmanager on the bus understands.
"""

from oslo_log import log as logging

from trove_lite.common import rpc
from trove_lite import conf

CONF = conf.CONF
LOG = logging.getLogger(__name__)


class TaskManagerAPI(rpc.ServiceClient):
    """Client side of the taskmanager RPC API.

    API version history:

    |    1.0 - Initial version: rpc_ping.
    |    1.1 - create_instance, delete_instance, restart.
    |    1.2 - create_instance, delete_instance and restart take
    |          ``notification``: the operation notification the flow ends.
    |    1.3 - delete_instance and restart take ``holder``: the lock
    |          holder the API's test-and-set recorded, which the flow
    |          takes over and checks.
    |    1.4 - status_changed (a fanout cast from the conductor).
    |    1.5 - create_instance, delete_instance and restart take
    |          ``workflow_id``: the workflow the API recorded with the
    |          change (``db.repositories.workflows``); the taskmanager
    |          claims that record and reads the other arguments from it.
    |    1.6 - create_backup, delete_backup: wake-ups for the backup
    |          workflows the API recorded (``db.repositories.backups``).
    |    1.7 - promote_to_replica_source, eject_replica_source,
    |          detach_replica: wake-ups for the replication workflows the
    |          API recorded (``db.repositories.replication``).
    |    1.8 - resize_volume, resize_flavor: wake-ups for the resize
    |          workflows the API recorded.
    |    1.9 - update_access: a wake-up for the change of an instance's
    |          access the API recorded.
    |    1.10 - upgrade: the wake-up for a datastore version upgrade the
    |          API recorded.

    Bump ``RPC_API_VERSION`` (here and in ``manager.Manager``) for every
    change, add the new version to this history, and send new or changed
    methods with that version; a method that an old server would not
    understand checks ``can_send_version`` first.
    """

    # NOTE(versions): must equal manager.RPC_API_VERSION.
    RPC_API_VERSION = '1.10'
    SERVICE_NAME = 'taskmanager'

    def __init__(self, topic=None):
        super().__init__(topic or CONF.taskmanager_queue)

    def _cast(self, context, method, notification, holder=None,
              workflow_id=None, **kwargs):
        """Cast ``method`` (API 1.1), with ``notification`` at 1.2,
        ``holder`` at 1.3 and ``workflow_id`` at 1.5.

        NOTE(upgrade): a taskmanager older than 1.2 does not take
        ``notification``; it then does the work without sending the
        operation's end (nothing else changes). Without a notification
        (notifications off) the message is the 1.1 one. A taskmanager
        older than 1.3 gets no ``holder``: it acts for whoever the row
        names as holder, as it always did. One older than 1.5 gets no
        ``workflow_id`` and runs the flow from the cast's arguments; the
        record stays until a newer taskmanager finds the operation done
        (or does it, when the old one did not).
        """
        if workflow_id is not None and self.client.can_send_version('1.5'):
            cctxt = rpc.prepare(self.client, '1.5')
            kwargs['workflow_id'] = workflow_id
            if holder is not None:
                kwargs['holder'] = holder
            if notification is not None:
                kwargs['notification'] = notification
        elif holder is not None and self.client.can_send_version('1.3'):
            cctxt = rpc.prepare(self.client, '1.3')
            kwargs['holder'] = holder
            if notification is not None:
                kwargs['notification'] = notification
        elif notification is not None and \
                self.client.can_send_version('1.2'):
            cctxt = rpc.prepare(self.client, '1.2')
            kwargs['notification'] = notification
        else:
            cctxt = rpc.prepare(self.client, '1.1')
        rpc.cast(cctxt, context, method, **kwargs)

    def create_instance(self, context, instance_id, databases, users,
                        root_password, notification=None, workflow_id=None):
        """Build the instance whose row the API created in BUILDING.

        :param notification: the started ``dbaas.instance_create``
            (``Operation.hand_off()``), ended by the flow.
        :param workflow_id: the workflow the API recorded with the row
            (1.5); the secrets (the initial users' and root's passwords)
            are in it, encrypted, and not sent again.
        """
        if workflow_id is not None and self.client.can_send_version('1.5'):
            databases = users = root_password = None
        self._cast(context, 'create_instance', notification,
                   workflow_id=workflow_id, instance_id=instance_id,
                   databases=databases, users=users,
                   root_password=root_password)

    def delete_instance(self, context, instance_id, notification=None,
                        holder=None, workflow_id=None):
        """Delete the instance (the API has set DELETING and the lock).

        :param notification: the started ``dbaas.instance_delete``.
        :param holder: the lock holder the API recorded.
        :param workflow_id: the workflow the API recorded (1.5).
        """
        self._cast(context, 'delete_instance', notification, holder=holder,
                   workflow_id=workflow_id, instance_id=instance_id)

    def restart(self, context, instance_id, notification=None, holder=None,
                workflow_id=None):
        """Restart the datastore (the API has set REBOOTING and the lock).

        :param notification: the started ``dbaas.instance_restart``.
        :param holder: the lock holder the API recorded.
        :param workflow_id: the workflow the API recorded (1.5).
        """
        self._cast(context, 'restart', notification, holder=holder,
                   workflow_id=workflow_id, instance_id=instance_id)

    def status_changed(self, context, instance_id):
        """Tell every taskmanager that a report changed an instance's
        stored status, so a workflow waiting for it looks at once (API
        1.4, a fanout cast).

        NOTE(upgrade): not sent while ``[upgrade_levels] taskmanager`` caps
        below 1.4: an older taskmanager would refuse it, and its waiting
        workflows poll the database anyway.
        """
        if not self.client.can_send_version('1.4'):
            return
        cctxt = rpc.prepare(self.client, '1.4', fanout=True)
        rpc.cast(cctxt, context, 'status_changed', instance_id=instance_id)

    def _cast_backup(self, context, method, backup_id, workflow_id):
        """Wake a taskmanager for a recorded backup workflow (API 1.6).

        NOTE(upgrade): a taskmanager older than 1.6 has no backup
        workflows; while ``[upgrade_levels] taskmanager`` caps below 1.6
        nothing is sent, and the record waits for a taskmanager that runs
        them to claim it (the record, not the cast, is the work).
        """
        if not self.client.can_send_version('1.6'):
            LOG.info('Not casting %s of backup %s: the taskmanager API is '
                     'capped below 1.6; workflow %s waits to be claimed',
                     method, backup_id, workflow_id)
            return
        cctxt = rpc.prepare(self.client, '1.6')
        rpc.cast(cctxt, context, method, backup_id=backup_id,
                 workflow_id=workflow_id)

    def create_backup(self, context, backup_id, workflow_id):
        """Take the backup whose row the API created in NEW.

        :param workflow_id: the ``create`` workflow recorded with the row;
            its arguments (the Swift container) and holder are in it.
        """
        self._cast_backup(context, 'create_backup', backup_id, workflow_id)

    def delete_backup(self, context, backup_id, workflow_id):
        """Delete the backup and its incremental children, which the API
        has moved to DELETING.

        :param workflow_id: the ``delete`` workflow; its arguments name
            the backups, children first.
        """
        self._cast_backup(context, 'delete_backup', backup_id, workflow_id)

    def _cast_recorded(self, context, method, instance_id, workflow_id,
                       version='1.7'):
        """Wake a taskmanager for a recorded replication workflow (API
        1.7; the holder and the notification are in the record), or
        another recorded workflow of an instance that arrived in
        ``version``.

        NOTE(upgrade): nothing is sent while ``[upgrade_levels]
        taskmanager`` caps below ``version``; the record waits for a
        taskmanager that runs such workflows to claim it.
        """
        if not self.client.can_send_version(version):
            LOG.info('Not casting %s of instance %s: the taskmanager API '
                     'is capped below %s; workflow %s waits to be claimed',
                     method, instance_id, version, workflow_id)
            return
        cctxt = rpc.prepare(self.client, version)
        rpc.cast(cctxt, context, method, instance_id=instance_id,
                 workflow_id=workflow_id)

    def update_access(self, context, instance_id, notification=None,
                      holder=None, workflow_id=None):
        """Change who may reach the instance (the API set UPDATING; the
        holder and the requested access are in the record).
        """
        self._cast_recorded(context, 'update_access', instance_id, workflow_id,
                            version='1.9')

    def promote_to_replica_source(self, context, instance_id,
                                  notification=None, holder=None,
                                  workflow_id=None):
        """Promote the replica (the API locked its group for it)."""
        self._cast_recorded(context, 'promote_to_replica_source',
                            instance_id, workflow_id)

    def eject_replica_source(self, context, instance_id, notification=None,
                             holder=None, workflow_id=None):
        """Replace the lost source ``instance_id`` by its most advanced
        replica (the API locked the group for it).
        """
        self._cast_recorded(context, 'eject_replica_source', instance_id,
                            workflow_id)

    def detach_replica(self, context, instance_id, notification=None,
                       holder=None, workflow_id=None):
        """Make the replica a standalone instance (the API set
        DETACHING).
        """
        self._cast_recorded(context, 'detach_replica', instance_id,
                            workflow_id)

    def resize_volume(self, context, instance_id, notification=None,
                      holder=None, workflow_id=None):
        """Grow the instance's volume (the API set RESIZING; API 1.8)."""
        self._cast_recorded(context, 'resize_volume', instance_id,
                            workflow_id, version='1.8')

    def resize_flavor(self, context, instance_id, notification=None,
                      holder=None, workflow_id=None):
        """Change the instance's flavor (the API set RESIZING; API
        1.8).
        """
        self._cast_recorded(context, 'resize_flavor', instance_id,
                            workflow_id, version='1.8')

    def upgrade(self, context, instance_id, notification=None, holder=None,
                workflow_id=None):
        """Upgrade the datastore version of the instance the API set
        UPGRADING (API 1.10; the new version, the holder and the
        notification are in the record).
        """
        self._cast_recorded(context, 'upgrade', instance_id, workflow_id,
                            version='1.10')
