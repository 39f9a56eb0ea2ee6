"""The backup workflows: take one through the guest, delete stored ones,
and describe a chain for a restore.
"""

import json
import os
import threading

import pytest

from tests.unit import db_utils
from trove_lite.common import states
from trove_lite.db import models
from trove_lite.db.repositories import backup_reports
from trove_lite.db.repositories import backups as backup_repo
from trove_lite.db.repositories import resource_locks
from trove_lite.db.repositories import workflows as workflow_repo
from trove_lite.db import resource_kinds
from trove_lite.taskmanager.flows import create_backup
from trove_lite.taskmanager.flows import delete_backup
from trove_lite.taskmanager.tasks import backups as backup_tasks
from trove_lite.taskmanager import workflows

BACKUP = resource_kinds.BACKUP
API_HOLDER = 'api@host:1234'


@pytest.fixture(autouse=True)
def storage_dir(override, tmp_path):
    path = tmp_path / 'backups'
    path.mkdir()
    override('local_storage_path', str(path), group='backup')
    override('storage_driver', 'local', group='backup')
    return path


@pytest.fixture(autouse=True)
def fast_waits(monkeypatch):
    monkeypatch.setattr(backup_tasks.WaitForBackup, 'poll_interval', 0.02)


def backup_of(ctx, instance_id, state=states.BACKUP_NEW, holder=API_HOLDER,
              **values):
    backup_id = db_utils.add_backup(ctx, instance_id)
    values.setdefault('storage_driver', 'local')
    db_utils.update_rows(ctx, models.Backup, {'id': backup_id},
                         state=state.code, lock_holder=holder, **values)
    return backup_id


def job_for(ctx, backup_id, operation, arguments=None, holder=API_HOLDER):
    workflow_id = workflow_repo.record(ctx, BACKUP.name, backup_id,
                                       operation, holder=holder,
                                       arguments=arguments or {},
                                       request_context=ctx)
    owner = workflows.new_owner()
    return workflows.Job(workflow_repo.claim(ctx, workflow_id, owner, 60),
                         owner)


def state_of(ctx, backup_id):
    return resource_locks.get(ctx, BACKUP, backup_id).state


def test_the_guest_takes_it_and_its_report_ends_the_flow(
        ctx, new_instance, guest_client, storage_dir):
    instance = new_instance()
    backup_id = backup_of(ctx, instance.id, backup_type='full')

    def guest_takes_it(request):
        assert request['storage'] == {'driver': 'local',
                                      'path': str(storage_dir)}
        assert (request['id'], request['parent']) == (backup_id, None)
        backup_reports.record_started(ctx, backup_id)
        backup_reports.record_completed(ctx, backup_id, '/x', 'a' * 32, 10,
                                        'full', {'strategy': 'fake'})
    guest_client.create_backup.side_effect = guest_takes_it
    assert create_backup.run_job(job_for(ctx, backup_id, 'create'))
    assert state_of(ctx, backup_id) == 'COMPLETED'
    guest_client.create_backup.assert_called_once()


def test_an_incremental_carries_its_parents_metadata(ctx, new_instance,
                                                     guest_client):
    instance = new_instance()
    parent = backup_of(ctx, instance.id, states.BACKUP_COMPLETED, None,
                       location='/p', checksum='b' * 32,
                       strategy_metadata=json.dumps({'to_lsn': '42'}))
    child = backup_of(ctx, instance.id, parent_id=parent,
                      backup_type='incremental')
    guest_client.create_backup.side_effect = \
        lambda request: backup_reports.record_failed(ctx, child, 'm', 'd')
    assert create_backup.run_job(job_for(ctx, child, 'create'))
    [request] = guest_client.create_backup.call_args[0]
    assert request['backup_type'] == 'incremental'
    assert request['parent'] == {'id': parent, 'location': '/p',
                                 'checksum': 'b' * 32,
                                 'metadata': {'to_lsn': '42'}}
    assert state_of(ctx, child) == 'FAILED'


def test_a_lost_cast_is_sent_again_until_the_guest_starts(
        ctx, new_instance, guest_client, monkeypatch):
    # Resend at every look (the option's minimum is a second).
    monkeypatch.setattr(backup_tasks, '_resend_interval', lambda: 0)
    instance = new_instance()
    backup_id = backup_of(ctx, instance.id)
    calls = []

    def lost_then_taken(request):
        calls.append(request)
        if len(calls) == 3:
            backup_reports.record_completed(ctx, backup_id, '/x', 'a' * 32,
                                            1, 'full', {})
    guest_client.create_backup.side_effect = lost_then_taken
    assert create_backup.run_job(job_for(ctx, backup_id, 'create'))
    assert len(calls) == 3


def test_a_resumed_flow_does_not_ask_a_guest_that_started(
        ctx, new_instance, guest_client):
    instance = new_instance()
    backup_id = backup_of(ctx, instance.id)
    backup_reports.record_started(ctx, backup_id)
    job = job_for(ctx, backup_id, 'create')

    def finish_later():
        backup_reports.record_completed(ctx, backup_id, '/x', 'a' * 32, 1,
                                        'full', {})
    guest_client.create_backup.side_effect = AssertionError('asked again')
    timer = threading.Timer(0.2, finish_later)
    timer.start()
    try:
        assert create_backup.run_job(job)
    finally:
        timer.cancel()
    assert state_of(ctx, backup_id) == 'COMPLETED'


