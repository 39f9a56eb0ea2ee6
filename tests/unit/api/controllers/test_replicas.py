"""Replica create, detach, promote, eject and delete at the API."""

import datetime
import time

import pytest

from tests.unit.api.conftest import member
from tests.unit import db_utils
from trove_lite.common import states
from trove_lite.db import models
from trove_lite.db.repositories import instances as instance_repo
from trove_lite.db.repositories import workflows as workflow_repo


def _active(ctx, instance_id):
    instance_repo.update(ctx, instance_id,
                         server_status=states.SERVER_ACTIVE)
    instance_repo.finish(ctx, instance_id, 'build_done', None)
    instance_repo.record_heartbeat(ctx, instance_id, time.time(),
                                   states.SVC_HEALTHY, '0.1.0')


@pytest.fixture
def source(client, ctx, mysql, flavor_rows, taskmanager):
    """An ACTIVE, HEALTHY mysql instance (the API's project)."""
    resp = client.v1('POST', '/instances', body={'instance': {
        'name': 'src', 'flavorRef': '1', 'volume': {'size': 2},
        'datastore': {'type': 'mysql', 'version': '10.11'}}})
    assert resp.status_int == 200, resp.text
    taskmanager.wait()
    _active(ctx, resp.json['instance']['id'])
    return resp.json['instance']['id']


def _replicate(client, source_id, **fields):
    return client.v1('POST', '/instances', body={'instance': dict(
        name='rep', replica_of=source_id, **fields)})


def _ids(ctx):
    return {row.id for row in instance_repo.list_instances(ctx)}


def test_replicas_take_the_source_flavor_and_volume(client, ctx, source,
                                                    taskmanager):
    resp = _replicate(client, source, replica_count=2)
    assert resp.status_int == 200, resp.text
    shown = resp.json['instance']
    assert shown['replica_of']['id'] == source
    assert shown['volume'] == {'size': 2} and shown['flavor']['id'] == '1'
    replicas = instance_repo.list_instances(ctx)
    names = sorted(row.name for row in replicas if row.slave_of_id)
    assert names == ['rep-1', 'rep-2']
    taskmanager.wait()
    records = [workflow_repo.get(ctx, kwargs['workflow_id'])
               for method, kwargs in taskmanager.calls
               if method == 'create_instance'
               and kwargs['instance_id'] != source]
    assert len(records) == 2
    for record in records:
        arguments = workflow_repo.open_arguments(record.arguments)
        assert arguments['replica_of'] == source
    listed = client.v1('GET', '/instances/' + source).json['instance']
    assert sorted(r['id'] for r in listed['replicas']) == sorted(
        row.id for row in replicas if row.slave_of_id)
    assert listed['replication'] == {'role': 'source',
                                     'reported_role': None}


@pytest.mark.parametrize('fields,status,fault', [
    ({'databases': [{'name': 'a'}]}, 400, 'badRequest'),
    ({'users': [{'name': 'u', 'password': 'p'}]}, 400, 'badRequest'),
    ({'datastore': {'type': 'postgresql'}}, 400, 'badRequest'),
    ({'replica_count': 4}, 400, 'badRequest'),
])
def test_bad_replica_requests_create_nothing(client, ctx, source, fields,
                                             status, fault):
    before = _ids(ctx)
    resp = _replicate(client, source, **fields)
    assert resp.status_int == status, resp.text
    assert fault in resp.json
    assert _ids(ctx) == before


def test_replica_of_an_unknown_instance_is_404(client, ctx, source):
    resp = _replicate(client, '00000000-0000-4000-8000-000000000000')
    assert resp.status_int == 404
    assert 'itemNotFound' in resp.json


def test_replica_of_another_projects_instance_is_404(client, ctx, source):
    before = _ids(ctx)
    resp = client.request('POST', '/v1.0/p2/instances', body={'instance': {
        'name': 'rep', 'replica_of': source}}, headers=member())
    assert resp.status_int == 404, resp.text
    assert list(resp.json) == ['itemNotFound']
    assert _ids(ctx) == before


def test_replica_of_a_replica_is_upstreams_401(client, ctx, source):
    first = _replicate(client, source).json['instance']['id']
    _active(ctx, first)
    resp = _replicate(client, first)
    assert resp.status_int == 401
    assert 'unauthorized' in resp.json
    assert 'replica of a replica' in resp.json['unauthorized']['message']


def test_replica_of_a_building_source_is_422(client, ctx, source):
    instance_repo.start(ctx, source, 'restart', 'someone')
    resp = _replicate(client, source)
    assert resp.status_int == 422
    assert 'unprocessableEntity' in resp.json


def test_replica_without_a_strategy_is_400(client, ctx, source, override):
    override('replication_strategy', None, group='mysql')
    resp = _replicate(client, source)
    assert resp.status_int == 400
    assert 'Replication is not supported' in resp.json['badRequest'][
        'message']


