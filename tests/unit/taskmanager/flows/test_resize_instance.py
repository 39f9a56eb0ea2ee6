"""The resize flows: volume and flavor, done, and put back when they fail."""

from trove_lite.common import states
from trove_lite.db.repositories import flavors
from trove_lite.db.repositories import instances
from trove_lite.taskmanager.flows import common as flows_common
from trove_lite.taskmanager.flows import resize_instance
from trove_lite.taskmanager.tasks import resize as resize_tasks


def _resize(ctx, driver, instance_id, operation, arguments):
    """Start the resize as the API does, then run its flow."""
    instances.start(ctx, instance_id, 'resize', 'api')
    run_job = (resize_instance.run_volume_job
               if operation == 'resize_volume'
               else resize_instance.run_flavor_job)
    return flows_common.run_now(
        ctx, operation, instance_id, lambda job: run_job(job, driver),
        holder='api', arguments=arguments)


def _endpoint(guests, instance_id):
    return guests.guests[instance_id].endpoint


def _big_flavor(ctx):
    return flavors.create_flavor(ctx, '2', 'm1.small', 2048, 1, 20)


def test_a_volume_resize_grows_the_volume_then_the_filesystem(
        ctx, build_fake, datastore_driver, datastore_guests):
    instance_id = build_fake()
    row = instances.get(ctx, instance_id)
    assert _resize(ctx, datastore_driver, instance_id, 'resize_volume',
                   {'new_size': 3, 'old_size': 1})
    row = instances.get(ctx, instance_id)
    assert states.task(row.task_id) is states.NONE
    assert row.lock_holder is None and row.volume_size == 3
    assert datastore_driver.volumes[row.volume_id].size == 3
    endpoint = _endpoint(datastore_guests, instance_id)
    assert endpoint.calls[-1] == 'resize_fs'
    assert endpoint.datastore._volume_size == 3
    assert instances.get_fault(ctx, instance_id) is None


def test_a_flavor_resize_resizes_the_server_and_retunes_the_datastore(
        ctx, build_fake, datastore_driver, datastore_guests):
    big = _big_flavor(ctx)
    instance_id = build_fake()
    assert _resize(ctx, datastore_driver, instance_id, 'resize_flavor',
                   {'new_flavor_id': big.id, 'old_flavor_id': '1'})
    row = instances.get(ctx, instance_id)
    assert states.task(row.task_id) is states.NONE
    assert row.flavor_id == '2' and row.lock_holder is None
    assert datastore_driver.flavors[instance_id].ram == 2048
    endpoint = _endpoint(datastore_guests, instance_id)
    assert 'resize_flavor' in endpoint.calls
    assert endpoint.datastore.memory_mb == 2048
    assert instances.get_service_status(ctx, instance_id)[0] is \
        states.SVC_HEALTHY


def test_a_flavor_resize_that_fails_is_put_back_with_a_note(
        ctx, build_fake, datastore_driver, datastore_guests):
    big = _big_flavor(ctx)
    instance_id = build_fake()
    endpoint = _endpoint(datastore_guests, instance_id)
    tuned = []

    def resize_flavor(context, memory_mb):
        tuned.append(memory_mb)
        if memory_mb == 2048:
            raise RuntimeError('mariadbd did not start with 2048 MB')
        endpoint.datastore.resize_flavor(memory_mb)
        endpoint.heartbeat(context, 'healthy')

    endpoint.resize_flavor = resize_flavor
    assert not _resize(ctx, datastore_driver, instance_id, 'resize_flavor',
                       {'new_flavor_id': big.id, 'old_flavor_id': '1'})
    row = instances.get(ctx, instance_id)
    # Back as it was: the old flavor, on the server and in the datastore.
    assert tuned == [2048, 512]
    assert endpoint.datastore.memory_mb == 512
    assert datastore_driver.flavors[instance_id].ram == 512
    assert row.flavor_id == '1'
    assert states.task(row.task_id) is states.NONE and not row.lock_holder
    fault = instances.get_fault(ctx, instance_id)
    assert fault.message.startswith(resize_instance.FLAVOR_UNDONE)
    assert 'RetuneDatastore' in fault.details
    # The note of the resize: stored with the change that ended it.
    assert fault.created == row.task_start_time


def test_a_resize_that_cannot_be_put_back_is_an_error(
        ctx, build_fake, datastore_driver, datastore_guests):
    big = _big_flavor(ctx)
    instance_id = build_fake()
    endpoint = _endpoint(datastore_guests, instance_id)

    def resize_flavor(context, memory_mb):
        raise RuntimeError('mariadbd does not start at all')

    endpoint.resize_flavor = resize_flavor
    assert not _resize(ctx, datastore_driver, instance_id, 'resize_flavor',
                       {'new_flavor_id': big.id, 'old_flavor_id': '1'})
    row = instances.get(ctx, instance_id)
    assert states.task(row.task_id) is states.RESIZING_ERROR
    assert row.flavor_id == '1'
    assert instances.get_fault(ctx, instance_id).message == \
        resize_instance.FLAVOR_FAILED


def test_a_volume_resize_whose_filesystem_fails_keeps_the_old_size(
        ctx, build_fake, datastore_driver, datastore_guests):
    instance_id = build_fake()
    endpoint = _endpoint(datastore_guests, instance_id)

    def resize_fs(context, volume_size):
        raise RuntimeError('resize2fs: no space for the journal')

    endpoint.resize_fs = resize_fs
    assert not _resize(ctx, datastore_driver, instance_id, 'resize_volume',
                       {'new_size': 2, 'old_size': 1})
    row = instances.get(ctx, instance_id)
    assert states.task(row.task_id) is states.NONE
    assert row.volume_size == 1
    # The datastore was started again.
    assert endpoint.calls[-1] == 'restart'
    assert instances.get_fault(ctx, instance_id).message.startswith(
        resize_instance.VOLUME_UNDONE)
    # A second resize to the same size grows what is there already.
    del endpoint.resize_fs
    assert _resize(ctx, datastore_driver, instance_id, 'resize_volume',
                   {'new_size': 2, 'old_size': 1})
    assert instances.get(ctx, instance_id).volume_size == 2


def test_a_resize_taken_over_by_a_delete_marks_nothing(
        ctx, build_fake, datastore_driver):
    instance_id = build_fake()
    instances.start(ctx, instance_id, 'resize', 'api')
    instances.start(ctx, instance_id, 'delete', 'deleter')
    assert not flows_common.run_now(
        ctx, 'resize_volume', instance_id,
        lambda job: resize_instance.run_volume_job(job, datastore_driver),
        holder='api', arguments={'new_size': 2, 'old_size': 1})
    row = instances.get(ctx, instance_id)
    assert states.task(row.task_id) is states.DELETING
    assert row.volume_size == 1


def test_the_put_back_task_ends_in_error_when_told_so(ctx, new_instance):
    row = new_instance()
    instances.finish(ctx, row.id, 'build_done', None)
    instances.start(ctx, row.id, 'resize', 'h1')
    task = resize_tasks.PutBackOnRevert('undone', 'not undone')
    task.revert(ctx, row.id, 'h1', unreverted=['the server\'s flavor'])
    assert states.task(instances.get(ctx, row.id).task_id) is \
        states.RESIZING_ERROR
    assert instances.get_fault(ctx, row.id).message == 'not undone'
