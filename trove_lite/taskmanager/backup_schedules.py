"""Running backup schedules: every taskmanager looks, one runs each.

Every ``[backup] schedule_poll_interval`` seconds each taskmanager's
``ScheduleRunner`` claims the schedules that are due
(``backup_schedules.claim_due``: a conditional UPDATE of ``next_run``, so
exactly one taskmanager wins each run however many look), starts a backup
of each in the schedule's project and records it on the schedule. Then it
applies retention: for every schedule with more backups than it keeps,
it deletes what ``backup_schedules.prune_candidates`` picks, oldest
first, which never breaks an incremental chain.

Starting and deleting a backup are what the backup API does (a quota
check, the backup's row and its workflow in one transaction), except
that the workflow runs on this taskmanager instead of a cast waking one;
the runner gets them as callables from the
process that wires it (``cmd/taskmanager.py``), so that it depends on
none of that code:

``start_backup(context, schedule, name, parent_id)``
    starts a backup of ``schedule.instance_id`` named ``name`` with
    ``schedule_id`` set, incremental from ``parent_id`` (a full one when
    None); returns the new backup's id, or None when it started none.
    Raises a ``TroveLiteError`` when the backup cannot start: a busy
    instance (``Conflict`` or ``UnprocessableEntity``) skips this run, a
    deleted one (``InstanceNotFound``) ends the schedule.
``start_delete(context, backup_id)``
    starts deleting a backup (with its incremental children); returns the
    ids it is deleting, or None.

A run that fails is logged and costs that schedule this period; it never
stops the runner nor the other schedules. A run missed while no
taskmanager ran is made up once, not once per missed period.
"""

from oslo_config import cfg
from oslo_log import log as logging

from trove_lite.common import context as context_module
from trove_lite.common import exception
from trove_lite.common import service
from trove_lite.db import models
from trove_lite.db.repositories import backup_schedules as schedule_repo

LOG = logging.getLogger(__name__)

# Schedules one round claims at most; the rest wait for the next round.
BATCH = 50
# The longest backup name (backups.name).
NAME_LENGTH = 255


def project_context(project_id):
    """The context a schedule acts in: a member of its project, with no
    user and no token, so that quotas and lookups are the project's.
    """
    return context_module.RequestContext(
        user_id=None, project_id=project_id, is_admin=False,
        roles=['member', 'reader'], overwrite=False)


def backup_name(schedule, moment):
    """``<schedule name>-<UTC time of the run>``, within the column."""
    suffix = '-' + moment.strftime('%Y%m%dT%H%M%SZ')
    return schedule.name[:NAME_LENGTH - len(suffix)] + suffix


class ScheduleRunner(service.PeriodicService):
    """Runs due backup schedules and their retention, periodically.

    :param start_backup: see the module docstring.
    :param start_delete: see the module docstring.
    :param clock: returns naive UTC now (tests pass a fake one).
    """

    def __init__(self, start_backup, start_delete, clock=models.utcnow):
        super().__init__('backup-schedules')
        self.start_backup = start_backup
        self.start_delete = start_delete
        self.clock = clock

    def interval(self):
        return cfg.CONF.backup.schedule_poll_interval

    def run_once(self):
        """Run what is due, then prune; logs what fails, never raises."""
        admin = context_module.get_admin_context()
        for action in (self.run_due, self.prune):
            try:
                action(admin)
            except Exception:
                # NOTE(schedules): a database hiccup; the next round tries
                # again, and a claimed run is skipped, not repeated.
                LOG.exception('Backup schedules: %s failed',
                              action.__name__)

    # -- runs -----------------------------------------------------------

    def run_due(self, admin):
        """Claim the due schedules and start a backup of each.

        :returns: ``{schedule id: backup id or None}`` of the runs this
            taskmanager claimed.
        """
        now = self.clock()
        started = {}
        for schedule in schedule_repo.claim_due(admin, now, BATCH):
            started[schedule.id] = self.run_schedule(admin, schedule, now)
        return started

    def run_schedule(self, admin, schedule, now):
        """Start the backup of one claimed run.

        :returns: the backup's id, or None when none started.
        """
        try:
            parent_id = schedule_repo.chain_parent(admin, schedule)
            backup_id = self.start_backup(
                project_context(schedule.tenant_id), schedule,
                backup_name(schedule, now), parent_id)
        except exception.InstanceNotFound:
            LOG.info('Backup schedule %s: instance %s is gone; deleting '
                     'the schedule', schedule.id, schedule.instance_id)
            self._forget(admin, schedule)
            return None
        except (exception.Conflict, exception.UnprocessableEntity) as error:
            LOG.info('Backup schedule %s: instance %s is busy, skipping '
                     'this run (%s)', schedule.id, schedule.instance_id,
                     error)
            return None
        except exception.TroveLiteError as error:
            LOG.warning('Backup schedule %s: no backup of instance %s this '
                        'run: %s', schedule.id, schedule.instance_id, error)
            return None
        except Exception:
            LOG.exception('Backup schedule %s: starting a backup of '
                          'instance %s failed', schedule.id,
                          schedule.instance_id)
            return None
        if backup_id is not None:
            LOG.info('Backup schedule %s: started backup %s of instance %s',
                     schedule.id, backup_id, schedule.instance_id)
            schedule_repo.record_run(admin, schedule.id, backup_id, now)
        return backup_id

    @staticmethod
    def _forget(admin, schedule):
        try:
            schedule_repo.delete(admin, schedule.id, schedule.instance_id)
        except exception.BackupScheduleNotFound:
            pass  # deleted meanwhile: what we wanted

    # -- retention --------------------------------------------------------

    def prune(self, admin):
        """Delete what retention picks, for every schedule over its
        ``keep``.

        :returns: the ids of the backups this round started deleting.
        """
        deleting = []
        for schedule in schedule_repo.over_keep(admin):
            try:
                deleting.extend(self.prune_schedule(admin, schedule))
            except Exception:
                LOG.exception('Backup schedule %s: retention failed',
                              schedule.id)
        return deleting

    def prune_schedule(self, admin, schedule):
        """Start deleting the schedule's prune candidates, oldest first.

        A candidate that its parent's delete took along is not deleted
        twice. One that fails to start is logged and left for the next
        round.

        :returns: the ids being deleted.
        """
        context = project_context(schedule.tenant_id)
        deleting = set()
        for backup in schedule_repo.prune_candidates(admin, schedule):
            if backup.id in deleting:
                continue
            try:
                ids = self.start_delete(context, backup.id)
            except exception.TroveLiteError as error:
                # NOTE(schedules): most often another taskmanager's
                # retention started this delete first.
                LOG.info('Backup schedule %s: backup %s not deleted: %s',
                         schedule.id, backup.id, error)
                continue
            deleting.update(ids or [backup.id])
            LOG.info('Backup schedule %s: deleting backup %s (retention '
                     'keeps %d)', schedule.id, backup.id, schedule.keep)
        return sorted(deleting)
