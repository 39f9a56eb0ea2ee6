"""The backup routes: create, show, list, delete, an instance's backups,
every refusal with upstream's status and fault (and nothing created), and
instance create from a backup (``restorePoint``).
"""

import datetime
import os

from oslo_config import cfg
import pytest

from tests.unit.api.conftest import member
from tests.unit import db_utils
from tests.unit.rpc_fixtures import conf_overrides  # noqa: F401
from tests.unit.rpc_fixtures import memory_bus  # noqa: F401
from tests.unit.rpc_fixtures import start_service  # noqa: F401
from trove_lite.db import models
from trove_lite.db.repositories import backups as backup_repo
from trove_lite.db.repositories import datastores
from trove_lite.db.repositories import instances as instance_repo
from trove_lite.db.repositories import resource_locks
from trove_lite.db.repositories import workflows as workflow_repo
from trove_lite.db import resource_kinds
from trove_lite.taskmanager import rpcapi as taskmanager_rpcapi

UNKNOWN = '8b1f5e9c-8a43-4b4a-9b7e-0f1f2a3b4c5d'


@pytest.fixture
def instance(ctx, flavor_rows):
    return db_utils.add_active_instance(ctx)


def _create(client, headers=None, **fields):
    return client.v1('POST', '/backups', body={'backup': fields},
                     headers=headers)


@pytest.fixture(autouse=True)
def storage_dir(override, tmp_path):
    """The local storage directory, where completed backups' objects
    are (a restore checks that its object is there).
    """
    path = tmp_path / 'backups'
    path.mkdir()
    override('local_storage_path', str(path), group='backup')
    return path


def _completed(ctx, instance, **values):
    backup_id = db_utils.add_backup(
        ctx, instance.id, state='COMPLETED', tenant_id=instance.tenant_id,
        datastore_version_id=instance.datastore_version_id,
        storage_driver='local', **values)
    if 'location' not in values:
        stored = os.path.join(cfg.CONF.backup.local_storage_path,
                              backup_id + '.fake.zst')
        with open(stored, 'wb') as handle:
            handle.write(b'stream')
        db_utils.update_rows(ctx, models.Backup, {'id': backup_id},
                             location=stored)
    return backup_id


def _fault(resp, status, name):
    assert resp.status_int == status, resp.text
    assert list(resp.json) == [name], resp.text
    assert resp.json[name]['code'] == status
    return resp.json[name]['message']


def _nothing_created(ctx):
    assert backup_repo.list_backups(ctx, all_projects=True) == []
    assert workflow_repo.claimable(ctx, grace_seconds=-1) == []


def test_create_answers_new_and_casts(client, instance, taskmanager, ctx):
    resp = _create(client, name='b1', instance=instance.id,
                   description='nightly', incremental=0)
    assert resp.status_int == 202, resp.text
    view = resp.json['backup']
    assert view['status'] == 'NEW'
    assert (view['name'], view['description'], view['instance_id'],
            view['project_id'], view['parent_id'], view['size'],
            view['locationRef']) == ('b1', 'nightly', instance.id, 'p1',
                                     None, None, None)
    assert view['datastore'] == {
        'type': 'fake', 'version': '1.0',
        'version_id': instance.datastore_version_id}
    assert 'T' in view['created'] and '.' not in view['created']
    method, kwargs = taskmanager.wait()
    assert method == 'create_backup'
    assert kwargs['backup_id'] == view['id']
    record = workflow_repo.get(ctx, kwargs['workflow_id'])
    assert (record.resource_kind, record.resource_id, record.operation) == (
        'backup', view['id'], 'create')
    assert record.holder == backup_repo.get(ctx, view['id']).lock_holder


def test_a_lost_cast_loses_nothing(client, instance, ctx, monkeypatch):
    # No taskmanager listens and the send fails: the record stays.
    def broken(self, context, method, backup_id, workflow_id):
        raise RuntimeError('the broker is down')

    monkeypatch.setattr(taskmanager_rpcapi.TaskManagerAPI, '_cast_backup', broken)
    resp = _create(client, name='b1', instance=instance.id)
    assert resp.status_int == 202, resp.text
    [record] = workflow_repo.of_resource(ctx, 'backup',
                                         resp.json['backup']['id'])
    assert record.operation == 'create'


