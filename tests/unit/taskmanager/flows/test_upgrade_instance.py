"""The datastore version upgrade flow, on fake guests whose in-memory
datastore "runs" a version (a server path naming ``missing`` plays one
whose binaries are not there).
"""

import pytest

from trove_lite.common import states
from trove_lite.db.repositories import datastores
from trove_lite.db.repositories import instances
from trove_lite.taskmanager.flows import common as flows_common
from trove_lite.taskmanager.flows import upgrade_instance

HOLDER = 'api@h:upgrade'


@pytest.fixture
def built(ctx, build_fake, datastore_guests):
    """A fake 1.0 instance built by the create flow, and its guest's
    in-memory datastore.
    """
    instance_id = build_fake()
    return instance_id, datastore_guests.guests[instance_id].endpoint


def _upgrade(ctx, instance_id, version):
    old = instances.get(ctx, instance_id).datastore_version_id
    instances.start(ctx, instance_id, 'upgrade', HOLDER)
    return flows_common.run_now(
        ctx, 'upgrade', instance_id, upgrade_instance.run_job,
        holder=HOLDER, arguments={'version_id': version.id,
                                  'version_name': version.name,
                                  'old_version_id': old})


def test_upgrade_runs_the_new_version_on_the_same_data(ctx, built):
    instance_id, endpoint = built
    version = datastores.upsert_version(ctx, 'fake', '1.1', 'fake',
                                        packages='/opt/fake-1.1/bin,pkg')
    assert _upgrade(ctx, instance_id, version)
    row = instances.get(ctx, instance_id)
    assert states.task(row.task_id) is states.NONE
    assert row.lock_holder is None
    assert row.datastore_version_id == version.id
    # Only the absolute paths among the packages are binaries' places.
    assert endpoint.datastore.running_version() == (
        '1.1', ('/opt/fake-1.1/bin',))
    assert endpoint.datastore.list_databases()[0]['name'] == 'app'
    assert endpoint.calls[-1] == 'upgrade'
    assert instances.get_fault(ctx, instance_id) is None


def test_a_failed_upgrade_is_undone_with_a_fault_note(ctx, built):
    instance_id, endpoint = built
    old = instances.get(ctx, instance_id).datastore_version_id
    version = datastores.upsert_version(ctx, 'fake', '1.1', 'fake',
                                        packages='/opt/missing/bin')
    assert not _upgrade(ctx, instance_id, version)
    row = instances.get(ctx, instance_id)
    # The old version runs again: not an error, with a note saying so.
    assert states.task(row.task_id) is states.NONE
    assert row.lock_holder is None
    assert row.datastore_version_id == old
    assert endpoint.datastore.running_version() == ('1.0', ())
    fault = instances.get_fault(ctx, instance_id)
    assert fault.message == upgrade_instance.REVERTED % ('1.1', '1.0')
    assert 'No fake server binary' in fault.details


def test_an_upgrade_that_cannot_be_undone_is_an_error(ctx, built):
    instance_id, endpoint = built
    old = instances.get(ctx, instance_id).datastore_version_id
    version = datastores.upsert_version(ctx, 'fake', '1.1', 'fake',
                                        packages='/opt/missing/bin')
    # The old version's binaries went away too.
    datastores.update_version(ctx, old, packages='/opt/missing-too/bin')
    assert not _upgrade(ctx, instance_id, version)
    row = instances.get(ctx, instance_id)
    assert states.task(row.task_id) is states.UPGRADING_ERROR
    assert instances.get_fault(ctx, instance_id).message == \
        upgrade_instance.FAILED % ('1.1', '1.0')


def test_a_deleted_instance_is_left_to_the_delete(ctx, built):
    instance_id, endpoint = built
    version = datastores.upsert_version(ctx, 'fake', '1.1', 'fake')
    instances.start(ctx, instance_id, 'delete', 'api@h:delete')
    # The delete took the instance over: the upgrade does not run.
    assert not flows_common.run_now(
        ctx, 'upgrade', instance_id, upgrade_instance.run_job,
        holder=HOLDER, arguments={'version_id': version.id,
                                  'version_name': '1.1',
                                  'old_version_id': version.id})
    assert 'upgrade' not in endpoint.calls
    assert states.task(instances.get(ctx, instance_id).task_id) is \
        states.DELETING
