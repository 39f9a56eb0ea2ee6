"""The conductor stores what guests report, and drops what it must."""

import datetime
import functools
import time
from unittest import mock

import pytest

from tests.unit import db_utils
from tests.unit import rpc_fixtures
from tests.unit.rpc_fixtures import conf_overrides  # noqa: F401
from tests.unit.rpc_fixtures import memory_bus  # noqa: F401
from tests.unit.rpc_fixtures import start_service  # noqa: F401
from tests import waiting
from trove_lite.cmd import conductor as conductor_cmd
from trove_lite.common import context
from trove_lite.common import replication_reports
from trove_lite.common import rpc
from trove_lite.common import sealing
from trove_lite.common import states
from trove_lite.common import status_events
from trove_lite.conductor import heartbeats
from trove_lite.conductor import instance_keys
from trove_lite.conductor import manager
from trove_lite.conductor import rpcapi
from trove_lite.db import api as db_api
from trove_lite.db import models
from trove_lite.db.repositories import backups as backup_repo
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import progress
from trove_lite.db.repositories import resource_locks
from trove_lite.db import resource_kinds
from trove_lite.taskmanager import rpcapi as taskmanager_rpcapi


@pytest.fixture
def mgr():
    return manager.Manager()


@pytest.fixture
def instance(ctx):
    return instances.create(ctx, {'name': 'db', 'tenant_id': 'p'})


def _from(instance_id):
    """The context of a report sealed by ``instance_id``."""
    ctxt = context.get_admin_context()
    ctxt.sealed_by = instance_id
    return ctxt


def _payload(status='healthy', **extra):
    payload = {'service_status': status, 'agent_version': '0.1.0'}
    payload.update(extra)
    return payload


def test_heartbeat_is_stored(ctx, mgr, instance):
    mgr.heartbeat(_from(instance.id), instance.id, _payload(
        volume={'used': 0.5, 'total': 2.0}), 100.0)
    assert instances.get_service_status(ctx, instance.id)[0] is \
        states.SVC_HEALTHY
    beat = instances.get_heartbeat(ctx, instance.id)
    assert (beat.sent, beat.guest_agent_version, beat.volume_used,
            beat.volume_total) == (100.0, '0.1.0', 0.5, 2.0)


def test_stored_reports_wake_waiters_in_this_process(mgr, instance):
    with status_events.watching(instance.id) as changed:
        mgr.heartbeat(_from(instance.id), instance.id, _payload(), 100.0)
        assert changed.is_set()
        changed.clear()
        mgr.heartbeat(_from(instance.id), instance.id, _payload(), 99.0)
        assert not changed.is_set()  # stale: nothing changed
        mgr.report_fault(_from(instance.id), instance.id, 'm', 'd',
                         time.time())
        assert changed.is_set()


def test_status_changes_and_faults_wake_the_taskmanagers(instance):
    taskmanager = mock.Mock(spec=taskmanager_rpcapi.TaskManagerAPI)
    mgr = manager.Manager(taskmanager=taskmanager)
    mgr.heartbeat(_from(instance.id), instance.id, _payload('building'), 1.0)
    mgr.heartbeat(_from(instance.id), instance.id, _payload('building'), 2.0)
    mgr.heartbeat(_from(instance.id), instance.id, _payload('healthy'), 3.0)
    mgr.heartbeat(_from(instance.id), instance.id, _payload('shutdown'), 2.5)
    mgr.report_fault(_from(instance.id), instance.id, 'm', 'd', time.time())
    # building (a change from new), healthy, the fault; not the repeated
    # status nor the stale report.
    assert [c.args[1] for c in
            taskmanager.status_changed.call_args_list] == [instance.id] * 3


def test_a_taskmanager_that_cannot_be_told_is_no_error(instance):
    taskmanager = mock.Mock(spec=taskmanager_rpcapi.TaskManagerAPI)
    taskmanager.status_changed.side_effect = RuntimeError('no bus')
    mgr = manager.Manager(taskmanager=taskmanager)
    mgr.heartbeat(_from(instance.id), instance.id, _payload(), 1.0)
    assert instances.get_service_status(
        context.get_admin_context(), instance.id)[0] is states.SVC_HEALTHY


REPLICATION = {'role': 'replica', 'source': {'host': 'h', 'port': 3306},
               'running': True, 'lag': 0.5, 'position': [0, 1, 7],
               'error': None}


