"""Tasks on the compute driver."""

import pytest

from trove_lite.common import states
from trove_lite.compute import base as compute_base
from trove_lite.compute.fake import driver as fake_driver
from trove_lite.db.repositories import instances
from trove_lite.taskmanager.tasks import base
from trove_lite.taskmanager.tasks import compute


@pytest.fixture
def plain_driver():
    return fake_driver.FakeDriver()


@pytest.fixture
def spec(flavor):
    return compute_base.ServerSpec(name='db',
                                   flavor=compute_base.flavor_of(flavor))


def test_create_server_and_revert(ctx, new_instance, spec, plain_driver):
    row = new_instance()
    instances.claim(ctx, row.id, 'h', states.BUILDING)
    task = compute.CreateServer(plain_driver)
    server = task.execute(ctx, row.id, 'h', row, spec)
    assert plain_driver.specs[row.id] is spec
    assert plain_driver.servers[row.id] == server
    task.revert(ctx, row)
    assert plain_driver.servers == {}


def test_create_server_refuses_without_the_lock(ctx, new_instance, spec,
                                                plain_driver):
    row = new_instance()
    with pytest.raises(base.LockLost):
        compute.CreateServer(plain_driver).execute(ctx, row.id, 'h', row,
                                                   spec)
    assert plain_driver.servers == {}


def test_create_server_notices_a_takeover_during_create(
        ctx, new_instance, spec, plain_driver, monkeypatch):
    row = new_instance()
    instances.claim(ctx, row.id, 'h', states.BUILDING)
    create = plain_driver.create_server

    def create_then_delete_request(*args):
        server = create(*args)
        instances.start(ctx, row.id, 'delete', 'deleter')
        return server

    monkeypatch.setattr(plain_driver, 'create_server',
                        create_then_delete_request)
    with pytest.raises(base.LockLost):
        compute.CreateServer(plain_driver).execute(ctx, row.id, 'h', row,
                                                   spec)


def test_revert_swallows_driver_errors(ctx, new_instance, plain_driver,
                                       monkeypatch, caplog):
    tried = []

    def broken(context, instance):
        tried.append(instance.id)
        raise RuntimeError('stuck')

    monkeypatch.setattr(plain_driver, 'delete_server', broken)
    row = new_instance()
    # Returns instead of raising: the flow's revert goes on.
    assert compute.CreateServer(plain_driver).revert(ctx, row) is None
    assert tried == [row.id]
    assert 'Could not delete the server of instance %s' % row.id in \
        caplog.text


def test_delete_server(ctx, new_instance, spec, plain_driver):
    row = new_instance()
    plain_driver.create_server(ctx, row, spec)
    compute.DeleteServer(plain_driver).execute(ctx, row)
    assert plain_driver.deleted == [row.id]
    # Idempotent.
    compute.DeleteServer(plain_driver).execute(ctx, row)


def test_create_volume_records_it_and_revert_deletes_it(
        ctx, new_instance, plain_driver):
    row = new_instance()
    task = compute.CreateVolume(plain_driver)
    volume = task.execute(ctx, row.id, row)
    assert volume.size == 1
    assert plain_driver.volumes == {volume.id: volume}
    assert instances.get(ctx, row.id).volume_id == volume.id
    task.revert(ctx, row.id, row, result=volume)
    assert plain_driver.volumes == {}
    assert instances.get(ctx, row.id).volume_id is None


def test_no_volume_without_a_size(ctx, new_instance, plain_driver):
    row = new_instance()
    instances.update(ctx, row.id, volume_size=None)
    row = instances.get(ctx, row.id)
    assert compute.CreateVolume(plain_driver).execute(ctx, row.id,
                                                      row) is None
    assert plain_driver.volumes == {}
    compute.CreateVolume(plain_driver).revert(ctx, row.id, row, result=None)


def test_server_spec(ctx, new_instance, flavor, override):
    override('management_networks', ['net-a', 'net-b'])
    override('management_security_groups', ['trove-sg'])
    override('cinder_volume_type', 'ssd')
    row = new_instance()
    instances.update(ctx, row.id, availability_zone='az-2',
                     networks=[{'net_id': 'tenant-net',
                                'ip_address': '10.0.0.7'}])
    row = instances.get(ctx, row.id)
    volume = compute_base.Volume('vol-1', 1, 'available')
    spec = compute.BuildServerSpec().execute(
        row, compute_base.flavor_of(flavor),
        {'tenant_id': 'p1', 'port': 3306},
        {'image_id': None, 'image_tags': ['trove', 'mariadb']},
        {compute_base.GUEST_INFO_PATH: 'x'}, volume)
    assert spec == compute_base.ServerSpec(
        name='db', flavor=compute_base.flavor_of(flavor),
        image_tags=('trove', 'mariadb'),
        networks=({'net_id': 'tenant-net', 'ip_address': '10.0.0.7'},),
        management_networks=('net-a', 'net-b'),
        security_groups=('trove-sg',), service_ports=(3306,),
        availability_zone='az-2',
        volume=compute_base.VolumeSpec(1, 'ssd', 'vol-1'),
        files={compute_base.GUEST_INFO_PATH: 'x'},
        metadata={'trove_instance_id': row.id, 'trove_project_id': 'p1'},
        access=compute_base.AccessSpec(False, (), (3306,)))