@pytest.mark.parametrize('fields,status,name,text', [
    ({'instance': UNKNOWN}, 400, 'badRequest', "backup 'name' is a required"),
    ({'name': 'b'}, 400, 'badRequest', 'Unable to create Backup.'),
    ({'name': 'b', 'instance': 'not-a-uuid'}, 400, 'badRequest',
     'Validation error'),
    ({'name': 'b', 'instance': UNKNOWN, 'incremental': 2}, 400,
     'badRequest', 'Validation error'),
    ({'name': 'b', 'instance': UNKNOWN}, 404, 'itemNotFound', UNKNOWN),
    ({'name': 'b', 'restore_from': {
        'remote_location': 'http://x/c/o', 'size': 0.1,
        'local_datastore_version_id': UNKNOWN}}, 501, 'notImplemented',
     'restore_from is not supported'),
    ({'name': 'b', 'instance': '{instance}', 'storage_driver': 'floppy'},
     400, 'badRequest', "storage_driver 'floppy' is not available"),
    ({'name': 'b', 'instance': '{instance}', 'parent_id': UNKNOWN}, 404,
     'itemNotFound', UNKNOWN),
])
def test_bad_requests_create_nothing(client, instance, ctx, fields, status,
                                     name, text):
    if fields.get('instance') == '{instance}':
        fields['instance'] = instance.id
    message = _fault(_create(client, **fields), status, name)
    assert text in message
    _nothing_created(ctx)


@pytest.mark.parametrize('driver', ['local', 'swift'])
def test_an_installed_storage_driver_may_be_named(client, instance, ctx,
                                                  taskmanager, driver):
    resp = _create(client, name='b', instance=instance.id,
                   storage_driver=driver)
    assert resp.status_int == 202, resp.text
    row = backup_repo.get(ctx, resp.json['backup']['id'])
    assert row.storage_driver == driver


def test_a_busy_instance_is_422(client, instance, ctx):
    instance_repo.start(ctx, instance.id, 'restart', 'h')
    message = _fault(_create(client, name='b', instance=instance.id), 422,
                     'unprocessableEntity')
    assert 'REBOOTING' in message
    _nothing_created(ctx)


def test_a_second_backup_while_one_runs_is_422(client, instance, ctx,
                                               taskmanager):
    first = _create(client, name='b1', instance=instance.id).json['backup']
    message = _fault(_create(client, name='b2', instance=instance.id), 422,
                     'unprocessableEntity')
    assert first['id'] in message
    assert len(backup_repo.list_backups(ctx, all_projects=True)) == 1


def test_a_datastore_without_backups_is_501(client, ctx, flavor_rows,
                                            override):
    instance = db_utils.add_active_instance(ctx, manager='mysql')
    override('backup_strategy', None, group='mysql')
    _fault(_create(client, name='b', instance=instance.id), 501,
           'notImplemented')
    _nothing_created(ctx)


def test_parent_refusals(client, instance, ctx, flavor_rows):
    other = db_utils.add_active_instance(ctx)
    theirs = _completed(ctx, other)
    _fault(_create(client, name='b', instance=instance.id,
                   parent_id=theirs), 400, 'badRequest')
    failed = db_utils.add_backup(
        ctx, instance.id, state='FAILED', tenant_id='p1',
        datastore_version_id=instance.datastore_version_id)
    _fault(_create(client, name='b', instance=instance.id,
                   parent_id=failed), 409, 'conflict')
    assert backup_repo.running_for_instance(ctx, instance.id) == []


def test_incremental_uses_the_last_completed(client, instance, ctx,
                                             taskmanager):
    parent = _completed(ctx, instance)
    view = _create(client, name='b', instance=instance.id,
                   incremental=1).json['backup']
    assert view['parent_id'] == parent


def test_quota_exceeded_is_413_and_creates_nothing(client, instance, ctx,
                                                   override):
    override('max_backups_per_tenant', 1)
    _completed(ctx, instance)
    message = _fault(_create(client, name='b', instance=instance.id), 413,
                     'overLimit')
    assert message == 'Quota exceeded for resources: backups.'
    assert len(backup_repo.list_backups(ctx, all_projects=True)) == 1
    assert workflow_repo.claimable(ctx, grace_seconds=-1) == []


def test_show_and_404s(client, instance, ctx):
    backup_id = _completed(ctx, instance, size=0.25)
    view = client.v1('GET', '/backups/%s' % backup_id).json['backup']
    assert (view['status'], view['size'], view['locationRef']) == (
        'COMPLETED', 0.25, backup_repo.get(ctx, backup_id).location)
    assert 'fault' not in view
    # A name is a 404, so that the CLI falls back to a list.
    _fault(client.v1('GET', '/backups/b'), 404, 'itemNotFound')
    # Another project's member gets the 404 of an unknown id.
    resp = client.request('GET', '/v1.0/p2/backups/%s' % backup_id,
                          headers=member())
    _fault(resp, 404, 'itemNotFound')


def test_a_failed_backup_shows_why(client, instance, ctx):
    backup_id = db_utils.add_backup(ctx, instance.id, state='FAILED',
                                    tenant_id='p1')
    resource_locks.add_fault(ctx, resource_kinds.BACKUP, backup_id,
                             'The guest went silent.', 'details')
    view = client.v1('GET', '/backups/%s' % backup_id).json['backup']
    assert view['fault']['message'] == 'The guest went silent.'
    assert view['fault']['created']
    assert 'datastore' not in view