def test_the_replication_state_is_stored_cleaned(ctx, mgr, instance):
    mgr.heartbeat(_from(instance.id), instance.id, _payload(
        replication=dict(REPLICATION, password='secret', lag='slow')), 100.0)
    stored = instances.get_heartbeat(ctx, instance.id).replication
    assert 'secret' not in stored
    assert replication_reports.load(stored) == dict(REPLICATION, lag=None)


def test_a_heartbeat_without_replication_clears_what_was_stored(
        ctx, mgr, instance):
    mgr.heartbeat(_from(instance.id), instance.id,
                  _payload(replication=REPLICATION), 100.0)
    assert instances.get_heartbeat(ctx, instance.id).replication
    # Detached: the guest no longer says anything of replication.
    mgr.heartbeat(_from(instance.id), instance.id, _payload(), 101.0)
    assert instances.get_heartbeat(ctx, instance.id).replication is None


@pytest.mark.parametrize('replication', [
    'replica', ['x'], {'lag': 10 ** 400}, {'position': [10 ** 4000]},
    {'source': {'port': 10 ** 400}}])
def test_a_broken_replication_state_does_not_lose_the_heartbeat(
        ctx, mgr, instance, replication):
    # NOTE(bounds): a lag of 10 ** 400 made the handler raise
    # OverflowError, and the heartbeat was lost.
    mgr.heartbeat(_from(instance.id), instance.id,
                  _payload('shutdown', replication=replication), 100.0)
    assert instances.get_service_status(ctx, instance.id)[0] is \
        states.SVC_SHUTDOWN
    beat = instances.get_heartbeat(ctx, instance.id)
    assert beat.sent == 100.0
    stored = replication_reports.load(beat.replication)
    assert stored is None or (stored['lag'] is None
                              and stored['position'] is None)


def test_out_of_order_heartbeats_are_dropped(ctx, mgr, instance):
    mgr.heartbeat(_from(instance.id), instance.id, _payload('healthy'), 100.0)
    mgr.heartbeat(_from(instance.id), instance.id, _payload('shutdown'), 99.0)
    assert instances.get_service_status(ctx, instance.id)[0] is \
        states.SVC_HEALTHY


def test_unknown_status_is_ignored(ctx, mgr, instance):
    mgr.heartbeat(_from(instance.id), instance.id, _payload('dancing'), 100.0)
    mgr.heartbeat(_from(instance.id), instance.id, {}, 101.0)
    assert instances.get_service_status(ctx, instance.id)[0] is \
        states.SVC_NEW
    assert instances.get_heartbeat(ctx, instance.id) is None


def test_reports_for_unknown_or_deleted_instances_are_ignored(
        ctx, mgr, instance):
    mgr.heartbeat(_from('no-such-instance'), 'no-such-instance', _payload(), 1.0)
    mgr.report_fault(_from('no-such-instance'), 'no-such-instance', 'm', 'd', 1.0)
    instances.mark_deleted(ctx, instance.id)
    mgr.heartbeat(_from(instance.id), instance.id, _payload(), time.time())
    mgr.report_fault(_from(instance.id), instance.id, 'm', 'd', time.time())
    assert instances.get_service_status(ctx, instance.id)[0] is \
        states.SVC_DELETED
    assert instances.get_fault(ctx, instance.id) is None


def test_fault_is_stored(ctx, mgr, instance):
    mgr.report_fault(_from(instance.id), instance.id, 'Disk full.', 'ENOSPC',
                     time.time() + 1)
    fault = instances.get_fault(ctx, instance.id)
    assert (fault.message, fault.details) == ('Disk full.', 'ENOSPC')


def test_stale_fault_is_ignored(ctx, mgr, instance):
    before_task = (instance.task_start_time - datetime.datetime(1970, 1, 1)
                   ).total_seconds() - 60
    mgr.report_fault(_from(instance.id), instance.id, 'old', 'x', before_task)
    assert instances.get_fault(ctx, instance.id) is None


