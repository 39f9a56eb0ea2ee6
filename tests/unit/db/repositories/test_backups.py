"""Backup rows: begin (every refusal creates nothing), delete of chains,
chains and descendants, listing, strategies.
"""

import datetime

import pytest

from tests.unit import db_utils
from trove_lite.common import context
from trove_lite.common import exception
from trove_lite.common import states
from trove_lite.db import api as db_api
from trove_lite.db.repositories import backups
from trove_lite.db.repositories import datastores
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import quotas
from trove_lite.db.repositories import resource_locks
from trove_lite.db.repositories import workflows
from trove_lite.db import resource_kinds


@pytest.fixture
def instance(ctx):
    return db_utils.add_active_instance(ctx)


def _member(project='p1'):
    return context.RequestContext(user_id='u', project_id=project,
                                  roles=['member'])


def _completed(ctx, instance, **values):
    return db_utils.add_backup(
        ctx, instance.id, state='COMPLETED', tenant_id=instance.tenant_id,
        datastore_version_id=instance.datastore_version_id, **values)


def _nothing_created(ctx):
    assert backups.list_backups(ctx, all_projects=True) == []
    assert workflows.claimable(ctx, grace_seconds=-1) == []


def test_begin_creates_a_new_row_with_its_workflow(ctx, instance, override):
    override('storage_driver', 'swift', group='backup')
    row, workflow_id, holder = backups.begin(ctx, instance.id, 'b1',
                                             description='first')
    stored = backups.get(ctx, row.id)
    assert stored.state == states.BACKUP_NEW.code
    assert stored.task_deadline > stored.task_start_time
    assert stored.lock_holder == holder
    assert holder.startswith('api@')
    assert (stored.tenant_id, stored.instance_id, stored.backup_type,
            stored.storage_driver, stored.parent_id, stored.description) == (
        'p1', instance.id, 'full', 'swift', None, 'first')
    assert stored.datastore_version_id == instance.datastore_version_id
    record = workflows.get(ctx, workflow_id)
    assert (record.resource_kind, record.resource_id, record.operation,
            record.holder) == ('backup', row.id, 'create', holder)
    assert workflows.open_arguments(record.arguments) == {
        'swift_container': 'database_backups'}


def test_the_container_comes_from_request_instance_project_config(
        ctx, instance):
    def container():
        row, workflow_id, _ = backups.begin(ctx, instance.id, 'b')
        arguments = workflows.open_arguments(
            workflows.get(ctx, workflow_id).arguments)
        backups.mark_deleted(ctx, row.id)
        return arguments['swift_container']

    assert container() == 'database_backups'
    backups.upsert_strategy(ctx, 'p1', '', 'project-c')
    assert container() == 'project-c'
    backups.upsert_strategy(ctx, 'p1', instance.id, 'instance-c')
    assert container() == 'instance-c'
    row, workflow_id, _ = backups.begin(ctx, instance.id, 'b',
                                        swift_container='asked')
    assert workflows.open_arguments(workflows.get(
        ctx, workflow_id).arguments) == {'swift_container': 'asked'}


def test_the_backup_is_the_instance_owners(ctx, instance):
    # An administrator of another project backs up p1's instance.
    admin = context.RequestContext(user_id='a', project_id='service',
                                   is_admin=True, roles=['admin'])
    row, _, _ = backups.begin(admin, instance.id, 'b')
    assert row.tenant_id == 'p1'


def _refused(ctx, error, *args, **kwargs):
    with pytest.raises(error) as caught:
        backups.begin(ctx, *args, **kwargs)
    return caught.value


def test_an_unknown_or_other_projects_instance_is_404(ctx, instance):
    err = _refused(ctx, exception.InstanceNotFound,
                   '8b1f5e9c-8a43-4b4a-9b7e-0f1f2a3b4c5d', 'b')
    assert err.code == 404
    err = _refused(_member('p2'), exception.InstanceNotFound, instance.id,
                   'b')
    assert err.code == 404
    _nothing_created(ctx)


@pytest.mark.parametrize('change,why', [
    (lambda ctx, i: instances.start(ctx, i.id, 'restart', 'h'),
     'its task is REBOOTING'),
    (lambda ctx, i: instances.update(ctx, i.id, lock_holder='h'),
     'another operation'),
    (lambda ctx, i: instances.update(ctx, i.id,
                                     server_status=states.SERVER_SHUTDOWN),
     'its server is SHUTDOWN'),
    (lambda ctx, i: instances.set_service_status(ctx, i.id,
                                                 states.SVC_FAILED),
     'its database is FAILED'),
])
def test_an_instance_that_is_not_available_is_422(ctx, instance, change,
                                                  why):
    change(ctx, instance)
    err = _refused(ctx, exception.InstanceNotAvailable, instance.id, 'b')
    assert err.code == 422 and err.fault_name == 'unprocessableEntity'
    assert why in str(err)
    _nothing_created(ctx)


