"""Take a backup (the API created the row in NEW and holds its lock).

::

    MarkBackupFailedOnRevert  revert: FAILED + fault
    SendBackup                guest: create_backup (a cast), unless it
                              has started already
    WaitForBackup             until the guest's outcome is stored

The guest streams the backup and reports BUILDING, then COMPLETED or
FAILED, to the conductor, which applies it and releases the lock: the
flow only makes sure an outcome comes. One that never does is settled by
the conductor: its reconcilers fail a backup whose guest went silent or
whose instance was deleted, and the backup's deadline fails the rest. The
instance shows BACKUP while the backup runs (``states.api_status``).

A resumed flow asks again only while the guest has not confirmed the
start; the guest ignores a backup it is already taking.
"""

from oslo_log import log as logging

from trove_lite.common import states
from trove_lite.taskmanager.flows import common
from trove_lite.taskmanager.tasks import backups

LOG = logging.getLogger(__name__)


def get_flow():
    flow = common.linear_flow('create-backup')
    flow.add(backups.MarkBackupFailedOnRevert(),
             backups.SendBackup(),
             backups.WaitForBackup())
    return flow


def run_job(job, stop_event=None):
    """Take the backup of a recorded workflow (first run or resumed).

    :param job: the ``workflows.Job``; its holder is the API's lock and
        its arguments ``swift_container`` (and ``auth_token`` for Swift
        behind Keystone).
    :returns: as ``common.run_flow``.
    """
    backup_id = job.resource_id
    holder = job.take_lock((backups.claim_backup, backups.hand_over_backup),
                           states.BACKUP_NEW)
    if holder is None:
        LOG.info('Backup %s: no longer held by this workflow (it ended or '
                 'was taken over); nothing to do', backup_id)
        return False
    LOG.info('Backup %s runs as %s%s', backup_id, holder,
             ' (resumed)' if job.resumed else '')
    store = {'context': job.context, 'backup_id': backup_id,
             'holder': holder, 'arguments': job.arguments,
             'stop_event': stop_event}
    return common.run_flow(get_flow(), store, 'Backup', backup_id, job=job)
