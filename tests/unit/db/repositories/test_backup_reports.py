"""Guests' backup reports are applied only while a backup runs; backups
nobody can finish are found.
"""

import datetime
import json

from tests.unit import db_utils
from trove_lite.common import states
from trove_lite.db import models
from trove_lite.db.repositories import backup_reports
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import resource_locks
from trove_lite.db import resource_kinds

BACKUP = resource_kinds.BACKUP


def _instance(ctx):
    return instances.create(ctx, {'name': 'db', 'tenant_id': 'p'})


def _backup(ctx, instance_id, holder='tm:1'):
    backup_id = db_utils.add_backup(ctx, instance_id)
    db_utils.update_rows(ctx, models.Backup, {'id': backup_id},
                         lock_holder=holder)
    return backup_id


def _row(ctx, backup_id):
    return resource_locks.get(ctx, BACKUP, backup_id)


def test_started_keeps_the_flow_lock_and_moves_to_building(ctx):
    backup_id = _backup(ctx, _instance(ctx).id)
    assert backup_reports.record_started(ctx, backup_id)
    row = _row(ctx, backup_id)
    assert row.state == states.BACKUP_BUILDING.code
    assert row.lock_holder == 'tm:1'
    assert row.task_deadline is not None
    # A repeated start changes nothing.
    assert not backup_reports.record_started(ctx, backup_id)


def test_completed_stores_what_the_guest_reported_and_releases(ctx):
    backup_id = _backup(ctx, _instance(ctx).id)
    backup_reports.record_started(ctx, backup_id)
    assert backup_reports.record_completed(
        ctx, backup_id, '/b/x.zst', 'a' * 32, 3 * 1024 ** 3, 'full',
        {'strategy': 'fake'})
    row = _row(ctx, backup_id)
    assert row.state == states.BACKUP_COMPLETED.code
    assert (row.location, row.checksum, row.size, row.backup_type) == (
        '/b/x.zst', 'a' * 32, 3.0, 'full')
    assert json.loads(row.strategy_metadata) == {'strategy': 'fake'}
    assert row.lock_holder is None and row.task_deadline is None
    # A late FAILED does not undo it.
    assert not backup_reports.record_failed(ctx, backup_id, 'm', 'd')
    assert _row(ctx, backup_id).state == states.BACKUP_COMPLETED.code


def test_completed_may_overtake_started(ctx):
    # The conductor's threads may apply two casts out of order.
    backup_id = _backup(ctx, _instance(ctx).id)
    assert backup_reports.record_completed(ctx, backup_id, '/b/y', 'b' * 32,
                                           1, 'full', {})
    assert not backup_reports.record_started(ctx, backup_id)
    assert _row(ctx, backup_id).state == states.BACKUP_COMPLETED.code


def test_failed_stores_the_reason(ctx):
    backup_id = _backup(ctx, _instance(ctx).id)
    assert backup_reports.record_failed(ctx, backup_id, 'disk full', 'det')
    assert _row(ctx, backup_id).state == states.BACKUP_FAILED.code
    fault = resource_locks.get_fault(ctx, BACKUP, backup_id)
    assert (fault.message, fault.details) == ('disk full', 'det')


def test_running_instance_ids(ctx):
    one, two = _instance(ctx), _instance(ctx)
    _backup(ctx, one.id)
    done = _backup(ctx, two.id)
    backup_reports.record_completed(ctx, done, '/b', 'c' * 32, 1, 'full', {})
    assert backup_reports.running_instance_ids(ctx, [one.id, two.id]) == {
        one.id}
    assert backup_reports.running_instance_ids(ctx, []) == set()


def test_orphaned_finds_deleted_instances_and_silent_guests(ctx):
    now = models.utcnow()
    gone, silent, beating = _instance(ctx), _instance(ctx), _instance(ctx)
    of_gone = _backup(ctx, gone.id)
    of_silent = _backup(ctx, silent.id)
    of_beating = _backup(ctx, beating.id)
    # NEW, just asked: the guest may still confirm it.
    waiting_guest = _backup(ctx, silent.id)
    for backup_id in (of_silent, of_beating):
        backup_reports.record_started(ctx, backup_id)
    old = now - datetime.timedelta(seconds=300)
    for backup_id in (of_silent, of_beating):
        db_utils.update_rows(ctx, models.Backup, {'id': backup_id},
                             task_start_time=old)
    instances.record_heartbeat(ctx, silent.id, 1.0, states.SVC_HEALTHY,
                               '1')
    instances.record_heartbeat(ctx, beating.id, 2.0, states.SVC_HEALTHY,
                               '1')
    db_utils.update_rows(ctx, models.AgentHeartbeat,
                         {'instance_id': silent.id}, updated_at=old)
    db_utils.update_rows(ctx, models.Instance, {'id': gone.id},
                         deleted=True)
    found = dict((row.id, reason) for row, reason in
                 backup_reports.orphaned(ctx, 90, now))
    assert set(found) == {of_gone, of_silent}
    assert 'was deleted' in found[of_gone]
    assert 'stopped reporting' in found[of_silent]
    assert waiting_guest not in found
    # A NEW backup the silent guest never confirmed is failed too, once
    # it is as old as the silence allows.
    db_utils.update_rows(ctx, models.Backup, {'id': waiting_guest},
                         created=old, task_start_time=old)
    found = dict(backup_reports.orphaned(ctx, 90, now))
    assert {row.id for row in found} == {of_gone, of_silent, waiting_guest}


def test_a_delete_hands_over_every_backup_it_holds(ctx):
    instance_id = _instance(ctx).id
    first = _backup(ctx, instance_id, holder='api@h:1')
    second = _backup(ctx, instance_id, holder='api@h:1')
    other = _backup(ctx, instance_id, holder='api@h:2')
    assert backup_reports.hand_over_all(ctx, 'api@h:1', 'tm:1') == 2
    assert {_row(ctx, b).lock_holder for b in (first, second)} == {'tm:1'}
    assert _row(ctx, other).lock_holder == 'api@h:2'
