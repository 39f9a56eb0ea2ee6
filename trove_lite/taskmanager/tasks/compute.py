"""Tasks on the compute driver: the instance's server."""

from oslo_log import log as logging
from taskflow import task

from trove_lite.db.repositories import instances
from trove_lite.taskmanager.tasks import base

LOG = logging.getLogger(__name__)


class CreateServer(task.Task):
    """Create the instance's server and start its guest agent.

    Revert deletes the server (whatever part of it exists), so a failed
    create leaves nothing behind.

    :param driver: the ``ComputeDriver``.
    """

    default_provides = 'server'

    def __init__(self, driver, **kwargs):
        super().__init__(**kwargs)
        self.driver = driver

    def execute(self, context, instance_id, holder, instance, flavor,
                guest_info, guest_transport=None):
        if not instances.holds_lock(context, instance_id, holder):
            raise base.LockLost(uuid=instance_id)
        # NOTE(guest_broker): minimal hook until the taskmanager renders
        # guest_info.conf itself: the guest's own broker options travel to
        # the driver inside guest_info.
        guest_info = dict(guest_info, guest_transport=guest_transport)
        server = self.driver.create_server(context, instance, flavor,
                                           guest_info)
        # NOTE(locks): a delete that took the instance over while the
        # server was being made may have found nothing to delete; the
        # revert removes what we made.
        if not instances.holds_lock(context, instance_id, holder):
            raise base.LockLost(uuid=instance_id)
        return server

    def revert(self, context, instance, **kwargs):
        try:
            self.driver.delete_server(context, instance)
        except Exception:
            # NOTE(revert): a revert that raises stops the flow's revert
            # before the first task records the failure; log and go on.
            LOG.exception('Could not delete the server of instance %s',
                          instance.id)


class DeleteServer(task.Task):
    """Delete the instance's server, its processes, files and address."""

    def __init__(self, driver, **kwargs):
        super().__init__(**kwargs)
        self.driver = driver

    def execute(self, context, instance):
        self.driver.delete_server(context, instance)