def test_reports_over_the_bus(ctx, instance, memory_bus,  # noqa
                              start_service):  # noqa: F811
    memory_bus.set('conductor_queue', 'conductor-unit')
    key = sealing.generate_key()
    instances.set_key(ctx, instance.id, key)
    start_service('conductor-unit', 'c1', manager.Manager(),
                  sealing.ConductorSerializer(manager.instance_key))
    api = rpcapi.ConductorAPI(
        serializer=sealing.GuestSerializer(instance.id, key))
    api.heartbeat(ctx, instance.id, _payload('running'),
                  time.time())
    api.report_fault(ctx, instance.id, 'm', 'd', time.time() + 1)
    # The two casts are dispatched on threads of their own.
    end = time.monotonic() + 5
    while time.monotonic() < end and (
            instances.get_fault(ctx, instance.id) is None
            or instances.get_heartbeat(ctx, instance.id) is None):
        time.sleep(0.05)
    assert instances.get_service_status(ctx, instance.id)[0] is \
        states.SVC_RUNNING
    assert instances.get_fault(ctx, instance.id).message == 'm'


def test_reports_not_sealed_by_the_instance_are_refused(ctx, mgr,
                                                        instance):
    mgr.heartbeat(_from('another-instance'), instance.id, _payload(), 1.0)
    mgr.heartbeat(context.get_admin_context(), instance.id, _payload(), 2.0)
    mgr.report_fault(_from('another-instance'), instance.id, 'forged', '',
                     3.0)
    assert instances.get_heartbeat(ctx, instance.id) is None
    assert instances.get_fault(ctx, instance.id) is None


def test_a_busy_sqlite_is_retried(ctx, mgr, instance,
                                  monkeypatch):
    real = instances.record_heartbeats
    calls = []

    def busy_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError('(sqlite3.OperationalError) database is '
                               'locked')
        return real(*args, **kwargs)

    monkeypatch.setattr(instances, 'record_heartbeats', busy_once)
    mgr.heartbeat(_from(instance.id), instance.id, _payload(), 100.0)
    assert len(calls) == 2
    assert instances.get_service_status(ctx, instance.id)[0] is \
        states.SVC_HEALTHY


# -- progress (API 1.2) -------------------------------------------------------

def _progress(**fields):
    fields.setdefault('step', 'copy')
    return fields


def test_progress_sealed_by_its_instance_is_stored(ctx, mgr,
                                                   instance):
    mgr.report_progress(_from(instance.id), 'instance', instance.id,
                        'prepare', _progress(percent=40, bytes_done=4,
                                             bytes_total=10, message='m'),
                        10.0)
    row = progress.latest(ctx, 'instance', instance.id, 'prepare')
    assert (row.step, row.percent, row.bytes_done, row.bytes_total,
            row.message, row.instance_id) == ('copy', 40.0, 4, 10, 'm',
                                              instance.id)


def test_progress_sealed_by_another_instance_is_refused(ctx, mgr,
                                                        instance):
    other = instances.create(ctx, {'name': 'b', 'tenant_id': 'p'})
    # B reports about A; and an unsealed report.
    mgr.report_progress(_from(other.id), 'instance', instance.id, 'prepare',
                        _progress(), 10.0)
    mgr.report_progress(context.get_admin_context(), 'instance',
                        instance.id, 'prepare', _progress(), 11.0)
    assert progress.list_for(ctx, 'instance', instance.id) == []


def test_backup_progress_is_sealed_by_the_backups_instance(ctx,
                                                           mgr, instance):
    other = instances.create(ctx, {'name': 'b', 'tenant_id': 'p'})
    backup_id = db_utils.add_backup(ctx, instance.id)
    mgr.report_progress(_from(other.id), 'backup', backup_id, 'backup',
                        _progress(percent=99), 10.0)
    assert progress.latest(ctx, 'backup', backup_id,
                           'backup') is None
    mgr.report_progress(_from(instance.id), 'backup', backup_id, 'backup',
                        _progress(percent=5), 11.0)
    row = progress.latest(ctx, 'backup', backup_id, 'backup')
    assert (row.percent, row.instance_id) == (5.0, instance.id)


def test_stale_progress_is_dropped(ctx, mgr, instance):
    mgr.report_progress(_from(instance.id), 'instance', instance.id,
                        'prepare', _progress(percent=60), 10.0)
    mgr.report_progress(_from(instance.id), 'instance', instance.id,
                        'prepare', _progress(percent=20), 9.0)
    assert progress.latest(ctx, 'instance', instance.id,
                           'prepare').percent == 60.0


