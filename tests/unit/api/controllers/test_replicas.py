"""The replication routes: replica create, show and list, detach
(PUT/PATCH), promote and eject, and a source's delete; every refusal
with upstream's status and fault, and nothing created or changed.
"""

import datetime
import json

import pytest

from tests.unit.api.conftest import member
from tests.unit import db_utils
from tests.unit import rpc_fixtures
from tests.unit.rpc_fixtures import conf_overrides  # noqa: F401
from tests.unit.rpc_fixtures import memory_bus  # noqa: F401
from tests.unit.rpc_fixtures import notifications  # noqa: F401
from tests.unit.rpc_fixtures import start_service  # noqa: F401
from tests import waiting
from trove_lite.common import replication_reports
from trove_lite.common import states
from trove_lite.db import models
from trove_lite.db.repositories import instances as instance_repo
from trove_lite.db.repositories import workflows as workflow_repo

UNKNOWN = '8b1f5e9c-8a43-4b4a-9b7e-0f1f2a3b4c5d'


@pytest.fixture
def source(ctx, flavor_rows):
    """An ACTIVE, HEALTHY ``fake`` instance of p1 (flavor 1, 1 GB)."""
    return db_utils.add_active_instance(ctx)


def _replica_of(ctx, source_id, project='p1'):
    """An ACTIVE, HEALTHY instance following ``source_id``."""
    row = db_utils.add_active_instance(ctx, project=project)
    instance_repo.update(ctx, row.id, slave_of_id=source_id)
    return instance_repo.get(ctx, row.id)


@pytest.fixture
def group(ctx, source):
    """``(source, [replica, replica])`` in id order."""
    replicas = sorted((_replica_of(ctx, source.id) for _ in range(2)),
                      key=lambda row: row.id)
    return source, replicas


def _fault(resp, status, name):
    assert resp.status_int == status, resp.text
    assert list(resp.json) == [name], resp.text
    assert resp.json[name]['code'] == status
    return resp.json[name]['message']


def _snapshot(ctx):
    """Every live instance's ``(task, holder, source, name, failover)``
    and the recorded workflows: what a refused request must leave as it
    was.
    """
    rows = {row.id: (states.task(row.task_id).name, row.lock_holder,
                     row.slave_of_id, row.name, row.failover)
            for row in instance_repo.list_instances(ctx)}
    return rows, workflow_repo.claimable(ctx, grace_seconds=-1)


def _stale(ctx, instance_id, seconds=3600):
    db_utils.update_rows(
        ctx, models.AgentHeartbeat, {'instance_id': instance_id},
        updated_at=models.utcnow() - datetime.timedelta(seconds=seconds))


def _create(client, headers=None, **fields):
    return client.v1('POST', '/instances', body={'instance': fields},
                     headers=headers)


def _action(client, instance_id, name, headers=None):
    return client.v1('POST', '/instances/%s/action' % instance_id,
                     body={name: {}}, headers=headers)


# -- create --------------------------------------------------------------------

def test_a_replica_is_made_of_its_source(client, source, taskmanager, ctx):
    resp = _create(client, name='r', replica_of=source.id)
    assert resp.status_int == 200, resp.text
    view = resp.json['instance']
    assert view['status'] == 'BUILD'
    assert view['replica_of']['id'] == source.id
    assert view['replica_of']['links'][0]['href'].endswith(
        '/instances/%s' % source.id)
    # The source's flavor, volume size and datastore version.
    assert view['flavor']['id'] == '1'
    assert view['volume']['size'] == 1
    assert view['datastore']['type'] == 'fake'
    assert view['datastore']['version'] == '1.0'
    assert 'password' not in view
    row = instance_repo.get(ctx, view['id'])
    assert row.slave_of_id == source.id
    assert row.datastore_version_id == source.datastore_version_id
    method, kwargs = taskmanager.wait()
    assert (method, kwargs['instance_id']) == ('create_instance', view['id'])
    record = workflow_repo.get(ctx, kwargs['workflow_id'])
    assert workflow_repo.open_arguments(record.arguments) == {
        'databases': [], 'users': [], 'root_password': None,
        'backup_id': None, 'replica_of': source.id}
    # The source names it among its replicas.
    shown = client.v1('GET', '/instances/%s' % source.id).json['instance']
    assert [replica['id'] for replica in shown['replicas']] == [view['id']]
    assert 'replica_of' not in shown


