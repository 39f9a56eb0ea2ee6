"""The restart flow."""

from trove_lite.common import states
from trove_lite.db.repositories import instances
from trove_lite.taskmanager.flows import create_instance
from trove_lite.taskmanager.flows import restart_instance


def test_restart(ctx, driver, guests, conductor, new_instance):
    row = new_instance()
    assert create_instance.run(ctx, driver, row.id, [], [], None)
    instances.start(ctx, row.id, 'restart', 'api')
    assert restart_instance.run(ctx, row.id)
    row = instances.get(ctx, row.id)
    assert states.task(row.task_id) is states.NONE
    assert row.lock_holder is None
    # ACTIVE only once the guest's report says the datastore is healthy.
    assert instances.get_service_status(ctx, row.id)[0] is \
        states.SVC_HEALTHY
    assert guests.guests[row.id].endpoint.calls == ['rpc_ping', 'prepare', 'restart']


def test_restart_failure_is_an_error_with_a_fault(ctx, conductor,
                                                  new_instance, override):
    override('agent_call_high_timeout', 1)
    row = new_instance()
    instances.finish(ctx, row.id, 'build_done', None)
    instances.start(ctx, row.id, 'restart', 'api')
    # No guest listens: the call times out.
    assert not restart_instance.run(ctx, row.id)
    row = instances.get(ctx, row.id)
    assert states.task(row.task_id) is states.REBOOTING_ERROR
    assert instances.get_fault(ctx, row.id).message == restart_instance.FAULT
    assert instances.get_service_status(ctx, row.id)[0] is \
        states.SVC_RESTARTING


def test_restart_only_a_rebooting_instance(ctx, new_instance):
    row = new_instance()
    assert not restart_instance.run(ctx, row.id)