@pytest.mark.parametrize('kind, operation, fields, sent', [
    ('cluster', 'grow', {}, 1.0),           # a kind nobody declared
    ('instance', '', {}, 1.0),              # no operation
    ('instance', 'x' * 65, {}, 1.0),        # too long an operation
    ('instance', 'prepare', {'percent': 101}, 1.0),
    ('instance', 'prepare', {'percent': 'all'}, 1.0),
    ('instance', 'prepare', {'bytes_done': -1}, 1.0),
    ('instance', 'prepare', {'step': ['x']}, 1.0),
    ('instance', 'prepare', {'percent': float('nan')}, 1.0),
    ('instance', 'prepare', {}, None),
    ('instance', 'prepare', {}, float('inf')),
    ('instance', 'prepare', 'half', 1.0),
])
def test_malformed_progress_is_dropped(ctx, mgr, instance, kind,
                                       operation, fields, sent):
    mgr.report_progress(_from(instance.id), kind, instance.id, operation,
                        fields, sent)
    assert progress.list_for(ctx, kind, instance.id) == []


def test_progress_over_the_bus(ctx, instance, memory_bus,  # noqa
                               start_service):  # noqa: F811
    memory_bus.set('conductor_queue', 'conductor-unit-p')
    key = sealing.generate_key()
    instances.set_key(ctx, instance.id, key)
    start_service('conductor-unit-p', 'c1', manager.Manager(),
                  sealing.ConductorSerializer(manager.instance_key))
    api = rpcapi.ConductorAPI(
        serializer=sealing.GuestSerializer(instance.id, key))
    assert api.report_progress(ctx, 'instance', instance.id,
                               'prepare', {'percent': 30}, time.time())
    assert waiting.wait_for(lambda: progress.latest(
        ctx, 'instance', instance.id, 'prepare') is not None)
    assert progress.latest(ctx, 'instance', instance.id,
                           'prepare').percent == 30.0


def test_progress_is_skipped_for_an_older_conductor(ctx,
                                                    memory_bus):  # noqa
    memory_bus.set('conductor', '1.1', group='upgrade_levels')
    api = rpcapi.ConductorAPI()
    with mock.patch.object(rpcapi.rpc, 'cast') as cast:
        assert api.report_progress(ctx, 'instance', 'i1',
                                   'prepare', {}, 1.0) is False
    cast.assert_not_called()


# -- reports at a conductor API version this conductor does not speak --------

@pytest.fixture
def conductor_service(ctx, memory_bus):  # noqa: F811
    """The conductor as ``trove-lite-conductor`` builds it, on the bus."""
    memory_bus.set('conductor_queue', rpc_fixtures.unique_topic('cond'))
    svc = conductor_cmd.build_service()
    svc.start()
    yield svc
    svc.stop()
    svc.wait()


def _heartbeat_at(version, ctx, instance_id, key=None):
    serializer = (sealing.GuestSerializer(instance_id, key) if key
                  else None)
    api = rpcapi.ConductorAPI(serializer=serializer)
    rpc.cast(api.client.prepare(version=version), ctx, 'heartbeat',
             instance_id=instance_id, payload=_payload(), sent=time.time())


def _faults(instance_id):
    table = models.InstanceFault.__table__
    with db_api.get_engine().connect() as conn:
        return conn.execute(table.select().where(
            table.c.instance_id == instance_id)).all()


def _warnings(caplog):
    return [r for r in caplog.records if r.levelname == 'WARNING'
            and r.name.startswith('trove_lite')]


def _errors(caplog):
    return [r for r in caplog.records
            if r.levelname in ('ERROR', 'CRITICAL')]


def test_a_report_at_another_major_version_is_refused_with_a_fault(
        ctx, instance, conductor_service, caplog):
    key = sealing.generate_key()
    instances.set_key(ctx, instance.id, key)
    _heartbeat_at('2.0', ctx, instance.id, key)
    assert waiting.wait_for(lambda: instances.get_fault(ctx, instance.id))
    fault = instances.get_fault(ctx, instance.id)
    assert fault.message == (
        'The guest agent of the instance speaks conductor API 2.0, which '
        'this service does not (it speaks %s); ask an administrator to '
        'bring the guest agent and the control plane to compatible '
        'releases.' % manager.RPC_API_VERSION)
    assert fault.details == 'Refused heartbeat at conductor API 2.0.'
    assert instances.get_heartbeat(ctx, instance.id) is None
    [warning] = _warnings(caplog)
    assert warning.getMessage() == (
        'Refused heartbeat from instance %s at conductor API 2.0: this '
        'conductor speaks %s' % (instance.id, manager.RPC_API_VERSION))
    assert not _errors(caplog)

    # Every report is refused, but the fault is written once.
    _heartbeat_at('2.0', ctx, instance.id, key)
    assert waiting.wait_for(lambda: len(_warnings(caplog)) == 2)
    _heartbeat_at('1.1', ctx, instance.id, key)
    assert waiting.wait_for(
        lambda: instances.get_heartbeat(ctx, instance.id))
    assert len(_faults(instance.id)) == 1
    assert not _errors(caplog)