def test_a_lost_guest_is_not_available(ctx, instance, override):
    override('agent_heartbeat_expiry', 1)
    heartbeat = instances.get_heartbeat(ctx, instance.id)
    with db_api.writer.using(ctx):
        ctx.session.query(type(heartbeat)).filter_by(
            id=heartbeat.id).update({'updated_at': heartbeat.updated_at -
                                     datetime.timedelta(seconds=60)})
    err = _refused(ctx, exception.InstanceNotAvailable, instance.id, 'b')
    assert 'ERROR' in str(err)


def test_a_running_backup_makes_the_instance_unavailable(ctx, instance):
    first, _, _ = backups.begin(ctx, instance.id, 'b1')
    err = _refused(ctx, exception.InstanceNotAvailable, instance.id, 'b2')
    assert first.id in str(err) and 'NEW' in str(err)
    assert [row.id for row in backups.running_for_instance(
        ctx, instance.id)] == [first.id]


def test_a_datastore_without_a_strategy_is_501(ctx, override):
    instance = db_utils.add_active_instance(ctx, manager='mysql')
    override('backup_strategy', None, group='mysql')
    err = _refused(ctx, exception.DatastoreOperationNotSupported,
                   instance.id, 'b')
    assert err.code == 501 and err.fault_name == 'notImplemented'
    _nothing_created(ctx)


def test_incremental_without_its_strategy_is_501(ctx, instance, override):
    override('backup_incremental_strategy', None, group='fake')
    parent = _completed(ctx, instance)
    for kwargs in ({'incremental': True}, {'parent_id': parent}):
        err = _refused(ctx, exception.DatastoreOperationNotSupported,
                       instance.id, 'b', **kwargs)
        assert 'incremental backup' in str(err)
    assert backups.running_for_instance(ctx, instance.id) == []


def test_an_unknown_parent_is_404(ctx, instance):
    err = _refused(ctx, exception.BackupNotFound, instance.id, 'b',
                   parent_id='8b1f5e9c-8a43-4b4a-9b7e-0f1f2a3b4c5d')
    assert err.code == 404
    _nothing_created(ctx)


def test_a_parent_of_another_instance_is_400(ctx, instance):
    other = db_utils.add_active_instance(ctx)
    parent = _completed(ctx, other)
    err = _refused(ctx, exception.BackupParentMismatch, instance.id, 'b',
                   parent_id=parent)
    assert err.code == 400 and other.id in str(err)
    assert backups.running_for_instance(ctx, instance.id) == []


def test_a_parent_of_another_datastore_is_400(ctx, instance):
    datastores.update_datastore(ctx, 'mysql')
    mysql = datastores.upsert_version(ctx, 'mysql', '10.11', 'mysql')
    parent = db_utils.add_backup(ctx, instance.id, state='COMPLETED',
                                 tenant_id='p1',
                                 datastore_version_id=mysql.id)
    err = _refused(ctx, exception.BackupParentMismatch, instance.id, 'b',
                   parent_id=parent)
    assert 'mysql' in str(err)


def test_a_parent_that_is_not_completed_is_409(ctx, instance):
    parent = db_utils.add_backup(
        ctx, instance.id, state='FAILED', tenant_id='p1',
        datastore_version_id=instance.datastore_version_id)
    err = _refused(ctx, exception.BackupNotCompleteError, instance.id, 'b',
                   parent_id=parent)
    assert err.code == 409 and err.fault_name == 'conflict'
    assert 'FAILED' in str(err)
    assert backups.running_for_instance(ctx, instance.id) == []


def test_incremental_takes_the_newest_completed_parent(ctx, instance):
    now = datetime.datetime(2026, 1, 1)
    _completed(ctx, instance, created=now)
    newest = _completed(ctx, instance,
                        created=now + datetime.timedelta(hours=1))
    db_utils.add_backup(ctx, instance.id, state='FAILED', tenant_id='p1',
                        created=now + datetime.timedelta(hours=2))
    row, _, _ = backups.begin(ctx, instance.id, 'inc', incremental=True)
    assert (row.parent_id, row.backup_type) == (newest, 'incremental')


