"""The schedule runner over a fake clock, with fake backup start and
delete callables that record what they are asked and keep backup rows.
"""

import datetime

import pytest

from tests.unit import db_utils
from trove_lite.common import exception
from trove_lite.common import states
from trove_lite.db import api as db_api
from trove_lite.db import models
from trove_lite.db.repositories import backup_schedules as schedule_repo
from trove_lite.taskmanager import backup_schedules

PERIOD = datetime.timedelta(seconds=10)


@db_api.writer
def _set_states(context, old, new):
    context.session.query(models.Backup).filter(
        models.Backup.state == old).update({'state': new})


@db_api.writer
def _soft_delete(context, ids):
    context.session.query(models.Backup).filter(
        models.Backup.id.in_(ids)).update({'deleted': True})


@db_api.reader
def _live_backups(context):
    return context.session.query(models.Backup).filter(
        models.Backup.deleted.is_(False)).order_by(
        models.Backup.created).all()


@db_api.reader
def _children(context, backup_id):
    return [row.id for row in context.session.query(models.Backup).filter(
        models.Backup.parent_id == backup_id,
        models.Backup.deleted.is_(False))]


class FakeBackups:
    """What the backups repository and its workflows would do, in rows.

    :ivar fail: ``{instance id: exception}`` ``start_backup`` raises.
    """

    def __init__(self, ctx, clock):
        self.ctx = ctx
        self.clock = clock
        self.started = []
        self.deleted = []
        self.fail = {}

    def start_backup(self, context, schedule, name, parent_id):
        self.started.append((context.project_id, context.is_admin,
                             schedule.id, name, parent_id))
        if schedule.instance_id in self.fail:
            raise self.fail[schedule.instance_id]
        return db_utils.add_backup(
            self.ctx, schedule.instance_id, schedule_id=schedule.id,
            parent_id=parent_id, created=self.clock(),
            tenant_id=context.project_id, name=name)

    def start_delete(self, context, backup_id):
        self.deleted.append((context.project_id, backup_id))
        ids = [backup_id]
        for backup in ids:
            ids.extend(_children(self.ctx, backup))
        _soft_delete(self.ctx, ids)
        return ids

    def finish_all(self):
        """Every running backup completes."""
        _set_states(self.ctx, states.BACKUP_NEW.name,
                    states.BACKUP_COMPLETED.name)


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def tick(self, delta=PERIOD):
        self.now += delta


@pytest.fixture
def schedule(ctx):
    return schedule_repo.create(ctx, 'i1', 'p1', 'nightly', '@every 10s', 3)


@pytest.fixture
def clock(schedule):
    return Clock(schedule.next_run)


@pytest.fixture
def backups(ctx, clock):
    return FakeBackups(ctx, clock)


@pytest.fixture
def runner(backups, clock):
    return backup_schedules.ScheduleRunner(
        backups.start_backup, backups.start_delete, clock=clock)


def test_a_due_schedule_starts_one_backup_in_its_project(
        ctx, schedule, clock, backups, runner):
    runner.run_once()
    runner.run_once()  # the same moment: already claimed
    [(project, is_admin, schedule_id, name, parent)] = backups.started
    assert (project, is_admin, schedule_id, parent) == (
        'p1', False, schedule.id, None)
    assert name == 'nightly-' + clock.now.strftime('%Y%m%dT%H%M%SZ')
    [backup] = _live_backups(ctx)
    assert (backup.name, backup.schedule_id) == (name, schedule.id)
    row = schedule_repo.get(ctx, schedule.id, 'i1')
    assert (row.last_run, row.last_backup_id) == (clock.now, backup.id)
    assert row.next_run == clock.now + PERIOD


def test_retention_leaves_exactly_the_newest_keep(ctx, schedule, clock,
                                                  backups, runner):
    for _ in range(6):
        runner.run_once()
        backups.finish_all()
        clock.tick()
    assert len(backups.started) == 6
    runner.run_once()  # a run, and the prune of the one just completed
    backups.finish_all()
    runner.run_once()  # the same moment: a prune only
    assert len(backups.started) == 7
    live = _live_backups(ctx)
    assert len(live) == 3
    names = [started[3] for started in backups.started]
    assert [row.name for row in live] == names[-3:]
    assert {backup_id for _, backup_id in backups.deleted} == {
        row.id for row in _all_backups(ctx) if row.deleted}
    assert all(project == 'p1' for project, _ in backups.deleted)


@db_api.reader
def _all_backups(context):
    return context.session.query(models.Backup).all()