def test_a_replica_may_ask_for_another_flavor_and_size(client, source,
                                                       taskmanager, ctx):
    resp = _create(client, name='r', replica_of=source.id, flavorRef='2',
                   volume={'size': 3},
                   datastore={'type': 'fake', 'version': '1.0'})
    assert resp.status_int == 200, resp.text
    row = instance_repo.get(ctx, resp.json['instance']['id'])
    assert (row.flavor_id, row.volume_size) == ('2', 3)


def test_several_replicas_are_named_and_built_each(client, source,
                                                   taskmanager, ctx):
    resp = _create(client, name='r', replica_of=source.id, replica_count=3)
    assert resp.status_int == 200, resp.text
    replicas = instance_repo.list_instances(ctx)
    names = sorted(row.name for row in replicas if row.id != source.id)
    assert names == ['r-1', 'r-2', 'r-3']
    assert resp.json['instance']['name'] == 'r-1'
    assert all(row.slave_of_id == source.id for row in replicas
               if row.id != source.id)
    assert waiting.wait_for(lambda: len(taskmanager.calls) == 3)
    built = {kwargs['instance_id'] for _, kwargs in taskmanager.calls}
    assert built == {row.id for row in replicas if row.id != source.id}
    # One workflow each.
    assert len({kwargs['workflow_id']
                for _, kwargs in taskmanager.calls}) == 3


def test_the_failover_choice_is_stored(client, source, taskmanager, ctx):
    resp = _create(client, name='r', replica_of=source.id, failover=True)
    assert resp.status_int == 200, resp.text
    assert instance_repo.get(ctx, resp.json['instance']['id']).failover
    replica_id = resp.json['instance']['id']
    resp = client.v1('PUT', '/instances/%s' % source.id,
                     body={'instance': {'failover': False}})
    assert resp.status_int == 202, resp.text
    assert instance_repo.get(ctx, source.id).failover is False
    # The choice is the group's: a member promoted one day fails over as
    # its source did.
    assert instance_repo.get(ctx, replica_id).failover is False
    client.v1('PUT', '/instances/%s' % source.id,
              body={'instance': {'failover': True}})
    resp = _create(client, name='r2', replica_of=source.id)
    assert instance_repo.get(ctx, resp.json['instance']['id']).failover


def test_the_quota_counts_every_replica(client, source, taskmanager, ctx,
                                        override):
    override('max_instances_per_tenant', 3)
    before = _snapshot(ctx)
    resp = _create(client, name='r', replica_of=source.id, replica_count=3)
    assert _fault(resp, 413, 'overLimit') == \
        'Quota exceeded for resources: instances.'
    assert _snapshot(ctx) == before
    assert taskmanager.calls == []
    override('max_ram_per_tenant', 2 * 512)
    resp = _create(client, name='r', replica_of=source.id, replica_count=2)
    assert _fault(resp, 413, 'overLimit') == \
        'Quota exceeded for resources: ram.'
    assert _snapshot(ctx) == before
    resp = _create(client, name='r', replica_of=source.id, replica_count=2,
                   flavorRef='ab-c')
    assert resp.status_int == 413
    assert _create(client, name='r', replica_of=source.id).status_int == 200