def test_incremental_without_a_completed_backup_is_full(ctx, instance):
    row, _, _ = backups.begin(ctx, instance.id, 'inc', incremental=True)
    assert (row.parent_id, row.backup_type) == (None, 'full')


def test_an_explicit_parent_makes_an_incremental(ctx, instance):
    parent = _completed(ctx, instance)
    row, _, _ = backups.begin(ctx, instance.id, 'inc', parent_id=parent)
    assert (row.parent_id, row.backup_type) == (parent, 'incremental')


def test_the_quota_counts_backups_and_creates_nothing_past_it(
        ctx, instance, override):
    override('max_backups_per_tenant', 1)
    _completed(ctx, instance)
    with pytest.raises(exception.QuotaExceeded) as caught:
        backups.begin(ctx, instance.id, 'b')
    assert caught.value.code == 413
    assert 'backups' in str(caught.value)
    assert len(backups.list_backups(ctx, all_projects=True)) == 1
    assert workflows.claimable(ctx, grace_seconds=-1) == []
    assert quotas.get_usage(ctx, 'p1')['backups'] == 1


# -- get and list -------------------------------------------------------------

def test_get_is_the_projects_but_an_admins_reaches_any(ctx, instance):
    backup_id = _completed(ctx, instance)
    assert backups.get(_member('p1'), backup_id).id == backup_id
    assert backups.get(ctx, backup_id).id == backup_id
    with pytest.raises(exception.BackupNotFound) as caught:
        backups.get(_member('p2'), backup_id)
    assert caught.value.code == 404
    assert backups.get_any(_member('p2'), backup_id).id == backup_id
    backups.mark_deleted(ctx, backup_id)
    with pytest.raises(exception.BackupNotFound):
        backups.get_any(ctx, backup_id)


def test_list_orders_by_update_and_filters(ctx, instance):
    datastores.update_datastore(ctx, 'mysql')
    mysql = datastores.upsert_version(ctx, 'mysql', '10.11', 'mysql')
    base = datetime.datetime(2026, 1, 1)
    old = _completed(ctx, instance, updated=base)
    new = _completed(ctx, instance, updated=base + datetime.timedelta(1))
    other = db_utils.add_backup(ctx, 'other', state='COMPLETED',
                                tenant_id='p1',
                                datastore_version_id=mysql.id,
                                updated=base + datetime.timedelta(2))
    theirs = db_utils.add_backup(ctx, 'x', tenant_id='p2', updated=base)
    mine = _member('p1')

    def ids(**kwargs):
        return [row.id for row in backups.list_backups(mine, **kwargs)]

    assert ids() == [other, new, old]
    assert ids(limit=2) == [other, new]
    assert ids(limit=2, offset=2) == [old]
    assert ids(instance_id=instance.id) == [new, old]
    assert ids(datastore='mysql') == [other]
    assert ids(datastore='fake') == [new, old]
    assert ids(project_id='p2') == [theirs]
    assert set(ids(all_projects=True)) == {old, new, other, theirs}
    with pytest.raises(exception.DatastoreNotFound):
        ids(datastore='nosuch')


# -- chains and deletes -------------------------------------------------------

@pytest.fixture
def chain(ctx, instance):
    """full <- inc1 <- inc2, and full <- other (a second branch)."""
    full = _completed(ctx, instance)
    inc1 = _completed(ctx, instance, parent_id=full)
    inc2 = _completed(ctx, instance, parent_id=inc1)
    other = _completed(ctx, instance, parent_id=full)
    return full, inc1, inc2, other


def test_chain_is_oldest_first(ctx, chain):
    full, inc1, inc2, _ = chain
    assert [row.id for row in backups.chain(
        ctx, backups.get(ctx, inc2))] == [full, inc1, inc2]
    assert [row.id for row in backups.chain(
        ctx, backups.get(ctx, full))] == [full]


def test_a_broken_chain_is_404(ctx, chain):
    full, inc1, inc2, _ = chain
    backups.mark_deleted(ctx, inc1)
    with pytest.raises(exception.BackupNotFound):
        backups.chain(ctx, backups.get(ctx, inc2))


def test_descendants_are_newest_generation_first(ctx, chain):
    full, inc1, inc2, other = chain
    found = [row.id for row in backups.descendants(ctx, full)]
    assert found[0] == inc2 and set(found[1:]) == {inc1, other}
    assert backups.descendants(ctx, inc2) == []


