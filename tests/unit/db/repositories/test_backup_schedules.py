"""Backup schedules: CRUD, the claim of a run, and chain-safe retention."""

import datetime
import threading

import pytest

from tests.unit import db_utils
from trove_lite.common import context
from trove_lite.common import exception
from trove_lite.db import api as db_api
from trove_lite.db import models
from trove_lite.db.repositories import backup_schedules as repo

T0 = datetime.datetime(2026, 3, 10, 12, 0, 0)


def _schedule(ctx, pattern='@every 10s', keep=3, incremental=False,
              instance_id='i1', project='p1', name='nightly'):
    return repo.create(ctx, instance_id, project, name, pattern, keep,
                       incremental=incremental, description='d')


@db_api.writer
def _set_next_run(context, schedule_id, moment):
    context.session.query(models.BackupSchedule).filter_by(
        id=schedule_id).update({'next_run': moment})


def _at(ctx, schedule, moment):
    """Move the schedule's next run to ``moment`` (a test's clock)."""
    _set_next_run(ctx, schedule.id, moment)
    return repo.get(ctx, schedule.id, schedule.instance_id)


# -- create, read, delete ----------------------------------------------------

def test_create_sets_the_first_run_from_now(ctx):
    row = _schedule(ctx)
    assert (row.tenant_id, row.instance_id, row.name, row.description,
            row.pattern, row.keep, row.incremental) == (
        'p1', 'i1', 'nightly', 'd', '@every 10s', 3, False)
    assert row.created < row.next_run
    assert (row.next_run - row.created.replace(microsecond=0)) == \
        datetime.timedelta(seconds=10)
    assert (row.last_run, row.last_backup_id, row.deleted) == (
        None, None, False)


@pytest.mark.parametrize('keep', [0, -1, None, '3'])
def test_create_refuses_keep_below_one(ctx, keep):
    with pytest.raises(exception.BadRequest, match='keep >= 1'):
        _schedule(ctx, keep=keep)
    assert repo.list_all(ctx) == []


def test_create_refuses_a_bad_pattern(ctx):
    with pytest.raises(exception.BadRequest, match='not valid'):
        _schedule(ctx, pattern='every day')
    assert repo.list_all(ctx) == []


def test_list_get_and_delete(ctx):
    first = _schedule(ctx, name='a')
    second = _schedule(ctx, name='b', incremental=True)
    elsewhere = _schedule(ctx, name='c', instance_id='i2', project='p2')
    assert [r.id for r in repo.list_for_instance(ctx, 'i1')] == [
        first.id, second.id]
    assert {r.id for r in repo.list_all(ctx)} == {first.id, second.id,
                                                  elsewhere.id}
    assert [r.id for r in repo.list_all(ctx, project_id='p2')] == [
        elsewhere.id]
    assert repo.get(ctx, second.id, 'i1').incremental is True
    with pytest.raises(exception.BackupScheduleNotFound):
        repo.get(ctx, second.id, 'i2')  # not that instance's
    backup_id = db_utils.add_backup(ctx, 'i1', state='COMPLETED',
                                    schedule_id=first.id)
    repo.delete(ctx, first.id, 'i1')
    with pytest.raises(exception.BackupScheduleNotFound):
        repo.get(ctx, first.id, 'i1')
    with pytest.raises(exception.BackupScheduleNotFound):
        repo.delete(ctx, first.id, 'i1')
    assert [r.id for r in repo.list_for_instance(ctx, 'i1')] == [second.id]
    # Its backups stay.
    assert _backup(ctx, backup_id).deleted is False


@db_api.reader
def _backup(context, backup_id):
    return context.session.get(models.Backup, backup_id)


# -- claims ---------------------------------------------------------------------

def test_claim_due_takes_only_due_live_schedules(ctx):
    due = _at(ctx, _schedule(ctx, name='due'), T0)
    _at(ctx, _schedule(ctx, name='later'), T0 + datetime.timedelta(hours=1))
    gone = _at(ctx, _schedule(ctx, name='gone'), T0)
    repo.delete(ctx, gone.id, 'i1')
    now = T0 + datetime.timedelta(seconds=3)
    claimed = repo.claim_due(ctx, now, 10)
    assert [row.id for row in claimed] == [due.id]
    assert claimed[0].next_run == now + datetime.timedelta(seconds=10)
    assert repo.get(ctx, due.id, 'i1').next_run == claimed[0].next_run
    # Claimed: no longer due at the same moment.
    assert repo.claim_due(ctx, now, 10) == []


def test_a_long_overdue_schedule_runs_once(ctx):
    schedule = _at(ctx, _schedule(ctx), T0)
    now = T0 + datetime.timedelta(days=2)
    assert len(repo.claim_due(ctx, now, 10)) == 1
    assert repo.claim_due(ctx, now + datetime.timedelta(seconds=9),
                          10) == []
    assert repo.get(ctx, schedule.id, 'i1').next_run == \
        now + datetime.timedelta(seconds=10)