@pytest.mark.parametrize('fields, status, name, text', [
    ({'replica_of': UNKNOWN}, 404, 'itemNotFound', UNKNOWN),
    ({'replica_of': 'not-a-uuid'}, 400, 'badRequest', 'Validation error'),
    ({'replica_count': 2}, 400, 'badRequest', 'replica_count needs '
     'replica_of'),
    ({'replica_of': '{source}', 'replica_count': 4}, 400, 'badRequest',
     'Validation error'),
    ({'replica_of': '{source}', 'replica_count': 0}, 400, 'badRequest',
     'Validation error'),
    ({'replica_of': '{source}', 'databases': [{'name': 'app'}]}, 400,
     'badRequest', 'Cannot create databases when creating replicas.'),
    ({'replica_of': '{source}', 'users': [{'name': 'u', 'password': 'p'}]},
     400, 'badRequest', 'Cannot create users when creating replicas.'),
    ({'replica_of': '{source}', 'restorePoint': {'backupRef': UNKNOWN}},
     400, 'badRequest', 'Cannot create a restore point when creating '
     'replicas.'),
    ({'replica_of': '{source}', 'datastore': {'type': 'mysql'}}, 400,
     'badRequest', 'A replica has the datastore and version of its source '
     '(fake 1.0).'),
    ({'replica_of': '{source}', 'datastore': {'type': 'fake',
                                              'version': '2.0'}}, 400,
     'badRequest', 'A replica has the datastore and version of its'),
    ({'replica_of': '{source}', 'flavorRef': '99'}, 400, 'badRequest',
     '99'),
    ({'replica_of': '{source}', 'volume': {'size': 11}}, 413, 'overLimit',
     ''),
])
def test_bad_replica_requests_create_nothing(client, source, taskmanager,
                                             ctx, fields, status, name,
                                             text):
    fields = {key: source.id if value == '{source}' else value
              for key, value in fields.items()}
    before = _snapshot(ctx)
    message = _fault(_create(client, name='r', **fields), status, name)
    assert text in message
    assert _snapshot(ctx) == before
    assert taskmanager.calls == []


def test_a_replica_of_another_project_s_instance_is_404(client, ctx,
                                                        flavor_rows,
                                                        taskmanager):
    theirs = db_utils.add_active_instance(ctx, project='p2')
    before = _snapshot(ctx)
    message = _fault(_create(client, headers=member(), name='r',
                             replica_of=theirs.id), 404, 'itemNotFound')
    assert theirs.id in message
    assert _snapshot(ctx) == before


def test_a_replica_of_a_replica_is_refused_as_upstream(client, group,
                                                       taskmanager, ctx):
    """Upstream raises its Forbidden, whose code is 401."""
    _, [replica, _] = group
    before = _snapshot(ctx)
    message = _fault(_create(client, name='r', replica_of=replica.id),
                     401, 'unauthorized')
    assert message == 'Cannot create a replica of a replica %s.' % replica.id
    assert _snapshot(ctx) == before
    assert taskmanager.calls == []


def test_a_datastore_without_a_strategy_has_no_replicas(client, source,
                                                        taskmanager, ctx,
                                                        override):
    override('replication_strategy', None, group='fake')
    before = _snapshot(ctx)
    message = _fault(_create(client, name='r', replica_of=source.id), 400,
                     'badRequest')
    assert message == (
        'Replication is not supported for the fake datastore: [fake] '
        'replication_strategy is not set.')
    assert _snapshot(ctx) == before


def _restarting(ctx, row):
    instance_repo.start(ctx, row.id, 'restart', 'api@h:restart')


def _held(ctx, row):
    instance_repo.update(ctx, row.id, lock_holder='tm:worker')


def _server_down(ctx, row):
    instance_repo.update(ctx, row.id, server_status='SHUTOFF')


def _lost(ctx, row):
    _stale(ctx, row.id)


def _building_guest(ctx, row):
    instance_repo.set_service_status(ctx, row.id, states.SVC_BUILDING)


def _backing_up(ctx, row):
    db_utils.add_backup(ctx, row.id, state='BUILDING', tenant_id='p1')