def _ids(resp):
    assert resp.status_int == 200, resp.text
    return [view['id'] for view in resp.json['backups']]


def test_list_pages_by_offset(client, instance, ctx, override):
    override('backups_page_size', 2)
    base = datetime.datetime(2026, 1, 1)
    made = [_completed(ctx, instance,
                       updated=base + datetime.timedelta(minutes=n))
            for n in range(3)]
    first = client.v1('GET', '/backups')
    assert _ids(first) == [made[2], made[1]]
    [link] = first.json['links']
    assert link['rel'] == 'next'
    assert link['href'].startswith('https://') and 'marker=2' in link[
        'href']
    second = client.v1('GET', '/backups?marker=2')
    assert _ids(second) == [made[0]]
    assert 'links' not in second.json
    # Upstream gives a next marker whenever a page is full.
    assert 'links' in client.v1('GET', '/backups?limit=1&marker=2').json
    _fault(client.v1('GET', '/backups?marker=x'), 400, 'badRequest')
    _fault(client.v1('GET', '/backups?marker=-1'), 400, 'badRequest')
    assert client.v1('GET', '/backups?marker=9').json == {'backups': []}


def test_list_filters(client, instance, ctx):
    mine = _completed(ctx, instance)
    other = db_utils.add_backup(ctx, 'elsewhere', tenant_id='p1')
    theirs = db_utils.add_backup(ctx, 'x', tenant_id='p2')
    assert set(_ids(client.v1('GET', '/backups'))) == {mine, other}
    assert _ids(client.v1('GET', '/backups?instance_id=%s'
                          % instance.id)) == [mine]
    assert _ids(client.v1('GET', '/backups?datastore=fake')) == [mine]
    _fault(client.v1('GET', '/backups?datastore=nosuch'), 404,
           'itemNotFound')
    assert _ids(client.v1('GET', '/backups?project_id=p2')) == [theirs]
    assert set(_ids(client.v1('GET', '/backups?all_projects=True'))) == {
        mine, other, theirs}


def test_all_projects_is_an_admins(client, instance):
    for query in ('all_projects=true', 'project_id=p2'):
        message = _fault(client.v1('GET', '/backups?' + query,
                                   headers=member()), 403, 'forbidden')
        assert 'backup:index:all_projects' in message
    assert client.v1('GET', '/backups', headers=member()).status_int == 200


def test_instance_backups(client, instance, ctx, override, flavor_rows):
    override('backups_page_size', 1)
    base = datetime.datetime(2026, 1, 1)
    old = _completed(ctx, instance, updated=base)
    new = _completed(ctx, instance, updated=base + datetime.timedelta(1))
    other = db_utils.add_active_instance(ctx)
    _completed(ctx, other)
    path = '/instances/%s/backups' % instance.id
    first = client.v1('GET', path)
    assert _ids(first) == [new]
    assert 'marker=1' in first.json['links'][0]['href']
    assert _ids(client.v1('GET', path + '?marker=1')) == [old]
    _fault(client.v1('GET', '/instances/%s/backups' % UNKNOWN), 404,
           'itemNotFound')
    resp = client.request('GET', '/v1.0/p2' + path, headers=member())
    _fault(resp, 404, 'itemNotFound')


def test_delete_takes_the_children(client, instance, ctx, taskmanager):
    full = _completed(ctx, instance)
    child = _completed(ctx, instance, parent_id=full)
    resp = client.v1('DELETE', '/backups/%s' % full)
    assert resp.status_int == 202, resp.text
    assert resp.body == b''
    method, kwargs = taskmanager.wait()
    assert (method, kwargs['backup_id']) == ('delete_backup', full)
    record = workflow_repo.get(ctx, kwargs['workflow_id'])
    assert workflow_repo.open_arguments(record.arguments) == {
        'ids': [child, full], 'running': []}
    for backup_id in (full, child):
        assert backup_repo.get(ctx, backup_id).state == 'DELETING'
    shown = client.v1('GET', '/backups/%s' % full).json['backup']
    assert shown['status'] == 'DELETING'


def test_deleting_a_running_backup_takes_it_over(client, instance, ctx,
                                                 taskmanager):
    # The owner can always delete a backup: a running one's guest is
    # told to stop by the delete's flow.
    full = _completed(ctx, instance)
    child = db_utils.add_backup(ctx, instance.id, state='BUILDING',
                                tenant_id='p1', parent_id=full,
                                lock_holder='tm:create')
    resp = client.v1('DELETE', '/backups/%s' % full)
    assert resp.status_int == 202, resp.text
    method, kwargs = taskmanager.wait()
    record = workflow_repo.get(ctx, kwargs['workflow_id'])
    assert workflow_repo.open_arguments(record.arguments) == {
        'ids': [child, full], 'running': [child]}
    assert backup_repo.get(ctx, child).state == 'DELETING'
    assert backup_repo.get(ctx, child).lock_holder == record.holder
    # A delete under way is not started twice.
    message = _fault(client.v1('DELETE', '/backups/%s' % full), 422,
                     'unprocessableEntity')
    assert 'DELETING' in message


