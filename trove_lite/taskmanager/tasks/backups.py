"""Tasks of the backup workflows: describe a backup for its guest, cast
it, wait for the guest's outcome, remove stored backups.

The taskmanager never streams a backup itself: the guest agent does, and
the conductor applies what it reports (``db/repositories/backup_reports``).
What the taskmanager adds is what the guest must not be trusted with or
cannot know: where to store (a Swift token for the one operation, never
credentials), the parent's metadata, and watching that an outcome comes.
"""

import json
import time

from oslo_config import cfg
from oslo_log import log as logging
from taskflow import task

from trove_lite.common import backup_storage
from trove_lite.common import exception
from trove_lite.common import states
from trove_lite.common import status_events
from trove_lite.db.repositories import backup_reports
from trove_lite.db.repositories import backups as backup_repo
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import resource_locks
from trove_lite.db import resource_kinds
from trove_lite.guestagent import storage as storage_plugins
from trove_lite.taskmanager.tasks import guest

LOG = logging.getLogger(__name__)

BACKUP = resource_kinds.BACKUP

DONE = 'done'
LOST = 'lost'
INTERRUPTED = 'interrupted'

_ENDED = frozenset([states.BACKUP_COMPLETED.code, states.BACKUP_FAILED.code])


def metadata_of(row):
    """What the strategy recorded with a backup (``{}`` for none)."""
    try:
        return json.loads(row.strategy_metadata) if row.strategy_metadata \
            else {}
    except ValueError:
        return {}


def storage_for(context, row, container=None, auth_token=None):
    """The ``storage`` description a guest (or this process) uses for
    backup ``row``: its own driver, with a token for one operation.
    """
    if auth_token and not getattr(context, 'auth_token', None):
        # NOTE(swift): a recorded workflow's context keeps no token; the
        # API stored the user's (encrypted) with the workflow's arguments.
        values = context.to_dict()
        values['auth_token'] = auth_token
        context = type(context).from_dict(values)
    return backup_storage.describe(context, driver=row.storage_driver,
                                   container=container)


def restore_info(context, backup_id, auth_token=None):
    """What a guest's ``prepare`` restores from: every backup of the
    chain ending at ``backup_id``, with where each is stored.
    """
    row = backup_repo.find(context, backup_id)
    if row is None:
        raise exception.BackupNotFound(uuid=backup_id)
    return {'chain': [
        {'id': item.id, 'location': item.location,
         'checksum': item.checksum,
         'size': int(round((item.size or 0) * backup_reports.GB)),
         'backup_type': item.backup_type, 'metadata': metadata_of(item),
         'storage': storage_for(context, item, auth_token=auth_token)}
        for item in backup_repo.chain(context, row)]}


def backup_info(context, row, container=None, auth_token=None):
    """What the guest's ``create_backup`` is asked to do."""
    parent = None
    if row.parent_id:
        parent_row = backup_repo.find(context, row.parent_id)
        if parent_row is None:
            raise exception.BackupNotFound(uuid=row.parent_id)
        parent = {'id': parent_row.id, 'location': parent_row.location,
                  'checksum': parent_row.checksum,
                  'metadata': metadata_of(parent_row)}
    return {'id': row.id, 'instance_id': row.instance_id,
            'backup_type': row.backup_type or 'full',
            'storage': storage_for(context, row, container, auth_token),
            'parent': parent}


class LoadRestoreInfo(task.Task):
    """The chain a create restores from (None when it restores nothing).

    :raises BackupNotFound: a backup of the chain is gone (deleted since
        the API accepted the create); the build fails with that reason.
    """

    default_provides = 'restore_info'

    def execute(self, context, backup_id=None, auth_token=None):
        if not backup_id:
            return None
        return restore_info(context, backup_id, auth_token)


class MarkBackupFailedOnRevert(task.Task):
    """First task: on revert, FAILED with a fault (if this flow still
    holds the backup).
    """

    MESSAGE = 'The backup could not be started: %s'

    def execute(self):
        pass

    def revert(self, context, backup_id, holder, flow_failures=None,
               **kwargs):
        failure = next(iter((flow_failures or {}).values()), None)
        reason = str(failure.exception) if failure is not None else \
            'unknown error'
        if resource_locks.finish(context, BACKUP, backup_id,
                                 'backup_failed', holder):
            resource_locks.add_fault(
                context, BACKUP, backup_id, self.MESSAGE % reason,
                failure.pformat(traceback=True) if failure else '')
            LOG.error('Backup %s failed: %s', backup_id, reason)


class SendBackup(task.Task):
    """Ask the instance's guest to take the backup (a cast), unless it
    has already started it (a resumed flow).
    """

    default_provides = 'backup_request'

    def execute(self, context, backup_id, arguments):
        row = backup_repo.find(context, backup_id)
        if row is None:
            return None
        request = backup_info(context, row, arguments.get('swift_container'),
                              arguments.get('auth_token'))
        if row.state == states.BACKUP_NEW.code:
            send(context, row.instance_id, request)
        return request


def _resend_interval():
    """Seconds before a cast the guest has not confirmed is sent again
    (the one a create's ``prepare`` waits).
    """
    return cfg.CONF.taskmanager.prepare_resend_interval