@pytest.mark.parametrize('make_busy, task', [
    (_restarting, 'REBOOTING'), (_held, 'NONE'), (_server_down, 'SHUTOFF'),
    (_lost, 'ERROR'), (_building_guest, 'BUILD'), (_backing_up, 'BACKUP'),
])
def test_a_source_that_is_not_active_and_idle_is_422(client, source,
                                                     taskmanager, ctx,
                                                     make_busy, task):
    make_busy(ctx, source)
    before = _snapshot(ctx)
    message = _fault(_create(client, name='r', replica_of=source.id), 422,
                     'unprocessableEntity')
    assert '(task status was %s)' % task in message
    assert _snapshot(ctx) == before
    assert taskmanager.calls == []


# -- show and list -----------------------------------------------------------

def _beat(ctx, instance_id, replication):
    instance_repo.record_heartbeat(
        ctx, instance_id, 10.0 ** 10, states.SVC_HEALTHY, '0.1.0',
        replication=replication_reports.dump(replication))


def test_lists_show_who_follows_whom(client, group, ctx):
    source, [first, second] = group
    lone = db_utils.add_active_instance(ctx)
    instance_repo.mark_deleted(ctx, db_utils.add_active_instance(ctx).id)
    db_utils.update_rows(ctx, models.Instance, {'deleted': True},
                         slave_of_id=source.id)
    for path in ('/instances', '/instances/detail'):
        listed = {view['id']: view
                  for view in client.v1('GET', path).json['instances']}
        assert set(listed) == {source.id, first.id, second.id, lone.id}
        assert [r['id'] for r in listed[source.id]['replicas']] == [
            first.id, second.id]
        assert listed[first.id]['replica_of']['id'] == source.id
        assert listed[second.id]['replica_of']['id'] == source.id
        for key in ('replicas', 'replica_of'):
            assert key not in listed[lone.id]
        assert 'replicas' not in listed[first.id]


def test_the_detail_shows_what_the_guests_say_of_replication(client, group,
                                                             ctx):
    source, [first, second] = group
    _beat(ctx, source.id, {'role': 'source', 'position': 9})
    _beat(ctx, first.id, {'role': 'replica', 'running': True, 'lag': 0.25,
                          'source': {'host': 'h', 'port': 1}})
    _beat(ctx, second.id, {'role': 'replica', 'running': False,
                           'error': 'connection refused'})
    lone = db_utils.add_active_instance(ctx)

    def replication(instance_id):
        return client.v1('GET', '/instances/%s' % instance_id).json[
            'instance'].get('replication')

    assert replication(source.id) == {'role': 'source',
                                      'reported_role': 'source'}
    assert replication(first.id) == {
        'role': 'replica', 'reported_role': 'replica', 'running': True,
        'lag': 0.25, 'error': None}
    assert replication(second.id) == {
        'role': 'replica', 'reported_role': 'replica', 'running': False,
        'lag': None, 'error': 'connection refused'}
    assert replication(lone.id) is None
    # A guest that says nothing (yet), or something damaged.
    db_utils.update_rows(ctx, models.AgentHeartbeat,
                         {'instance_id': first.id}, replication='{')
    assert replication(first.id) == {
        'role': 'replica', 'reported_role': None, 'running': False,
        'lag': None, 'error': None}
    # Not in the list view.
    listed = client.v1('GET', '/instances').json['instances']
    assert all('replication' not in view for view in listed)


# -- delete ----------------------------------------------------------------------

def test_a_source_with_replicas_cannot_be_deleted(client, group,
                                                  taskmanager, ctx):
    source, [first, second] = group
    before = _snapshot(ctx)
    message = _fault(client.v1('DELETE', '/instances/%s' % source.id), 403,
                     'forbidden')
    assert message == (
        'The replica source %s cannot be deleted while it has replicas; '
        'detach or delete them first.' % source.id)
    assert _snapshot(ctx) == before
    assert taskmanager.calls == []
    # Its replicas can; once they are gone, so can the source.
    for replica in (first, second):
        assert client.v1('DELETE', '/instances/%s' % replica.id
                         ).status_int == 202
        assert taskmanager.wait()[0] == 'delete_instance'
        instance_repo.mark_deleted(ctx, replica.id)
    assert client.v1('DELETE', '/instances/%s' % source.id
                     ).status_int == 202