def test_a_storage_that_cannot_be_described_fails_the_backup(
        ctx, new_instance, guest_client, override):
    override('swift_auth', 'static', group='backup')
    instance = new_instance()
    backup_id = backup_of(ctx, instance.id, storage_driver='swift')
    assert not create_backup.run_job(job_for(ctx, backup_id, 'create'))
    assert state_of(ctx, backup_id) == 'FAILED'
    fault = resource_locks.get_fault(ctx, BACKUP, backup_id)
    assert fault.message.startswith('The backup could not be started')
    guest_client.create_backup.assert_not_called()


def test_a_backup_no_longer_held_is_left_alone(ctx, new_instance,
                                               guest_client):
    instance = new_instance()
    backup_id = backup_of(ctx, instance.id, holder='api@other:9')
    assert not create_backup.run_job(job_for(ctx, backup_id, 'create'))
    guest_client.create_backup.assert_not_called()
    assert state_of(ctx, backup_id) == 'NEW'


def _stored(storage_dir, name):
    path = storage_dir / name
    path.write_bytes(b'stream')
    return str(path)


def test_delete_removes_children_then_parent(ctx, new_instance,
                                             storage_dir):
    instance = new_instance()
    parent = backup_of(ctx, instance.id, states.BACKUP_DELETING,
                       location=_stored(storage_dir, 'p.zst'))
    child = backup_of(ctx, instance.id, states.BACKUP_DELETING,
                      parent_id=parent,
                      location=_stored(storage_dir, 'c.zst'))
    job = job_for(ctx, parent, 'delete', {'ids': [child, parent]})
    assert delete_backup.run_job(job)
    assert os.listdir(storage_dir) == []
    assert backup_repo.find(ctx, child) is None
    assert backup_repo.find(ctx, parent) is None


def test_a_refusing_storage_leaves_delete_failed(ctx, new_instance,
                                                 storage_dir):
    instance = new_instance()
    # A location outside the storage directory: the local plugin refuses.
    backup_id = backup_of(ctx, instance.id, states.BACKUP_DELETING,
                          location='/etc/passwd')
    assert delete_backup.run_job(job_for(ctx, backup_id, 'delete',
                                         {'ids': [backup_id]}))
    assert state_of(ctx, backup_id) == 'DELETE_FAILED'
    fault = resource_locks.get_fault(ctx, BACKUP, backup_id)
    assert 'could not be removed from its storage' in fault.message
    assert os.path.exists('/etc/passwd')


def test_restore_info_lists_the_chain_oldest_first(ctx, new_instance,
                                                   storage_dir):
    instance = new_instance()
    full = backup_of(ctx, instance.id, states.BACKUP_COMPLETED, None,
                     location='/f', checksum='a' * 32, size=2.0,
                     backup_type='full',
                     strategy_metadata=json.dumps({'strategy': 's'}))
    inc = backup_of(ctx, instance.id, states.BACKUP_COMPLETED, None,
                    parent_id=full, location='/i', checksum='b' * 32,
                    size=0.5, backup_type='incremental')
    info = backup_tasks.LoadRestoreInfo().execute(ctx, inc)
    assert [item['id'] for item in info['chain']] == [full, inc]
    first = info['chain'][0]
    assert (first['size'], first['metadata'], first['storage']) == (
        2 * 1024 ** 3, {'strategy': 's'},
        {'driver': 'local', 'path': str(storage_dir)})
    assert backup_tasks.LoadRestoreInfo().execute(ctx, None) is None


def test_a_running_backup_being_deleted_is_stopped_first(
        ctx, new_instance, guest_client, storage_dir):
    instance = new_instance()
    backup_id = backup_of(ctx, instance.id, states.BACKUP_DELETING)

    def guest_stops(aborted):
        # The guest's last word: it had stored the backup after all.
        backup_reports.record_ended_while_deleting(
            ctx, aborted, _stored(storage_dir, 'late.zst'))
    guest_client.abort_backup.side_effect = guest_stops
    job = job_for(ctx, backup_id, 'delete', {'ids': [backup_id],
                                             'running': [backup_id]})
    assert delete_backup.run_job(job)
    guest_client.abort_backup.assert_called_once_with(backup_id)
    assert os.listdir(storage_dir) == []
    assert backup_repo.find(ctx, backup_id) is None


def test_a_silent_guest_is_waited_for_no_longer_than_the_grace(
        ctx, new_instance, guest_client, override):
    override('abort_grace', 0, group='backup')
    instance = new_instance()
    backup_id = backup_of(ctx, instance.id, states.BACKUP_DELETING)
    job = job_for(ctx, backup_id, 'delete', {'ids': [backup_id],
                                             'running': [backup_id]})
    assert delete_backup.run_job(job)
    assert backup_repo.find(ctx, backup_id) is None