def test_replica_count_without_replica_of_is_400(client, mysql,
                                                 flavor_rows):
    resp = client.v1('POST', '/instances', body={'instance': {
        'name': 'x', 'flavorRef': '1', 'volume': {'size': 1},
        'datastore': {'type': 'mysql'}, 'replica_count': 2}})
    assert resp.status_int == 400


def test_quota_counts_every_replica(client, ctx, source, override):
    override('max_instances_per_tenant', 2)
    before = _ids(ctx)
    resp = _replicate(client, source, replica_count=2)
    assert resp.status_int == 413
    assert _ids(ctx) == before


@pytest.fixture
def replica(client, ctx, source, taskmanager):
    replica_id = _replicate(client, source).json['instance']['id']
    taskmanager.wait()
    _active(ctx, replica_id)
    return replica_id


def test_source_with_replicas_cannot_be_deleted(client, ctx, source,
                                                replica):
    resp = client.v1('DELETE', '/instances/' + source)
    assert resp.status_int == 403
    assert 'forbidden' in resp.json
    assert states.task(instance_repo.get(ctx, source).task_id) is \
        states.NONE


def test_database_changes_on_a_replica_are_refused(client, replica):
    resp = client.v1('POST', '/instances/%s/databases' % replica,
                     body={'databases': [{'name': 'nope'}]})
    assert resp.status_int == 400
    assert 'read-only replica' in resp.json['badRequest']['message']


@pytest.mark.parametrize('method', ['PUT', 'PATCH'])
def test_detach_starts_a_recorded_workflow(client, ctx, replica,
                                           taskmanager, method):
    key = 'replica_of' if method == 'PUT' else 'slave_of'
    resp = client.v1(method, '/instances/' + replica,
                     body={'instance': {key: None}})
    assert resp.status_int == 202, resp.text
    row = instance_repo.get(ctx, replica)
    assert states.task(row.task_id) is states.DETACHING
    taskmanager.wait()
    method_name, kwargs = taskmanager.calls[-1]
    assert method_name == 'detach_replica'
    assert workflow_repo.get(ctx, kwargs['workflow_id']).operation == \
        'detach'


def test_detach_of_a_lone_instance_is_400(client, source):
    resp = client.v1('PUT', '/instances/' + source,
                     body={'instance': {'replica_of': None}})
    assert resp.status_int == 400


def test_failover_is_the_groups_choice(client, ctx, source, replica,
                                       taskmanager):
    resp = client.v1('PUT', '/instances/' + source,
                     body={'instance': {'failover': True}})
    assert resp.status_int == 202
    for instance_id in (source, replica):
        assert instance_repo.get(ctx, instance_id).failover is True
    # A new replica takes the group's choice.
    second = _replicate(client, source).json['instance']['id']
    assert instance_repo.get(ctx, second).failover is True


def test_promote_locks_the_whole_group(client, ctx, source, replica,
                                       taskmanager):
    resp = client.v1('POST', '/instances/%s/action' % replica,
                     body={'promote_to_replica_source': {}})
    assert resp.status_int == 202, resp.text
    rows = [instance_repo.get(ctx, i) for i in (source, replica)]
    assert {states.task(row.task_id) for row in rows} == {states.PROMOTING}
    assert len({row.lock_holder for row in rows}) == 1
    taskmanager.wait()
    method, kwargs = taskmanager.calls[-1]
    assert method == 'promote_to_replica_source'
    record = workflow_repo.get(ctx, kwargs['workflow_id'])
    arguments = workflow_repo.open_arguments(record.arguments)
    assert arguments['source_id'] == source
    assert sorted(arguments['members']) == sorted([source, replica])
    # Shown as upstream's PROMOTE.
    assert client.v1('GET', '/instances/' + replica).json['instance'][
        'status'] == 'PROMOTE'


def test_promote_of_a_source_is_400(client, source, replica):
    resp = client.v1('POST', '/instances/%s/action' % source,
                     body={'promote_to_replica_source': {}})
    assert resp.status_int == 400
    assert 'is not a replica' in resp.json['badRequest']['message']


def test_eject_needs_a_silent_source(client, ctx, source, replica):
    resp = client.v1('POST', '/instances/%s/action' % source,
                     body={'eject_replica_source': {}})
    assert resp.status_int == 400
    assert 'cannot be ejected' in resp.json['badRequest']['message']
    db_utils.update_rows(
        ctx, models.AgentHeartbeat, {'instance_id': source},
        updated_at=models.utcnow() - datetime.timedelta(hours=2))
    resp = client.v1('POST', '/instances/%s/action' % source,
                     body={'eject_replica_source': {}})
    assert resp.status_int == 202, resp.text
    assert states.task(instance_repo.get(ctx, replica).task_id) is \
        states.EJECTING


def test_eject_of_an_instance_without_replicas_is_400(client, source):
    resp = client.v1('POST', '/instances/%s/action' % source,
                     body={'eject_replica_source': {}})
    assert resp.status_int == 400
    assert 'not a replica source' in resp.json['badRequest']['message']