# -- detach ------------------------------------------------------------------------

@pytest.mark.parametrize('method, body', [
    ('PUT', {'replica_of': None}),
    ('PATCH', {'replica_of': None}),
    ('PATCH', {'slave_of': None}),
    # Only the key counts (upstream's client sends null).
    ('PATCH', {'replica_of': 'anything'}),
])
def test_detach_starts_the_workflow(client, group, taskmanager, ctx,
                                    method, body):
    source, [first, second] = group
    resp = client.v1(method, '/instances/%s' % first.id,
                     body={'instance': body})
    assert resp.status_int == 202, resp.text
    method, kwargs = taskmanager.wait()
    assert (method, kwargs['instance_id']) == ('detach_replica', first.id)
    # The cast only wakes a taskmanager: the holder is in the record.
    assert set(kwargs) == {'instance_id', 'workflow_id'}
    row = instance_repo.get(ctx, first.id)
    assert states.task(row.task_id) is states.DETACHING
    assert row.lock_holder.startswith('api@%s:' % rpc_fixtures.CONF.host)
    # The topology changes when the workflow commits, not before.
    assert row.slave_of_id == source.id
    record = workflow_repo.get(ctx, kwargs['workflow_id'])
    assert (record.resource_id, record.operation, record.holder) == (
        first.id, 'detach', row.lock_holder)
    # Nothing else is touched.
    for other in (source, second):
        assert instance_repo.get(ctx, other.id).lock_holder is None
    shown = client.v1('GET', '/instances/%s' % first.id).json['instance']
    assert shown['status'] == 'DETACH'


def test_detach_and_a_new_name_together(client, group, taskmanager, ctx):
    _, [first, _] = group
    resp = client.v1('PATCH', '/instances/%s' % first.id,
                     body={'instance': {'name': 'standalone',
                                        'replica_of': None}})
    assert resp.status_int == 202, resp.text
    assert taskmanager.wait()[0] == 'detach_replica'
    row = instance_repo.get(ctx, first.id)
    assert row.name == 'standalone'
    assert states.task(row.task_id) is states.DETACHING


def test_detach_of_an_instance_that_follows_nobody_is_400(client, group,
                                                          taskmanager, ctx):
    source, _ = group
    lone = db_utils.add_active_instance(ctx)
    before = _snapshot(ctx)
    for instance_id in (source.id, lone.id):
        resp = client.v1('PATCH', '/instances/%s' % instance_id,
                         body={'instance': {'name': 'new',
                                            'replica_of': None}})
        message = _fault(resp, 400, 'badRequest')
        assert message == 'Instance %s is not a replica.' % instance_id
    assert _snapshot(ctx) == before
    assert taskmanager.calls == []


def test_detach_of_a_busy_replica_changes_nothing(client, group,
                                                  taskmanager, ctx):
    """The refusal comes before the new name is stored."""
    _, [first, _] = group
    _restarting(ctx, first)
    before = _snapshot(ctx)
    resp = client.v1('PATCH', '/instances/%s' % first.id,
                     body={'instance': {'name': 'new', 'replica_of': None}})
    _fault(resp, 422, 'unprocessableEntity')
    assert _snapshot(ctx) == before
    assert taskmanager.calls == []


@pytest.mark.parametrize('method, body, status, name', [
    # PUT knows no slave_of (upstream's PUT schema).
    ('PUT', {'slave_of': None}, 400, 'badRequest'),
    ('PATCH', {'replica_of': None, 'failover': True}, 400, 'badRequest'),
    ('PATCH', {'failover': 'yes'}, 400, 'badRequest'),
])
def test_bad_updates_change_nothing(client, group, taskmanager, ctx,
                                    method, body, status, name):
    _, [first, _] = group
    before = _snapshot(ctx)
    resp = client.v1(method, '/instances/%s' % first.id,
                     body={'instance': body})
    _fault(resp, status, name)
    assert _snapshot(ctx) == before
    assert taskmanager.calls == []