def test_an_incremental_schedule_chains_and_starts_a_new_full(
        ctx, clock, backups, runner):
    schedule = schedule_repo.create(ctx, 'i2', 'p1', 'inc', '@every 10s', 2,
                                    incremental=True)
    clock.now = schedule.next_run
    parents = []
    for _ in range(5):
        before = len(backups.started)
        runner.run_once()
        backups.finish_all()
        parents.extend(started[4] for started in backups.started[before:]
                       if started[2] == schedule.id)
        clock.tick()
    live = [row for row in _live_backups(ctx)
            if row.schedule_id == schedule.id]
    by_id = {row.id: row for row in _all_backups(ctx)}
    # full, inc, full, inc, full: each chain holds keep=2 backups.
    assert [parent is None for parent in parents] == [
        True, False, True, False, True]
    # Never a kept backup whose parent is gone.
    for row in live:
        assert row.parent_id is None or not by_id[row.parent_id].deleted


def test_a_busy_instance_skips_the_run_and_the_others_go_on(
        ctx, schedule, clock, backups, runner):
    other = schedule_repo.create(ctx, 'i2', 'p2', 'other', '@every 10s', 3)
    broken = schedule_repo.create(ctx, 'i3', 'p3', 'broken', '@every 10s', 3)
    clock.now = max(other.next_run, broken.next_run)
    backups.fail['i1'] = exception.InstanceNotAvailable(task='BACKUP')
    backups.fail['i3'] = RuntimeError('boom')
    runner.run_once()
    assert sorted(started[2] for started in backups.started) == sorted(
        [schedule.id, other.id, broken.id])
    assert [row.instance_id for row in _live_backups(ctx)] == ['i2']
    skipped = schedule_repo.get(ctx, schedule.id, 'i1')
    assert skipped.last_backup_id is None
    assert skipped.next_run == clock.now + PERIOD  # this period is gone
    # The next period, no longer busy, it runs.
    del backups.fail['i1']
    clock.tick()
    runner.run_once()
    assert schedule_repo.get(ctx, schedule.id, 'i1').last_backup_id


@pytest.mark.parametrize('error', [
    exception.InstanceBusy(uuid='i1'),
    exception.ResourceNotAvailable(kind='instance', task='BACKUP'),
    exception.QuotaExceeded(),
])
def test_refusals_skip_the_run_and_keep_the_schedule(ctx, schedule, backups,
                                                     runner, error):
    backups.fail['i1'] = error
    runner.run_once()
    assert len(backups.started) == 1
    assert schedule_repo.get(ctx, schedule.id, 'i1').last_run is None


def test_a_deleted_instance_ends_its_schedule(ctx, schedule, backups,
                                              runner):
    backups.fail['i1'] = exception.InstanceNotFound(uuid='i1')
    runner.run_once()
    with pytest.raises(exception.BackupScheduleNotFound):
        schedule_repo.get(ctx, schedule.id, 'i1')


def test_a_delete_that_fails_is_left_for_the_next_round(
        ctx, schedule, clock, backups, runner, monkeypatch):
    for _ in range(4):
        runner.run_once()
        backups.finish_all()
        clock.tick()
    oldest = _live_backups(ctx)[0].id
    refused = []

    def refuse(context, backup_id):
        refused.append(backup_id)
        raise exception.BackupNotFound(uuid=backup_id)

    monkeypatch.setattr(runner, 'start_delete', refuse)
    assert runner.prune(ctx) == []
    assert refused == [oldest]
    monkeypatch.undo()
    assert runner.prune(ctx) == [oldest]


def test_a_deleted_schedule_leaves_its_backups(ctx, schedule, clock, backups,
                                               runner):
    for _ in range(5):
        runner.run_once()
        backups.finish_all()
        clock.tick()
    schedule_repo.delete(ctx, schedule.id, 'i1')
    before = [row.id for row in _live_backups(ctx)]
    runner.run_once()
    assert [row.id for row in _live_backups(ctx)] == before


def test_the_runner_polls_every_schedule_poll_interval(runner, override):
    override('schedule_poll_interval', 7, group='backup')
    assert runner.interval() == 7
    assert runner.name == 'backup-schedules'


def test_backup_names_fit_the_column():
    row = models.BackupSchedule(name='n' * 255)
    name = backup_schedules.backup_name(
        row, datetime.datetime(2026, 3, 10, 12, 0, 5))
    assert len(name) == backup_schedules.NAME_LENGTH
    assert name.endswith('n-20260310T120005Z')