def test_claim_due_honours_its_limit_most_overdue_first(ctx):
    late = _at(ctx, _schedule(ctx, name='late'), T0)
    _at(ctx, _schedule(ctx, name='less'), T0 + datetime.timedelta(seconds=1))
    now = T0 + datetime.timedelta(seconds=5)
    assert [row.id for row in repo.claim_due(ctx, now, 1)] == [late.id]
    assert len(repo.claim_due(ctx, now, 1)) == 1
    assert repo.claim_due(ctx, now, 1) == []


def test_two_taskmanagers_read_the_same_due_row_only_one_claims_it(ctx):
    schedule = _at(ctx, _schedule(ctx), T0)
    now = T0 + datetime.timedelta(seconds=1)
    # Both look before either claims: both see the run as due.
    seen_by_first = repo.due(ctx, now, 10)
    seen_by_second = repo.due(ctx, now, 10)
    assert [r.id for r in seen_by_first] == [r.id for r in seen_by_second] \
        == [schedule.id]
    won = repo.claim(ctx, seen_by_first[0], now)
    lost = repo.claim(ctx, seen_by_second[0], now)
    assert won is not None and won.id == schedule.id
    assert lost is None


def test_racing_taskmanagers_claim_each_run_once(ctx):
    schedule = _at(ctx, _schedule(ctx), T0)
    now = T0 + datetime.timedelta(seconds=1)
    start = threading.Barrier(4)
    results = []
    errors = []

    def taskmanager():
        try:
            start.wait()
            results.append(repo.claim_due(context.get_admin_context(),
                                          now, 10))
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=taskmanager) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    claims = [row.id for result in results for row in result]
    assert claims == [schedule.id]


@db_api.writer
def _set_pattern(context, schedule_id, pattern):
    context.session.query(models.BackupSchedule).filter_by(
        id=schedule_id).update({'pattern': pattern})


def test_an_unreadable_pattern_is_put_off_not_run(ctx):
    broken = _at(ctx, _schedule(ctx, name='broken'), T0)
    fine = _at(ctx, _schedule(ctx, name='fine'),
               T0 + datetime.timedelta(seconds=1))
    _set_pattern(ctx, broken.id, '0 0 31 2 *')  # never runs
    now = T0 + datetime.timedelta(seconds=5)
    assert repo.claim_due(ctx, now, 1) == []  # the broken one: put off
    assert [row.id for row in repo.claim_due(ctx, now, 1)] == [fine.id]
    assert repo.get(ctx, broken.id, 'i1').next_run == \
        now + repo.UNREADABLE_RETRY


def test_record_run(ctx):
    schedule = _schedule(ctx)
    repo.record_run(ctx, schedule.id, 'b1', T0)
    row = repo.get(ctx, schedule.id, 'i1')
    assert (row.last_run, row.last_backup_id) == (T0, 'b1')


# -- retention -----------------------------------------------------------------

def _backup_at(ctx, schedule, minute, state='COMPLETED', parent=None,
               schedule_id=None):
    return db_utils.add_backup(
        ctx, 'i1', state=state, parent_id=parent,
        schedule_id=schedule_id or schedule.id,
        created=T0 + datetime.timedelta(minutes=minute))


def _candidates(ctx, schedule):
    return [row.id for row in repo.prune_candidates(ctx, schedule)]


def test_fulls_beyond_keep_go_oldest_first(ctx):
    schedule = _schedule(ctx, keep=3)
    ids = [_backup_at(ctx, schedule, minute) for minute in range(5)]
    assert _candidates(ctx, schedule) == ids[:2]


def test_nothing_goes_while_within_keep(ctx):
    schedule = _schedule(ctx, keep=3)
    for minute in range(3):
        _backup_at(ctx, schedule, minute)
    _backup_at(ctx, schedule, 3, state='BUILDING')
    assert _candidates(ctx, schedule) == []


def test_only_the_schedules_own_backups_are_candidates(ctx):
    schedule = _schedule(ctx, keep=1)
    other = _schedule(ctx, name='other', keep=1)
    db_utils.add_backup(ctx, 'i1', state='COMPLETED', created=T0)  # manual
    _backup_at(ctx, other, 1, schedule_id=other.id)
    mine = [_backup_at(ctx, schedule, minute) for minute in (2, 3)]
    assert _candidates(ctx, schedule) == mine[:1]


