"""The restart flow."""

from tests.unit import rpc_fixtures
from trove_lite.common import states
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import resource_locks
from trove_lite.taskmanager.flows import create_instance
from trove_lite.taskmanager.flows import delete_instance
from trove_lite.taskmanager.flows import restart_instance
from trove_lite.taskmanager.tasks import guest
from trove_lite.taskmanager.tasks import instances as instance_tasks

CONF = rpc_fixtures.CONF


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


def test_restart_brings_a_dead_agent_back(ctx, driver, guests, conductor,
                                          new_instance):
    """The local driver's ``adopt_server`` starts an agent that died; the
    restart flow asks for it before it calls the guest.
    """
    row = new_instance()
    assert create_instance.run(ctx, driver, row.id, [], [], None)
    guests.stop(row.id)
    adopted = []

    def adopt_server(context, instance):
        adopted.append(instance.id)
        guests.start(instance.id, None)

    driver.adopt_server = adopt_server
    instances.start(ctx, row.id, 'restart', 'api')
    assert restart_instance.run(ctx, row.id, driver=driver)
    assert adopted == [row.id]
    assert states.task(instances.get(ctx, row.id).task_id) is states.NONE
    assert guests.guests[row.id].endpoint.calls == ['restart']


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


class RecordingNotice:
    """The operation notification a flow ends, as it was ended."""

    def __init__(self):
        self.ended = []

    def end(self, **traits):
        self.ended.append(('end', None))

    def error(self, message, exc=None, **traits):
        self.ended.append(('error', message))


def test_a_delete_takes_over_a_running_restart(ctx, driver, guests,
                                               conductor, new_instance,
                                               monkeypatch):
    row = new_instance()
    assert create_instance.run(ctx, driver, row.id, [], [], None)
    restart_holder = resource_locks.new_holder(role=resource_locks.API_ROLE)
    delete_holder = resource_locks.new_holder(role=resource_locks.API_ROLE)
    instances.start(ctx, row.id, 'restart', restart_holder)
    seen = {}
    restart_database = guest.RestartDatabase.execute
    wait_for_healthy = guest.WaitForHealthy.execute

    def restart_then_a_delete_arrives(self, context, instance_id):
        seen['flow holder'] = instances.get(ctx, instance_id).lock_holder
        restart_database(self, context, instance_id)
        # The API's delete, while the restart waits for the guest.
        instances.start(ctx, instance_id, 'delete', delete_holder)

    def recording(self, context, instance_id, holder, stop_event=None):
        seen['readiness'] = wait_for_healthy(self, context, instance_id,
                                             holder, stop_event)
        return seen['readiness']

    monkeypatch.setattr(guest.RestartDatabase, 'execute',
                        restart_then_a_delete_arrives)
    monkeypatch.setattr(guest.WaitForHealthy, 'execute', recording)
    notice = RecordingNotice()
    # The flow does not fail (nothing reverts, no fault): it stops as LOST.
    assert restart_instance.run(ctx, row.id, notice=notice,
                                holder=restart_holder)
    assert seen['flow holder'] == resource_locks.adopted(restart_holder)
    assert seen['flow holder'].startswith(CONF.host + ':')
    assert seen['readiness'] == guest.LOST
    assert notice.ended == [('error', instance_tasks.TAKEN_OVER)]
    taken = instances.get(ctx, row.id)
    assert states.task(taken.task_id) is states.DELETING
    assert taken.lock_holder == delete_holder
    assert instances.get_fault(ctx, row.id) is None
    # And the delete proceeds.
    assert delete_instance.run(ctx, driver, row.id, holder=delete_holder)
    assert instances.list_instances(ctx) == []


def test_a_restart_taken_over_before_it_started_does_nothing(
        ctx, driver, guests, conductor, new_instance):
    row = new_instance()
    assert create_instance.run(ctx, driver, row.id, [], [], None)
    instances.start(ctx, row.id, 'restart', 'api@h:1')
    # An administrator resets it and it is restarted again before the
    # first restart's cast arrives: that holder lost the row.
    instances.reset(ctx, row.id)
    instances.start(ctx, row.id, 'restart', 'api@h:3')
    assert not restart_instance.run(ctx, row.id, holder='api@h:1')
    assert guests.guests[row.id].endpoint.calls == ['rpc_ping', 'prepare']
    assert instances.get(ctx, row.id).lock_holder == 'api@h:3'
