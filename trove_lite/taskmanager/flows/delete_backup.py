"""Delete a backup and its incremental children (the API set them all
DELETING under one lock holder).

::

    StopRunningBackups        the guests of backups still being taken
                              stop them (and remove what they stored)
    DeleteStoredBackups       each stored object, then its row, children
                              first; a refusing backend leaves the rest
                              DELETE_FAILED with the reason

Every step is safe to repeat (deleting what is already gone is no error),
so a resumed delete runs from the top. A delete that never ends is
settled by the backup's DELETING deadline (DELETE_FAILED, deletable
again).
"""

from oslo_log import log as logging

from trove_lite.common import states
from trove_lite.taskmanager.flows import common
from trove_lite.taskmanager.tasks import backups

LOG = logging.getLogger(__name__)


def get_flow():
    flow = common.linear_flow('delete-backup')
    flow.add(backups.StopRunningBackups(), backups.DeleteStoredBackups())
    return flow


def run_job(job, stop_event=None):
    """Delete the backups of a recorded workflow.

    :param job: the ``workflows.Job``; its arguments' ``ids`` list the
        backups, children before their parents.
    """
    backup_id = job.resource_id
    holder = job.take_lock((backups.claim_backup, backups.hand_over_all),
                           states.BACKUP_DELETING)
    if holder is None:
        LOG.info('Delete of backup %s: no longer held by this workflow; '
                 'nothing to do', backup_id)
        return False
    ids = job.arguments.get('ids') or [backup_id]
    store = {'context': job.context, 'backup_id': backup_id,
             'holder': holder, 'ids': ids,
             'running': job.arguments.get('running') or [],
             'stop_event': stop_event}
    return common.run_flow(get_flow(), store, 'Delete backup', backup_id,
                           job=job)