def send(context, instance_id, request):
    instance = instances.get(context, instance_id)
    guest.guest_api(context, instance.id).create_backup(request)


class WaitForBackup(task.Task):
    """Wait until the guest's outcome is stored (the conductor applies
    it and wakes this flow through ``status_events``), resending the cast
    while the guest has not confirmed it started.

    :returns: DONE (COMPLETED or FAILED: the row says which), LOST (the
        backup was taken over or is gone), or INTERRUPTED (the
        taskmanager stops; the workflow is resumed by the next one).
    """

    default_provides = 'backup_outcome'
    poll_interval = None

    def execute(self, context, backup_id, holder, backup_request,
                stop_event=None):
        interval = (self.poll_interval if self.poll_interval is not None
                    else cfg.CONF.taskmanager.status_poll_interval)
        resend_every = _resend_interval()
        resend_due = time.monotonic() + resend_every
        row = backup_repo.find(context, backup_id)
        if row is None:
            return LOST
        with status_events.watching(row.instance_id) as changed:
            while True:
                changed.clear()
                row = backup_repo.find(context, backup_id)
                if row is None:
                    return LOST
                if row.state in _ENDED:
                    LOG.info('Backup %s ended %s', backup_id, row.state)
                    return DONE
                if row.lock_holder != holder:
                    return LOST
                if (row.state == states.BACKUP_NEW.code and backup_request
                        and time.monotonic() >= resend_due):
                    LOG.warning('Backup %s: the guest has not started it '
                                '%.0f s after it was asked; asking again',
                                backup_id, resend_every)
                    try:
                        send(context, row.instance_id, backup_request)
                    except Exception as err:
                        LOG.warning('Backup %s: could not ask again (%s)',
                                    backup_id, err)
                    resend_due = time.monotonic() + resend_every
                if stop_event is not None and stop_event.is_set():
                    return INTERRUPTED
                changed.wait(interval)


class StopRunningBackups(task.Task):
    """Tell the guests of the backups that were still being taken to stop
    (they remove what they stored), and wait until each guest says it
    is done with its backup, for at most ``[backup] abort_grace``
    seconds: its last report may name an object it stored anyway, which
    ``DeleteStoredBackups`` then removes.
    """

    poll_interval = None

    def execute(self, context, holder, running, stop_event=None):
        if not running:
            return
        pending = {}
        for backup_id in running:
            row = backup_repo.find(context, backup_id)
            if row is None or row.lock_holder != holder:
                continue
            try:
                instance = instances.get(context, row.instance_id)
                guest.guest_api(context, instance.id).abort_backup(backup_id)
            except Exception as err:
                # NOTE(backups): a guest that is gone stores nothing more.
                LOG.info('Backup %s: not telling its guest to stop (%s)',
                         backup_id, err)
                continue
            pending[backup_id] = row.instance_id
        interval = (self.poll_interval if self.poll_interval is not None
                    else cfg.CONF.taskmanager.status_poll_interval)
        deadline = time.monotonic() + cfg.CONF.backup.abort_grace
        while pending and time.monotonic() < deadline:
            for backup_id in list(pending):
                row = backup_repo.find(context, backup_id)
                if row is None or row.backup_timestamp is not None:
                    del pending[backup_id]
            if not pending or (stop_event is not None and
                               stop_event.is_set()):
                break
            with status_events.watching(next(iter(pending.values()))) as \
                    changed:
                changed.wait(interval)
        for backup_id in pending:
            LOG.warning('Backup %s: its guest did not confirm it stopped '
                        'within %s s; deleting anyway', backup_id,
                        cfg.CONF.backup.abort_grace)


class DeleteStoredBackups(task.Task):
    """Remove each backup's stored object, then its row (children before
    their parents); a backend that refuses leaves that backup and the
    rest in DELETE_FAILED with the reason, to be deleted again later.
    """

    FAILED = ('The backup could not be removed from its storage: %s. '
              'Delete it again later.')

    def execute(self, context, holder, ids):
        for index, backup_id in enumerate(ids):
            row = backup_repo.find(context, backup_id)
            if row is None or row.lock_holder != holder:
                continue
            try:
                if row.location:
                    storage = storage_plugins.load(
                        storage_for(context, row))
                    storage.delete(row.location)
            except Exception as err:
                LOG.warning('Backup %s: cannot remove %s: %s', backup_id,
                            row.location, err)
                for left in ids[index:]:
                    if resource_locks.finish(context, BACKUP, left,
                                             'delete_failed', holder):
                        resource_locks.add_fault(
                            context, BACKUP, left, self.FAILED % err,
                            '%s: %s' % (type(err).__name__, err))
                return
            backup_repo.mark_deleted(context, backup_id)
            LOG.info('Backup %s deleted', backup_id)


def hand_over_all(context, resource_id, holder, new_holder):
    """``job.take_lock``'s hand-over for a delete that holds several
    backups (a backup and its incremental children) under one holder.
    """
    return backup_reports.hand_over_all(context, holder, new_holder) > 0


def claim_backup(context, backup_id, holder, task_):
    return resource_locks.claim(context, BACKUP, backup_id, holder, task_)


def hand_over_backup(context, backup_id, holder, new_holder):
    return resource_locks.hand_over(context, BACKUP, backup_id, holder,
                                    new_holder)