def test_a_newer_minor_version_is_refused_too(ctx, instance,
                                              conductor_service, caplog):
    key = sealing.generate_key()
    instances.set_key(ctx, instance.id, key)
    _heartbeat_at('1.9', ctx, instance.id, key)
    assert waiting.wait_for(lambda: instances.get_fault(ctx, instance.id))
    assert 'conductor API 1.9' in instances.get_fault(ctx,
                                                      instance.id).message
    assert not _errors(caplog)


def test_an_unproven_report_at_another_version_leaves_no_fault(
        ctx, instance, conductor_service, caplog):
    instances.set_key(ctx, instance.id, sealing.generate_key())
    # Unsealed, and sealed with a key that is not the instance's.
    _heartbeat_at('2.0', ctx, instance.id)
    _heartbeat_at('2.0', ctx, instance.id, sealing.generate_key())
    assert waiting.wait_for(lambda: len(_warnings(caplog)) == 2)
    messages = sorted(r.getMessage() for r in _warnings(caplog))
    assert messages[0].startswith(
        'Refused a sealed message claiming to come from %s' % instance.id)
    assert messages[1] == (
        'Refused heartbeat from an unsealed sender at conductor API 2.0: '
        'this conductor speaks %s' % manager.RPC_API_VERSION)
    assert instances.get_fault(ctx, instance.id) is None
    assert not _errors(caplog)


def test_the_longest_version_refused_fits_the_fault(ctx, instance):
    manager.refuse_wrong_version(_from(instance.id), 'heartbeat',
                                 '999999999.999999999.999999999', '1.2')
    assert len(instances.get_fault(ctx, instance.id).message) <= 255


# -- backups (API 1.3) ----------------------------------------------------------

@pytest.fixture
def backup_id(ctx, instance):
    return db_utils.add_backup(ctx, instance.id)


def _backup(ctx, backup_id):
    return backup_repo.find(ctx, backup_id)


COMPLETED = {'state': 'COMPLETED', 'location': '/backups/b.zst',
             'checksum': '0123456789abcdef0123456789abcdef',
             'size': 2 * 1024 ** 3, 'backup_type': 'full',
             'metadata': {'strategy': 'fake'}}


def test_a_backup_report_is_applied_and_wakes_waiters(ctx, mgr, instance,
                                                      backup_id):
    with status_events.watching(instance.id) as changed:
        mgr.update_backup(_from(instance.id), instance.id, backup_id,
                          {'state': 'BUILDING'}, 1.0)
        assert changed.is_set()
        assert _backup(ctx, backup_id).state == 'BUILDING'
        mgr.update_backup(_from(instance.id), instance.id, backup_id,
                          COMPLETED, 2.0)
    row = _backup(ctx, backup_id)
    assert (row.state, row.location, row.size) == (
        'COMPLETED', '/backups/b.zst', 2.0)


def test_a_failed_backup_keeps_the_guests_reason(ctx, mgr, instance,
                                                 backup_id):
    mgr.update_backup(_from(instance.id), instance.id, backup_id,
                      {'state': 'FAILED', 'message': 'Swift is down',
                       'details': 'ConnectionRefused'}, 1.0)
    assert _backup(ctx, backup_id).state == 'FAILED'
    fault = resource_locks.get_fault(ctx, resource_kinds.BACKUP, backup_id)
    assert fault.message == 'Swift is down'


@pytest.mark.parametrize('sealer, about', [('other', 'instance'),
                                           ('instance', 'other')])
def test_a_backup_report_of_another_instance_is_refused(
        ctx, mgr, instance, backup_id, sealer, about):
    other = instances.create(ctx, {'name': 'o', 'tenant_id': 'p'})
    ids = {'instance': instance.id, 'other': other.id}
    mgr.update_backup(_from(ids[sealer]), ids[about], backup_id, COMPLETED,
                      1.0)
    assert _backup(ctx, backup_id).state == 'NEW'