# -- promote -----------------------------------------------------------------

def test_promote_locks_the_whole_group_and_records_the_change(
        client, group, taskmanager, ctx):
    source, [first, second] = group
    resp = _action(client, second.id, 'promote_to_replica_source',
                   headers=member())
    assert resp.status_int == 202, resp.text
    method, kwargs = taskmanager.wait()
    assert (method, kwargs['instance_id']) == ('promote_to_replica_source',
                                               second.id)
    record = workflow_repo.get(ctx, kwargs['workflow_id'])
    holder = record.holder
    assert holder.startswith('api@%s:' % rpc_fixtures.CONF.host)
    for member_id in (source.id, first.id, second.id):
        row = instance_repo.get(ctx, member_id)
        assert states.task(row.task_id) is states.PROMOTING
        assert row.lock_holder == holder
    assert (record.resource_id, record.operation) == (second.id, 'promote')
    assert workflow_repo.open_arguments(record.arguments) == {
        'source_id': source.id,
        'members': [source.id, first.id, second.id]}
    # The topology is the workflow's to change.
    assert instance_repo.get(ctx, second.id).slave_of_id == source.id
    shown = client.v1('GET', '/instances/%s' % source.id).json['instance']
    assert shown['status'] == 'PROMOTE'


def test_promote_of_a_source_or_a_lone_instance_is_400(client, group,
                                                       taskmanager, ctx):
    source, _ = group
    lone = db_utils.add_active_instance(ctx)
    before = _snapshot(ctx)
    for instance_id in (source.id, lone.id):
        message = _fault(_action(client, instance_id,
                                 'promote_to_replica_source'), 400,
                         'badRequest')
        assert message == 'Instance %s is not a replica.' % instance_id
    assert _snapshot(ctx) == before
    assert taskmanager.calls == []


@pytest.mark.parametrize('busy', ['source', 'other replica', 'itself'])
@pytest.mark.parametrize('make_busy', [_restarting, _held])
def test_promote_with_a_busy_member_locks_nobody(client, group, taskmanager,
                                                 ctx, busy, make_busy):
    source, [first, second] = group
    make_busy(ctx, {'source': source, 'other replica': first,
                    'itself': second}[busy])
    before = _snapshot(ctx)
    _fault(_action(client, second.id, 'promote_to_replica_source'), 422,
           'unprocessableEntity')
    assert _snapshot(ctx) == before
    assert taskmanager.calls == []


@pytest.mark.parametrize('make_busy', [_server_down, _lost, _backing_up])
def test_promote_of_a_replica_that_is_not_active_is_422(
        client, group, taskmanager, ctx, make_busy):
    _, [first, _] = group
    make_busy(ctx, first)
    before = _snapshot(ctx)
    _fault(_action(client, first.id, 'promote_to_replica_source'), 422,
           'unprocessableEntity')
    assert _snapshot(ctx) == before


def test_promote_notifies_its_start(notifications, client, group,  # noqa: F811
                                    taskmanager, ctx):
    _, [first, _] = group
    assert _action(client, first.id,
                   'promote_to_replica_source').status_int == 202
    _, kwargs = taskmanager.wait()
    # The taskmanager ends it; the API starts it and hands it off.
    assert notifications.types() == ['dbaas.instance_promote.start']
    record = workflow_repo.get(ctx, kwargs['workflow_id'])
    assert json.loads(record.notification)['operation'] == \
        'instance_promote'


# -- eject -----------------------------------------------------------------------