def test_delete_volume(ctx, new_instance, plain_driver):
    row = new_instance()
    volume = compute.CreateVolume(plain_driver).execute(ctx, row.id, row)
    row = instances.get(ctx, row.id)
    compute.DeleteVolume(plain_driver).execute(ctx, row)
    assert plain_driver.volumes == {}
    assert row.volume_id == volume.id
    # An instance without a volume has nothing to delete.
    compute.DeleteVolume(plain_driver).execute(ctx, new_instance())


def test_server_spec_carries_the_stored_access(ctx, new_instance, flavor):
    row = new_instance()
    instances.update(ctx, row.id, access='{"is_public": true, '
                                         '"allowed_cidrs": ["10.1.0.0/16"]}')
    spec = compute.BuildServerSpec().execute(
        instances.get(ctx, row.id), compute_base.flavor_of(flavor),
        {'tenant_id': 'p1', 'port': 5432}, {'image_id': 'img'},
        {compute_base.GUEST_INFO_PATH: 'x'})
    assert spec.access == compute_base.AccessSpec(True, ('10.1.0.0/16',),
                                                  (5432,))


@pytest.fixture
def updating(ctx, new_instance, spec, plain_driver):
    row = new_instance()
    plain_driver.create_server(ctx, row, spec)
    instances.finish(ctx, row.id, 'build_done', None)
    instances.start(ctx, row.id, 'update_access', 'h')
    return instances.get(ctx, row.id)


def test_apply_access_and_revert(ctx, updating, plain_driver):
    task = compute.ApplyAccess(plain_driver)
    addresses = task.execute(ctx, updating.id, 'h', updating,
                             {'is_public': True})
    assert addresses == plain_driver.servers[updating.id].addresses
    assert plain_driver.access[updating.id] == compute_base.AccessSpec(
        is_public=True)
    # Revert: what the row records (nothing: private) is applied again.
    task.revert(ctx, updating.id, 'h', updating)
    assert plain_driver.access[updating.id] == compute_base.AccessSpec()


def test_apply_access_refuses_without_the_lock(ctx, updating, plain_driver):
    before = plain_driver.access[updating.id]
    task = compute.ApplyAccess(plain_driver)
    with pytest.raises(base.LockLost):
        task.execute(ctx, updating.id, 'other', updating,
                     {'is_public': True})
    # A revert without the lock leaves the server to its new owner.
    plain_driver.access[updating.id] = 'untouched'
    task.revert(ctx, updating.id, 'other', updating)
    assert plain_driver.access[updating.id] == 'untouched'
    assert before == compute_base.AccessSpec()


def test_apply_access_revert_swallows_driver_errors(ctx, updating,
                                                    plain_driver, caplog):
    plain_driver.fail_access = compute_base.ComputeError(reason='down')
    compute.ApplyAccess(plain_driver).revert(ctx, updating.id, 'h',
                                             updating)
    assert 'Could not apply the previous access' in caplog.text


def test_a_locality_makes_a_server_group_and_a_revert_removes_it(
        ctx, new_instance, plain_driver):
    row = new_instance()
    task = compute.EnsureServerGroup(plain_driver)
    # No locality: no group.
    assert task.execute(ctx, row.id, row) is None
    instances.update(ctx, row.id, locality='anti-affinity')
    row = instances.get(ctx, row.id)
    group_id = task.execute(ctx, row.id, row)
    assert plain_driver.server_groups[group_id] == (row.id, 'anti-affinity')
    assert instances.get(ctx, row.id).server_group_id == group_id
    task.revert(ctx, row.id, row, result=group_id)
    assert plain_driver.server_groups == {}
    assert instances.get(ctx, row.id).server_group_id is None


def test_a_replica_joins_its_sources_group_and_keeps_it(
        ctx, new_instance, plain_driver):
    group_id = plain_driver.create_server_group(ctx, 'source', 'affinity')
    row = new_instance()
    instances.update(ctx, row.id, locality='affinity',
                     server_group_id=group_id)
    row = instances.get(ctx, row.id)
    task = compute.EnsureServerGroup(plain_driver)
    assert task.execute(ctx, row.id, row) == group_id
    task.revert(ctx, row.id, row, result=group_id)
    assert group_id in plain_driver.server_groups


def test_the_last_member_deletes_the_group(ctx, new_instance, plain_driver):
    group_id = plain_driver.create_server_group(ctx, 'source', 'affinity')
    source, replica = new_instance(), new_instance()
    for row in (source, replica):
        instances.update(ctx, row.id, server_group_id=group_id)
    task = compute.DeleteServerGroup(plain_driver)
    task.execute(ctx, instances.get(ctx, source.id))
    assert group_id in plain_driver.server_groups
    instances.mark_deleted(ctx, source.id)
    task.execute(ctx, instances.get(ctx, replica.id))
    assert plain_driver.server_groups == {}
