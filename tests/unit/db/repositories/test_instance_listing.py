"""Pages of instances read in one statement, with their facts."""

import datetime

import pytest
import sqlalchemy as sa

from trove_lite.common import exception
from trove_lite.common import states
from trove_lite.db import api as db_api
from trove_lite.db import models
from trove_lite.db.repositories import datastores
from trove_lite.db.repositories import instance_listing
from trove_lite.db.repositories import instances


def _create(ctx, name, project='p1', version_id=None, **values):
    row = instances.create(ctx, dict({
        'name': name, 'tenant_id': project, 'flavor_id': '1',
        'volume_size': 1, 'datastore_version_id': version_id}, **values))
    return row.id


def test_a_page_carries_status_heartbeat_and_version(ctx):
    datastores.update_datastore(ctx, 'mysql')
    version = datastores.upsert_version(ctx, 'mysql', '10.11',
                                        'mysql')
    instance_id = _create(ctx, 'db1', version_id=version.id)
    instances.finish(ctx, instance_id, 'build_done', None)
    instances.record_heartbeat(ctx, instance_id, 1.0,
                               states.SVC_HEALTHY, '0.1.0', 0.25, 2.0)

    [entry] = instance_listing.list_page(ctx, 10,
                                         project_id='p1')
    assert entry.id == instance_id
    assert entry.instance.name == 'db1'
    assert entry.status_id == states.SVC_HEALTHY.code
    assert entry.status_updated is not None
    assert (entry.heartbeat.volume_used, entry.heartbeat.volume_total) == (
        0.25, 2.0)
    assert entry.version == instance_listing.VersionSummary(
        version.id, '10.11', version.version, 'mysql')
    assert entry.fault is None
    # The instance's key is not read by a list request.
    assert not hasattr(entry.instance, 'encrypted_key')


def test_pages_follow_ids_after_the_marker(ctx):
    ids = sorted(_create(ctx, 'db%d' % n) for n in range(5))
    _create(ctx, 'elsewhere', project='p2')
    first = instance_listing.list_page(ctx, 3, project_id='p1')
    assert [entry.id for entry in first] == ids[:3]
    rest = instance_listing.list_page(ctx, 3, project_id='p1',
                                      marker=first[-1].id)
    assert [entry.id for entry in rest] == ids[3:]
    everyone = instance_listing.list_page(ctx, 10)
    assert len(everyone) == 6


def test_deleted_and_clustered_instances(ctx):
    datastores.update_datastore(ctx, 'mysql')
    version = datastores.upsert_version(ctx, 'mysql', '10.11',
                                        'mysql')
    kept = _create(ctx, 'kept')
    gone = _create(ctx, 'gone')
    instances.mark_deleted(ctx, gone)
    cluster_id = 'c1'
    _add_cluster(ctx, cluster_id, version.id)
    member = _create(ctx, 'member', cluster_id=cluster_id)
    assert [e.id for e in instance_listing.list_page(
        ctx, 10, project_id='p1')] == [kept]
    assert sorted(e.id for e in instance_listing.list_page(
        ctx, 10, project_id='p1', include_clustered=True)) == (
        sorted([kept, member]))


def test_errored_instances_carry_their_newest_fault(ctx):
    instance_id = _create(ctx, 'broken')
    instances.update(ctx, instance_id, task_deadline=(
        models.utcnow() - datetime.timedelta(seconds=1)))
    assert instances.expire(ctx, instance_id,
                            states.BUILDING.code,
                            'the guest never reported', 'details')
    [entry] = instance_listing.list_page(ctx, 10,
                                         project_id='p1')
    assert entry.fault.message == 'the guest never reported'


def test_a_server_its_guest_gave_up_on_carries_the_guests_fault(ctx):
    instance_id = _create(ctx, 'crashing')
    instances.finish(ctx, instance_id, 'build_done', None)
    instances.add_fault(ctx, instance_id, 'stopped on its own 5 times',
                        'Last lines of error.log')
    instances.record_heartbeat(ctx, instance_id, 1.0, states.SVC_HEALTHY,
                               '0.1.0')
    [entry] = instance_listing.list_page(ctx, 10, project_id='p1')
    # Healthy: an old fault is not even read.
    assert entry.fault is None
    instances.record_heartbeat(ctx, instance_id, 2.0, states.SVC_FAILED,
                               '0.1.0')
    [entry] = instance_listing.list_page(ctx, 10, project_id='p1')
    assert entry.status_id == states.SVC_FAILED.code
    assert entry.fault.message == 'stopped on its own 5 times'