@pytest.mark.parametrize('fields', [
    None, {}, {'state': 'SAVING'}, dict(COMPLETED, checksum='xyz'),
    dict(COMPLETED, location=''), dict(COMPLETED, size=-1),
    dict(COMPLETED, size='big'), dict(COMPLETED, backup_type='diff'),
    dict(COMPLETED, metadata={'x': 'y' * 5000}),
    dict(COMPLETED, metadata=[1]),
    {'state': 'FAILED', 'message': 7}])
def test_malformed_backup_reports_are_dropped(ctx, mgr, instance, backup_id,
                                              fields):
    mgr.update_backup(_from(instance.id), instance.id, backup_id, fields,
                      1.0)
    assert _backup(ctx, backup_id).state == 'NEW'


def test_a_heartbeat_fails_a_started_backup_its_agent_no_longer_runs(
        ctx, mgr, instance, backup_id):
    mgr.update_backup(_from(instance.id), instance.id, backup_id,
                      {'state': 'BUILDING'}, 1.0)
    started = _backup(ctx, backup_id).task_start_time
    before = (started - datetime.datetime(1970, 1, 1)).total_seconds()
    # Sent before the backup started: no evidence either way.
    mgr.heartbeat(_from(instance.id), instance.id,
                  _payload(backups=[]), before - 5)
    # Names it: still running.
    mgr.heartbeat(_from(instance.id), instance.id,
                  _payload(backups=[backup_id]), before + 5)
    assert _backup(ctx, backup_id).state == 'BUILDING'
    # An agent restarted mid-stream names none.
    mgr.heartbeat(_from(instance.id), instance.id,
                  _payload(backups=[]), before + 10)
    assert _backup(ctx, backup_id).state == 'FAILED'
    fault = resource_locks.get_fault(ctx, resource_kinds.BACKUP, backup_id)
    assert 'stopped taking the backup' in fault.message


def test_a_heartbeat_just_after_the_start_is_no_evidence(
        ctx, mgr, instance, backup_id):
    """A guest clock a little ahead of ours makes a heartbeat read before
    the backup started look sent after it: within the margin, it does
    not fail the backup.
    """
    mgr.update_backup(_from(instance.id), instance.id, backup_id,
                      {'state': 'BUILDING'}, 1.0)
    started = _backup(ctx, backup_id).task_start_time
    at = (started - datetime.datetime(1970, 1, 1)).total_seconds()
    mgr.heartbeat(_from(instance.id), instance.id,
                  _payload(backups=[]), at + 2)
    assert _backup(ctx, backup_id).state == 'BUILDING'


def test_a_report_on_a_backup_being_deleted_names_what_to_remove(
        ctx, mgr, instance, backup_id):
    # The owner deleted it while it ran; the guest finished anyway.
    db_utils.update_rows(ctx, models.Backup, {'id': backup_id},
                         state='DELETING', lock_holder='tm:delete')
    mgr.update_backup(_from(instance.id), instance.id, backup_id, COMPLETED,
                      1.0)
    row = _backup(ctx, backup_id)
    assert (row.state, row.location, row.lock_holder) == (
        'DELETING', '/backups/b.zst', 'tm:delete')
    assert row.backup_timestamp is not None


# -- heartbeats in batches, keys in memory -----------------------------------

def _batching(interval=3600):
    """A manager whose heartbeats wait in a batch until its writer stops
    (or ``interval`` passes).
    """
    return manager.Manager(writer=functools.partial(
        heartbeats.HeartbeatWriter, interval=interval))


def test_a_batch_stores_the_last_heartbeat_sent_and_wakes_once(
        ctx, instance):
    taskmanager = mock.create_autospec(taskmanager_rpcapi.TaskManagerAPI,
                                       instance=True)
    mgr = _batching()
    mgr._taskmanager = taskmanager
    with status_events.watching(instance.id) as changed:
        mgr.heartbeat(_from(instance.id), instance.id,
                      _payload('building'), 1.0)
        mgr.heartbeat(_from(instance.id), instance.id, _payload(
            'healthy', volume={'used': 0.5, 'total': 2.0}), 3.0)
        mgr.heartbeat(_from(instance.id), instance.id,
                      _payload('shutdown'), 2.0)
        assert instances.get_heartbeat(ctx, instance.id) is None
        assert not changed.is_set()
        mgr.heartbeats.stop()
        mgr.heartbeats.wait()
        assert changed.is_set()
    beat = instances.get_heartbeat(ctx, instance.id)
    assert (beat.sent, beat.volume_used) == (3.0, 0.5)
    assert instances.get_service_status(ctx, instance.id)[0] is \
        states.SVC_HEALTHY
    assert taskmanager.status_changed.call_count == 1


