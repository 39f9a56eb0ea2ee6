"""Tasks that decide what a new guest knows: its key and its files
(rendered by ``taskmanager.guest_files``).

They run before the server is made, so every compute driver boots the
same guest from the same files.
"""

from taskflow import task

from trove_lite.db.repositories import instances
from trove_lite.taskmanager import guest_files


class MakeInstanceKey(task.Task):
    """Make the instance's sealing key and store it (encrypted) on the row.

    The key stays with the row when the create fails: it is deleted with
    it, and a delete's last words to the guest are sealed with it.
    """

    default_provides = 'instance_key'

    def execute(self, context, instance_id):
        key = guest_files.new_instance_key()
        instances.set_key(context, instance_id, key)
        return key


class RenderGuestFiles(task.Task):
    """Render the files the guest's server gets (``guest_files``)."""

    default_provides = 'guest_files'

    def execute(self, instance_id, instance_key, guest_info,
                guest_transport=None):
        return guest_files.guest_files(instance_id, instance_key,
                                       guest_info, guest_transport)