def test_a_reader_cannot_create_or_delete(client, instance, ctx):
    backup_id = _completed(ctx, instance)
    reader = {'X-Roles': 'reader'}
    _fault(_create(client, headers=reader, name='b', instance=instance.id),
           403, 'forbidden')
    _fault(client.v1('DELETE', '/backups/%s' % backup_id, headers=reader),
           403, 'forbidden')
    assert client.v1('GET', '/backups/%s' % backup_id,
                     headers=reader).status_int == 200


def test_an_admin_of_another_project_backs_up_and_deletes(
        client, instance, ctx, taskmanager):
    resp = client.request('POST', '/v1.0/p2/backups', body={
        'backup': {'name': 'b', 'instance': instance.id}})
    assert resp.status_int == 202, resp.text
    view = resp.json['backup']
    assert view['project_id'] == 'p1'
    taskmanager.wait()
    resource_locks.finish(ctx, resource_kinds.BACKUP, view['id'],
                          'backup_failed',
                          backup_repo.get(ctx, view['id']).lock_holder)
    resp = client.request('DELETE', '/v1.0/p2/backups/%s' % view['id'])
    assert resp.status_int == 202, resp.text


# -- instance create from a backup --------------------------------------------

def _restore(client, backup_id, size=1, datastore='fake'):
    return client.v1('POST', '/instances', body={'instance': {
        'name': 'restored', 'flavorRef': '1', 'volume': {'size': size},
        'datastore': {'type': datastore, 'version': '1.0'},
        'restorePoint': {'backupRef': backup_id}}})


def _instances(ctx):
    return instance_repo.list_instances(ctx)


def test_restore_records_the_backup(client, instance, ctx, taskmanager):
    backup_id = _completed(ctx, instance, size=0.5)
    resp = _restore(client, backup_id)
    assert resp.status_int == 200, resp.text
    method, kwargs = taskmanager.wait()
    assert method == 'create_instance'
    record = workflow_repo.get(ctx, kwargs['workflow_id'])
    assert workflow_repo.open_arguments(
        record.arguments)['backup_id'] == backup_id


def test_a_restore_whose_object_is_gone_is_404(client, instance, ctx,
                                               storage_dir):
    backup_id = _completed(ctx, instance, size=0.5)
    for name in os.listdir(storage_dir):
        os.unlink(storage_dir / name)
    before = len(_instances(ctx))
    message = _fault(_restore(client, backup_id), 404, 'itemNotFound')
    assert 'was not found in the object storage' in message
    assert len(_instances(ctx)) == before


def test_restore_refusals_create_nothing(client, instance, ctx):
    datastores.update_datastore(ctx, 'mysql')
    datastores.upsert_version(ctx, 'mysql', '1.0', 'mysql')
    running = db_utils.add_backup(
        ctx, instance.id, state='BUILDING', tenant_id='p1',
        datastore_version_id=instance.datastore_version_id)
    large = _completed(ctx, instance, size=1.5)
    small = _completed(ctx, instance, size=0.5)
    theirs = db_utils.add_backup(
        ctx, instance.id, state='COMPLETED', tenant_id='p2',
        datastore_version_id=instance.datastore_version_id)
    before = len(_instances(ctx))
    message = _fault(_restore(client, running), 409, 'conflict')
    assert message == ('Unable to create instance because backup %s is not '
                       'completed. Actual state: BUILDING.' % running)
    _fault(_restore(client, large), 403, 'forbidden')
    _fault(_restore(client, small, datastore='mysql'), 400, 'badRequest')
    _fault(_restore(client, UNKNOWN), 404, 'itemNotFound')
    resp = client.request('POST', '/v1.0/p1/instances', headers=member(),
                          body={'instance': {
                              'name': 'r', 'flavorRef': '1',
                              'volume': {'size': 1},
                              'datastore': {'type': 'fake',
                                            'version': '1.0'},
                              'restorePoint': {'backupRef': theirs}}})
    _fault(resp, 404, 'itemNotFound')
    resp = client.v1('POST', '/instances', body={'instance': {
        'name': 'r', 'flavorRef': '1', 'volume': {'size': 1},
        'restorePoint': {}}})
    _fault(resp, 400, 'badRequest')
    assert len(_instances(ctx)) == before