def test_a_batch_is_written_within_its_interval(ctx, instance):
    mgr = _batching(interval=0.01)
    mgr.heartbeat(_from(instance.id), instance.id, _payload(), 100.0)
    waiting.wait_for(lambda: instances.get_heartbeat(ctx, instance.id))
    assert instances.get_service_status(ctx, instance.id)[0] is \
        states.SVC_HEALTHY
    mgr.heartbeats.stop()
    mgr.heartbeats.wait()


def test_a_heartbeat_without_volume_keeps_the_stored_one(ctx, mgr,
                                                         instance):
    mgr.heartbeat(_from(instance.id), instance.id, _payload(
        volume={'used': 0.5, 'total': 2.0}), 100.0)
    mgr.heartbeat(_from(instance.id), instance.id, _payload(), 101.0)
    beat = instances.get_heartbeat(ctx, instance.id)
    assert (beat.sent, beat.volume_used, beat.volume_total) == \
        (101.0, 0.5, 2.0)


@pytest.mark.parametrize('sent', [None, 'soon', float('nan'), True])
def test_a_heartbeat_with_a_malformed_sent_time_is_dropped(ctx, mgr,
                                                           instance, sent):
    mgr.heartbeat(_from(instance.id), instance.id, _payload(), sent)
    assert instances.get_heartbeat(ctx, instance.id) is None


def _sealed_heartbeat(serializer, instance_id, key, sent):
    """Unseal a heartbeat as the conductor's RPC server would: its
    context, then its arguments.
    """
    guest = sealing.GuestSerializer(instance_id, key)
    ctxt = context.RequestContext(project_id='p')
    received = serializer.deserialize_context(guest.serialize_context(ctxt))
    return received, {
        name: serializer.deserialize_entity(
            received, guest.serialize_entity(ctxt, value))
        for name, value in (('instance_id', instance_id),
                            ('payload', _payload()), ('sent', sent))}


def test_a_deleted_instance_is_refused_though_its_key_was_kept(ctx,
                                                               instance):
    key = sealing.generate_key()
    instances.set_key(ctx, instance.id, key)
    keys = instance_keys.KeyCache(manager.instance_key, ttl=3600)
    mgr = manager.Manager(keys=keys)
    serializer = sealing.ConductorSerializer(keys, fresh_key_of=keys.fresh)
    received, kwargs = _sealed_heartbeat(serializer, instance.id, key, 1.0)
    mgr.heartbeat(received, **kwargs)
    assert len(keys) == 1
    instances.mark_deleted(ctx, instance.id)
    # The kept key still unseals; the write finds the instance deleted.
    received, kwargs = _sealed_heartbeat(serializer, instance.id, key, 2.0)
    mgr.heartbeat(received, **kwargs)
    assert instances.get_service_status(ctx, instance.id)[0] is \
        states.SVC_DELETED
    assert instances.get_heartbeat(ctx, instance.id) is None
    # ... and the key is forgotten: the next report is refused unsealed.
    assert len(keys) == 0
    with pytest.raises(sealing.RefusedMessage):
        _sealed_heartbeat(serializer, instance.id, key, 3.0)


def test_a_key_stored_anew_counts_from_its_first_message(ctx, instance):
    old, new = sealing.generate_key(), sealing.generate_key()
    instances.set_key(ctx, instance.id, old)
    keys = instance_keys.KeyCache(manager.instance_key, ttl=3600)
    serializer = sealing.ConductorSerializer(keys, fresh_key_of=keys.fresh)
    _sealed_heartbeat(serializer, instance.id, old, 1.0)
    instances.set_key(ctx, instance.id, new)
    received, kwargs = _sealed_heartbeat(serializer, instance.id, new, 2.0)
    assert (received.sealed_by, kwargs['sent']) == (instance.id, 2.0)
    assert keys(instance.id) == new
    with pytest.raises(sealing.RefusedMessage):
        _sealed_heartbeat(serializer, instance.id, sealing.generate_key(),
                          3.0)