def test_eject_of_a_lost_source_locks_the_group(client, group, taskmanager,
                                                ctx, override):
    source, [first, second] = group
    override('agent_heartbeat_expiry', 60)
    _stale(ctx, source.id, seconds=61)
    resp = _action(client, source.id, 'eject_replica_source')
    assert resp.status_int == 202, resp.text
    method, kwargs = taskmanager.wait()
    assert (method, kwargs['instance_id']) == ('eject_replica_source',
                                               source.id)
    record = workflow_repo.get(ctx, kwargs['workflow_id'])
    assert (record.resource_id, record.operation) == (source.id, 'eject')
    for member_id in (source.id, first.id, second.id):
        row = instance_repo.get(ctx, member_id)
        assert states.task(row.task_id) is states.EJECTING
        assert row.lock_holder == record.holder
    assert workflow_repo.open_arguments(record.arguments) == {
        'source_id': source.id,
        'members': [source.id, first.id, second.id]}


def test_eject_of_a_source_never_heard_of_goes_ahead(client, group,
                                                     taskmanager, ctx):
    source, _ = group
    db_utils.update_rows(ctx, models.AgentHeartbeat,
                         {'instance_id': source.id}, deleted=True)
    assert _action(client, source.id,
                   'eject_replica_source').status_int == 202
    assert taskmanager.wait()[0] == 'eject_replica_source'


def test_eject_while_the_source_lives_is_400(client, group, taskmanager,
                                             ctx, override):
    source, _ = group
    override('agent_heartbeat_expiry', 60)
    _stale(ctx, source.id, seconds=30)
    before = _snapshot(ctx)
    message = _fault(_action(client, source.id, 'eject_replica_source'),
                     400, 'badRequest')
    assert message.startswith(
        'Replica source %s cannot be ejected: its last heartbeat was '
        % source.id)
    assert 'less than agent_heartbeat_expiry (60 s). Promote a replica ' \
        'instead.' in message
    assert _snapshot(ctx) == before
    assert taskmanager.calls == []


def test_eject_of_a_replica_or_a_lone_instance_is_400(client, group,
                                                      taskmanager, ctx):
    source, [first, _] = group
    lone = db_utils.add_active_instance(ctx)
    for row in (first, lone):
        _stale(ctx, row.id)
    before = _snapshot(ctx)
    for instance_id in (first.id, lone.id):
        message = _fault(_action(client, instance_id,
                                 'eject_replica_source'), 400, 'badRequest')
        assert message == 'Instance %s is not a replica source.' % instance_id
    assert _snapshot(ctx) == before
    assert taskmanager.calls == []


def test_eject_with_a_busy_replica_locks_nobody(client, group, taskmanager,
                                                ctx):
    source, [first, _] = group
    _stale(ctx, source.id)
    _restarting(ctx, first)
    before = _snapshot(ctx)
    _fault(_action(client, source.id, 'eject_replica_source'), 422,
           'unprocessableEntity')
    assert _snapshot(ctx) == before


@pytest.mark.parametrize('action', ['promote_to_replica_source',
                                    'eject_replica_source'])
def test_a_reader_may_not_change_a_group(client, group, taskmanager, ctx,
                                         action):
    source, [first, _] = group
    _stale(ctx, source.id)
    target = first if action == 'promote_to_replica_source' else source
    before = _snapshot(ctx)
    _fault(_action(client, target.id, action, headers={'X-Roles': 'reader'}),
           403, 'forbidden')
    assert _snapshot(ctx) == before


def test_another_project_s_group_is_404(client, ctx, flavor_rows,
                                        taskmanager):
    theirs = db_utils.add_active_instance(ctx, project='p2')
    replica = _replica_of(ctx, theirs.id, project='p2')
    _stale(ctx, theirs.id)
    for instance_id, action in ((replica.id, 'promote_to_replica_source'),
                                (theirs.id, 'eject_replica_source')):
        _fault(_action(client, instance_id, action, headers=member()), 404,
               'itemNotFound')
    assert taskmanager.calls == []