def test_a_stray_second_status_row_does_not_repeat_the_instance(
        ctx):
    instance_id = _create(ctx, 'db1')
    _add_status(ctx, instance_id)
    entries = instance_listing.list_page(ctx, 10,
                                         project_id='p1')
    assert [entry.id for entry in entries] == [instance_id]


@db_api.writer
def _add_cluster(ctx, cluster_id, version_id):
    now = models.utcnow()
    ctx.session.add(models.Cluster(
        id=cluster_id, name='c', tenant_id='p1', created=now, updated=now,
        task_id=states.NONE.code, datastore_version_id=version_id))


@db_api.writer
def _add_status(ctx, instance_id):
    ctx.session.add(models.ServiceStatus(
        id='stray', instance_id=instance_id,
        status_id=states.SVC_HEALTHY.code, status_description='healthy'))


def test_one_instance_is_read_the_same_way(ctx):
    instance_id = _create(ctx, 'db1')
    _create(ctx, 'db2')
    entry = instance_listing.get_listed(ctx, instance_id,
                                        project_id='p1')
    assert entry.id == instance_id
    assert entry.status_id == states.SVC_NEW.code
    assert instance_listing.get_listed(ctx, instance_id).id == (
        instance_id)
    for project, target in (('p2', instance_id), ('p1', 'db1')):
        with pytest.raises(exception.InstanceNotFound):
            instance_listing.get_listed(ctx, target,
                                        project_id=project)
    instances.mark_deleted(ctx, instance_id)
    with pytest.raises(exception.InstanceNotFound):
        instance_listing.get_listed(ctx, instance_id)


def test_entries_carry_their_live_replicas(ctx):
    source = _create(ctx, 'source')
    replicas = sorted(_create(ctx, 'r%d' % n, slave_of_id=source)
                      for n in range(3))
    gone = _create(ctx, 'gone', slave_of_id=source)
    instances.mark_deleted(ctx, gone)
    lone = _create(ctx, 'lone')
    entries = {entry.id: entry
               for entry in instance_listing.list_page(ctx, 10)}
    assert entries[source].replicas == tuple(replicas)
    assert entries[source].instance.slave_of_id is None
    assert entries[lone].replicas == ()
    for replica in replicas:
        assert entries[replica].replicas == ()
        assert entries[replica].instance.slave_of_id == source
    # A page of the source alone: its replicas are found all the same.
    assert instance_listing.get_listed(ctx, source).replicas == tuple(
        replicas)
    assert instance_listing.get_listed(ctx, replicas[0]).replicas == ()


def test_entries_carry_the_stored_replication_state(ctx):
    instance_id = _create(ctx, 'db1')
    instances.record_heartbeat(ctx, instance_id, 1.0, states.SVC_HEALTHY,
                               '0.1.0', replication='{"role": "source"}')
    entry = instance_listing.get_listed(ctx, instance_id)
    assert entry.heartbeat.replication == '{"role": "source"}'
    instances.record_heartbeat(ctx, instance_id, 2.0, states.SVC_HEALTHY,
                               '0.1.0')
    entry = instance_listing.get_listed(ctx, instance_id)
    assert entry.heartbeat.replication is None


def test_the_replicas_of_a_page_are_found_through_an_index(ctx):
    # NOTE(listing): without it SQLite walked every live instance for
    # each page, so a page cost more as instances grew.
    with db_api.get_engine().connect() as connection:
        plan = connection.exec_driver_sql(
            'EXPLAIN QUERY PLAN SELECT id FROM instances WHERE slave_of_id '
            "IN ('a', 'b') AND deleted IS 0").all()
    assert 'instances_slave_of_id' in ' '.join(row[-1] for row in plan)


@pytest.mark.parametrize('url', ['mysql+pymysql://', 'mariadb+pymysql://'])
def test_project_pages_on_mysql_walk_the_project_id_index(url):
    dialect = sa.create_engine(url).dialect
    for after_marker in (False, True):
        statement = instance_listing._build(True, after_marker, False)
        assert 'FORCE INDEX (instances_tenant_id_id)' in str(
            statement.compile(dialect=dialect))
    # Not for a page of every project, nor for one instance (its key).
    for args in ((False, True, False), (True, False, True, True)):
        assert 'FORCE INDEX' not in str(instance_listing._build(
            *args).compile(dialect=dialect))