def test_a_running_deleting_or_delete_failed_backup_never_goes(ctx):
    schedule = _schedule(ctx, keep=1)
    for minute, state in enumerate(['NEW', 'BUILDING', 'SAVING', 'DELETING',
                                    'DELETE_FAILED']):
        _backup_at(ctx, schedule, minute, state=state)
    _backup_at(ctx, schedule, 9)
    assert _candidates(ctx, schedule) == []


def test_a_failure_goes_once_a_newer_backup_completed(ctx):
    schedule = _schedule(ctx, keep=2)
    old_failure = _backup_at(ctx, schedule, 0, state='FAILED')
    _backup_at(ctx, schedule, 1)
    _backup_at(ctx, schedule, 2)
    latest_failure = _backup_at(ctx, schedule, 3, state='FAILED')
    # The latest failure stays visible until a backup succeeds again.
    assert _candidates(ctx, schedule) == [old_failure]
    assert latest_failure not in _candidates(ctx, schedule)


def test_a_kept_incremental_protects_its_whole_chain(ctx):
    schedule = _schedule(ctx, keep=3, incremental=True)
    full = _backup_at(ctx, schedule, 0)
    inc1 = _backup_at(ctx, schedule, 1, parent=full)
    inc2 = _backup_at(ctx, schedule, 2, parent=inc1)
    inc3 = _backup_at(ctx, schedule, 3, parent=inc2)
    inc4 = _backup_at(ctx, schedule, 4, parent=inc3)
    # keep=3 keeps inc2..inc4; they need inc1 and the full.
    assert _candidates(ctx, schedule) == []
    # A new chain: once none of the old chain is kept, all of it goes.
    full2 = _backup_at(ctx, schedule, 5)
    assert _candidates(ctx, schedule) == []  # inc3, inc4 still kept
    inc5 = _backup_at(ctx, schedule, 6, parent=full2)
    assert _candidates(ctx, schedule) == []  # inc4 still kept
    _backup_at(ctx, schedule, 7, parent=inc5)
    assert _candidates(ctx, schedule) == [full, inc1, inc2, inc3, inc4]


def test_a_running_incremental_protects_its_parents(ctx):
    schedule = _schedule(ctx, keep=1, incremental=True)
    full = _backup_at(ctx, schedule, 0)
    inc = _backup_at(ctx, schedule, 1, parent=full)
    _backup_at(ctx, schedule, 2, state='BUILDING', parent=inc)
    full2 = _backup_at(ctx, schedule, 3)
    assert _candidates(ctx, schedule) == []
    assert full2 not in _candidates(ctx, schedule)


def test_a_users_backup_chained_to_a_scheduled_one_protects_it(ctx):
    schedule = _schedule(ctx, keep=1)
    full = _backup_at(ctx, schedule, 0)
    manual = db_utils.add_backup(ctx, 'i1', state='COMPLETED', parent_id=full,
                                 created=T0 + datetime.timedelta(minutes=1))
    leaf = db_utils.add_backup(ctx, 'i1', state='COMPLETED',
                               parent_id=manual, schedule_id=schedule.id,
                               created=T0 + datetime.timedelta(minutes=2))
    newer = [_backup_at(ctx, schedule, minute) for minute in (3, 4)]
    # Deleting the full would take the user's backup along; the scheduled
    # incremental of the user's backup has no child, so it may go.
    assert _candidates(ctx, schedule) == [leaf, newer[0]]


def test_over_keep_names_the_schedules_worth_pruning(ctx):
    full = _schedule(ctx, keep=2, name='full')
    fine = _schedule(ctx, keep=2, name='fine')
    gone = _schedule(ctx, keep=1, name='gone')
    for minute in range(3):
        _backup_at(ctx, full, minute)
        _backup_at(ctx, gone, minute)
    _backup_at(ctx, fine, 0)
    _backup_at(ctx, fine, 1)
    _backup_at(ctx, fine, 2, state='BUILDING')
    repo.delete(ctx, gone.id, 'i1')
    assert [row.id for row in repo.over_keep(ctx)] == [full.id]


def test_chain_parent(ctx):
    plain = _schedule(ctx, keep=3, name='plain')
    _backup_at(ctx, plain, 0)
    assert repo.chain_parent(ctx, plain) is None
    schedule = _schedule(ctx, keep=3, incremental=True)
    assert repo.chain_parent(ctx, schedule) is None  # nothing yet: a full
    full = _backup_at(ctx, schedule, 0)
    assert repo.chain_parent(ctx, schedule) == full
    inc1 = _backup_at(ctx, schedule, 1, parent=full)
    _backup_at(ctx, schedule, 2, state='FAILED', parent=inc1)
    assert repo.chain_parent(ctx, schedule) == inc1
    inc2 = _backup_at(ctx, schedule, 3, parent=inc1)
    # The chain holds keep=3 backups: the next one starts a new full.
    assert repo.chain_parent(ctx, schedule) is None
    assert inc2 != full