def test_begin_delete_takes_the_children_with_it(ctx, chain):
    full, inc1, inc2, other = chain
    ids, holder, workflow_id = backups.begin_delete(ctx, full)
    assert ids[0] == inc2 and ids[-1] == full
    assert set(ids) == {full, inc1, inc2, other}
    for backup_id in ids:
        row = backups.get(ctx, backup_id)
        assert row.state == states.BACKUP_DELETING.code
        assert row.lock_holder == holder
        assert row.task_deadline is not None
    record = workflows.get(ctx, workflow_id)
    assert (record.resource_kind, record.resource_id, record.operation,
            record.holder) == ('backup', full, 'delete', holder)
    assert workflows.open_arguments(record.arguments) == {'ids': ids,
                                                          'running': []}


@pytest.mark.parametrize('state', ['NEW', 'BUILDING', 'SAVING'])
def test_a_running_descendant_is_taken_over(ctx, chain, state):
    full, inc1, inc2, other = chain
    with db_api.writer.using(ctx):
        row = resource_locks.get(ctx, resource_kinds.BACKUP, inc2)
        row.state = state
        row.lock_holder = 'tm:create'
    ids, holder, workflow_id = backups.begin_delete(ctx, full)
    assert resource_locks.get(ctx, resource_kinds.BACKUP,
                              inc2).lock_holder == holder
    assert workflows.open_arguments(workflows.get(
        ctx, workflow_id).arguments)['running'] == [inc2]


@pytest.mark.parametrize('state', ['DELETING'])
def test_a_descendant_being_deleted_refuses_the_delete(ctx, chain, state):
    full, inc1, inc2, other = chain
    with db_api.writer.using(ctx):
        resource_locks.get(ctx, resource_kinds.BACKUP, inc2).state = state
    with pytest.raises(exception.BackupNotAvailable) as caught:
        backups.begin_delete(ctx, full)
    assert caught.value.code == 422
    assert inc2 in str(caught.value) and state in str(caught.value)
    assert {backups.get(ctx, backup_id).state
            for backup_id in (full, inc1, other)} == {'COMPLETED'}
    assert workflows.of_resource(ctx, 'backup', full) == []


def test_a_held_backup_is_taken_over(ctx, chain):
    full, inc1, _, _ = chain
    with db_api.writer.using(ctx):
        resource_locks.get(ctx, resource_kinds.BACKUP,
                           inc1).lock_holder = 'someone'
    _, holder, _ = backups.begin_delete(ctx, full)
    assert backups.get(ctx, inc1).lock_holder == holder


def test_a_failed_backup_can_be_deleted(ctx, instance):
    row, _, holder = backups.begin(ctx, instance.id, 'b')
    resource_locks.finish(ctx, resource_kinds.BACKUP, row.id,
                          'backup_failed', holder)
    ids, _, _ = backups.begin_delete(ctx, row.id)
    assert ids == [row.id]


def test_another_projects_backup_cannot_be_deleted(ctx, chain):
    with pytest.raises(exception.BackupNotFound):
        backups.begin_delete(_member('p2'), chain[0])


def test_mark_deleted_frees_the_quota_and_hides_the_fault(ctx, instance):
    backup_id = _completed(ctx, instance)
    resource_locks.add_fault(ctx, resource_kinds.BACKUP, backup_id, 'm',
                             'd')
    backups.mark_deleted(ctx, backup_id)
    assert quotas.get_usage(ctx, 'p1')['backups'] == 0
    assert backups.get_fault(ctx, backup_id) is None


# -- strategies ---------------------------------------------------------------

def test_strategies_upsert_list_delete(ctx):
    backups.upsert_strategy(ctx, 'p1', '', 'a')
    backups.upsert_strategy(ctx, 'p1', 'i1', 'b')
    backups.upsert_strategy(ctx, 'p1', '', 'c')
    backups.upsert_strategy(ctx, 'p2', '', 'theirs')
    assert sorted((row.instance_id, row.swift_container, row.backend)
                  for row in backups.list_strategies(ctx, 'p1')) == [
        ('', 'c', 'swift'), ('i1', 'b', 'swift')]
    assert [row.swift_container for row in backups.list_strategies(
        ctx, 'p1', 'i1')] == ['b']
    assert backups.delete_strategy(ctx, 'p1')
    assert not backups.delete_strategy(ctx, 'p1')
    assert [row.instance_id for row in backups.list_strategies(
        ctx, 'p1')] == ['i1']
