"""Replication workflows end to end: replicas built from their source,
promote, eject and detach, on the fake compute driver with fake guests
whose in-memory datastores replicate (strategy ``fake``), a real
conductor, and the in-memory bus.

The API's part (the group locked under one holder, the workflow
recorded) is done here as the controller does it, with the topology
repository; the flows are run through recorded workflows
(``flows.common.run_now``), as a taskmanager runs them.
"""

import functools

import pytest

from trove_lite.common import context as context_module
from trove_lite.common import replication_reports
from trove_lite.common import states
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import replication as topology
from trove_lite.db.repositories import resource_locks
from trove_lite.db.repositories import workflows as workflow_repo
from trove_lite.guestagent.strategies.replication import (
    fake as fake_replication)
from trove_lite.taskmanager.flows import common
from trove_lite.taskmanager.flows import delete_instance
from trove_lite.taskmanager.flows import replication as flows
from trove_lite.taskmanager.tasks import replication as tasks
from trove_lite.taskmanager import workflows


@pytest.fixture
def guests(datastore_guests):
    return datastore_guests


@pytest.fixture
def driver(datastore_driver):
    return datastore_driver


@pytest.fixture
def quick_calls(override):
    """A guest that does not answer costs a second, not minutes."""
    override('agent_call_low_timeout', 1)
    override('agent_call_high_timeout', 1)
    override('agent_replication_snapshot_timeout', 1)


@pytest.fixture
def build(build_fake):
    return build_fake


@pytest.fixture
def group(build):
    """``(source, first replica, second replica)``, each ACTIVE."""
    source = build()
    first, second = sorted(build(replica_of=source) for _ in range(2))
    return source, first, second


def _store(guests, instance_id):
    """The in-memory datastore of an instance's fake guest."""
    return guests.guests[instance_id].endpoint.datastore


def _calls(guests, instance_id):
    return guests.guests[instance_id].endpoint.calls


def _role(guests, instance_id):
    """``(role, followed instance id)`` as the guest's strategy records."""
    recorded = _store(guests, instance_id).replication().recorded()
    return recorded.get('role'), (recorded.get('source') or {}).get(
        'instance_id')


def _writable(guests, instance_id):
    try:
        _store(guests, instance_id).create_databases([{'name': 'probe'}])
    except Exception:
        return False
    return True


def _topology(ctx, ids):
    return {instance_id: instances.get(ctx, instance_id).slave_of_id
            for instance_id in ids}


def _idle(ctx, instance_id):
    row = instances.get(ctx, instance_id)
    return states.task(row.task_id) is states.NONE and row.lock_holder is None


def _start(ctx, event, resource_id, source_id, members):
    """What the API does: lock the group under one holder."""
    holder = resource_locks.new_holder(role=resource_locks.API_ROLE)
    topology.start_group(ctx, members, event, holder)
    return holder, {'source_id': source_id, 'members': members}


def _promote(ctx, replica_id, source_id, members):
    holder, arguments = _start(ctx, 'promote', replica_id, source_id,
                               members)
    return common.run_now(ctx, 'promote', replica_id, flows.run_promote,
                          holder=holder, arguments=arguments)


def _eject(ctx, source_id, members):
    holder, arguments = _start(ctx, 'eject', source_id, source_id, members)
    return common.run_now(ctx, 'eject', source_id, flows.run_eject,
                          holder=holder, arguments=arguments)


def _detach(ctx, replica_id):
    holder = resource_locks.new_holder(role=resource_locks.API_ROLE)
    instances.start(ctx, replica_id, 'detach', holder)
    return common.run_now(ctx, 'detach', replica_id, flows.run_detach,
                          holder=holder)


# -- build -------------------------------------------------------------------------

def test_a_replica_is_seeded_from_its_source_and_follows_it(ctx, guests,
                                                            group):
    source, first, second = group
    for replica in (first, second):
        assert _idle(ctx, replica)
        assert _role(guests, replica) == ('replica', source)
        # The source's data, and read-only.
        assert _store(guests, replica).list_databases() == [
            {'name': 'app'}]
        assert not _writable(guests, replica)
        # What its guest last said, as the conductor stored it.
        stored = replication_reports.load(
            instances.get_heartbeat(ctx, replica).replication)
        assert (stored['role'], stored['running']) == ('replica', True)
    assert _role(guests, source) == ('source', None)
    assert _writable(guests, source)
    assert _calls(guests, source).count('get_replication_snapshot') == 2
    assert _topology(ctx, group) == {source: None, first: source,
                                     second: source}


def test_a_replica_whose_source_is_gone_fails_and_leaves_it_alone(
        ctx, guests, build):
    source = build()
    instances.mark_deleted(ctx, source)
    replica = build(replica_of=source, expect=False)
    row = instances.get(ctx, replica)
    assert states.task(row.task_id).is_error
    assert row.lock_holder is None
    assert 'LoadReplicaInfo' in instances.get_fault(ctx, replica).details


def test_a_replica_whose_source_does_not_answer_fails(ctx, guests, build,
                                                      driver, quick_calls):
    source = build()
    guests.stop(source)
    replica = build(replica_of=source, expect=False)
    assert states.task(instances.get(ctx, replica).task_id).is_error
    assert 'LoadReplicaInfo' in instances.get_fault(ctx, replica).details
    # The failed build removed its server; the source is untouched.
    assert replica not in driver.servers and source in driver.servers
    assert _idle(ctx, source)
    assert instances.get(ctx, source).slave_of_id is None


# -- promote -------------------------------------------------------------------

def test_promote_makes_the_replica_the_source_of_everyone(ctx, guests,
                                                          group):
    source, first, second = group
    assert _promote(ctx, second, source, [source, first, second])
    assert _topology(ctx, group) == {second: None, source: second,
                                     first: second}
    for member in group:
        assert _idle(ctx, member)
        assert instances.get_fault(ctx, member) is None
    # The guests carry it out: the old source was fenced, then follows.
    calls = _calls(guests, source)
    assert calls.index('fence_replica_source') < calls.index(
        'get_replication_state') < calls.index('attach_replica')
    assert 'promote_to_replica_source' in _calls(guests, second)
    assert _role(guests, second) == ('source', None)
    assert _role(guests, source) == ('replica', second)
    assert _role(guests, first) == ('replica', second)
    assert _writable(guests, second)
    assert not _writable(guests, source) and not _writable(guests, first)
    # Data written on the new source reaches a re-attached member.
    _store(guests, second).create_databases([{'name': 'after'}])
    fake_replication.FakeReplication(_store(guests, first)).attach(
        fake_replication.FakeReplication(
            _store(guests, second)).enable_as_source())
    assert {'name': 'after'} in _store(guests, first).list_databases()


@pytest.mark.parametrize('silent', ['other replica', 'old source'])
def test_a_promote_a_member_does_not_answer_fails_every_member(
        ctx, guests, group, quick_calls, silent):
    source, first, second = group
    guests.stop({'other replica': first, 'old source': source}[silent])
    assert not _promote(ctx, second, source, [source, first, second])
    for member in group:
        row = instances.get(ctx, member)
        assert states.task(row.task_id) is states.PROMOTION_ERROR
        assert row.lock_holder is None
        fault = instances.get_fault(ctx, member)
        assert fault.message.startswith('The replica could not be promoted')
        assert fault.details
    assert _topology(ctx, group) == {source: None, first: source,
                                     second: source}


def test_a_promote_whose_member_is_taken_over_commits_nothing(
        ctx, guests, group, monkeypatch):
    """A delete takes a member over while the promote re-points: the
    commit's compare fails; the members it still holds end in error.
    """
    source, first, second = group
    repoint = tasks.RepointMembers.execute

    @functools.wraps(repoint)  # taskflow reads what to pass from it
    def repoint_then_a_delete_arrives(self, *args, **kwargs):
        repoint(self, *args, **kwargs)
        instances.start(ctx, first, 'delete', 'api@h:delete')

    monkeypatch.setattr(tasks.RepointMembers, 'execute',
                        repoint_then_a_delete_arrives)
    assert not _promote(ctx, second, source, [source, first, second])
    assert _topology(ctx, group) == {source: None, first: source,
                                     second: source}
    for member in (source, second):
        assert states.task(instances.get(ctx, member).task_id) is \
            states.PROMOTION_ERROR
        assert 'taken over by another request' in instances.get_fault(
            ctx, member).message
    row = instances.get(ctx, first)
    assert (states.task(row.task_id), row.lock_holder) == (
        states.DELETING, 'api@h:delete')


def test_a_promote_taken_over_before_it_starts_does_nothing(ctx, guests,
                                                            group):
    source, first, second = group
    holder, arguments = _start(ctx, 'promote', second, source,
                               [source, first, second])
    # An administrator resets the replica the promote is about.
    instances.reset(ctx, second)
    assert not common.run_now(ctx, 'promote', second, flows.run_promote,
                              holder=holder, arguments=arguments)
    assert 'fence_replica_source' not in _calls(guests, source)
    assert _topology(ctx, group)[second] == source


def _steal_after(monkeypatch, task_class):
    """Another taskmanager takes the workflow over once ``task_class``
    completed (its owner seemed dead): the first run stops there,
    reverting nothing. Returns ``{'workflow_id', 'owner'}`` of the thief.
    """
    stolen = {}
    execute = task_class.execute
    claim = workflow_repo.claim

    def claim_and_remember(context, workflow_id, owner, lease_seconds,
                           steal_from=None):
        stolen.setdefault('first owner', owner)
        stolen['workflow_id'] = workflow_id
        return claim(context, workflow_id, owner, lease_seconds,
                     steal_from=steal_from)

    @functools.wraps(execute)  # taskflow reads what to pass from it
    def then_stolen(self, *args, **kwargs):
        result = execute(self, *args, **kwargs)
        stolen['owner'] = workflows.new_owner()
        assert claim(context_module.get_admin_context(),
                     stolen['workflow_id'], stolen['owner'], 600,
                     steal_from=stolen['first owner'])
        return result

    monkeypatch.setattr(workflow_repo, 'claim', claim_and_remember)
    monkeypatch.setattr(task_class, 'execute', then_stolen)
    return stolen


def _resume(ctx, stolen, handler):
    row = workflow_repo.get(ctx, stolen['workflow_id'])
    job = workflows.Job(row, stolen['owner'])
    assert job.resumed
    try:
        return handler(job)
    finally:
        workflow_repo.finish(ctx, row.id, stolen['owner'])


def _first_run_stops_after(ctx, monkeypatch, task_class, operation,
                           resource_id, handler, holder, arguments=None):
    """Record the workflow and run it until ``task_class`` completed and
    another taskmanager took it over; returns what ``_resume`` takes.
    """
    stolen = _steal_after(monkeypatch, task_class)
    workflow_id = workflow_repo.record(
        ctx, 'instance', resource_id, operation, holder=holder,
        arguments=arguments, request_context=ctx)
    owner = workflows.new_owner()
    job = workflows.Job(workflow_repo.claim(ctx, workflow_id, owner, 600),
                        owner)
    assert not handler(job)
    monkeypatch.undo()
    return stolen


def test_a_promote_resumed_from_the_top_ends_the_same(ctx, guests, group,
                                                      monkeypatch):
    """Its first run stopped after the re-point (its taskmanager was
    taken for dead); the run that resumes it repeats every step, and the
    repeats are harmless.
    """
    source, first, second = group
    members = [source, first, second]
    holder, arguments = _start(ctx, 'promote', second, source, members)
    stolen = _first_run_stops_after(ctx, monkeypatch, tasks.RepointMembers,
                                    'promote', second, flows.run_promote,
                                    holder, arguments)
    # Nothing was reverted or committed: every member is still held.
    assert all(states.task(instances.get(ctx, member).task_id) is
               states.PROMOTING for member in members)
    assert _topology(ctx, members)[second] == source
    assert _resume(ctx, stolen, flows.run_promote)
    assert _topology(ctx, members) == {second: None, source: second,
                                       first: second}
    assert all(_idle(ctx, member) for member in members)
    assert _calls(guests, second).count('promote_to_replica_source') == 2
    assert _role(guests, source) == ('replica', second)
    # The old source was fenced again, then re-attached: not fenced.
    assert not _store(guests, source).replication().recorded().get(
        'fenced')
    assert _writable(guests, second)


def test_a_promote_resumed_after_its_commit_does_nothing(ctx, guests,
                                                         group,
                                                         monkeypatch):
    source, first, second = group
    members = [source, first, second]
    holder, arguments = _start(ctx, 'promote', second, source, members)
    stolen = _first_run_stops_after(ctx, monkeypatch, tasks.CommitNewSource,
                                    'promote', second, flows.run_promote,
                                    holder, arguments)
    calls = list(_calls(guests, second))
    assert not _resume(ctx, stolen, flows.run_promote)
    assert _calls(guests, second) == calls
    assert _topology(ctx, members) == {second: None, source: second,
                                       first: second}
    assert all(_idle(ctx, member) for member in members)
    assert all(instances.get_fault(ctx, member) is None
               for member in members)


# -- eject -------------------------------------------------------------------------

@pytest.fixture
def positions(monkeypatch):
    """``{instance id: position}`` the fake strategy reports (0 else)."""
    reported = {}
    state = fake_replication.FakeReplication.state

    def with_position(self):
        return dict(state(self), position=reported.get(
            self.manager.info.guest_id, 0))

    monkeypatch.setattr(fake_replication.FakeReplication, 'state',
                        with_position)
    return reported


def test_eject_promotes_the_most_advanced_replica(ctx, guests, build,
                                                  positions, quick_calls):
    source = build()
    replicas = sorted(build(replica_of=source) for _ in range(3))
    low, high, middle = replicas
    positions.update({low: [0, 1, 5], high: [0, 1, 9], middle: [0, 1, 7]})
    guests.stop(source)  # the source is lost
    members = [source] + replicas
    assert _eject(ctx, source, members)
    assert _topology(ctx, members) == {high: None, source: high,
                                       low: high, middle: high}
    assert all(_idle(ctx, member) for member in members)
    assert _role(guests, high) == ('source', None)
    assert _role(guests, low) == ('replica', high)
    assert _role(guests, middle) == ('replica', high)


def test_eject_skips_a_replica_that_does_not_answer(ctx, guests, build,
                                                    positions, quick_calls):
    source = build()
    best, other = sorted(build(replica_of=source) for _ in range(2))
    positions.update({best: 9, other: 5})
    guests.stop(source)
    guests.stop(best)
    members = [source, best, other]
    assert _eject(ctx, source, members)
    # The one that answers goes furthest among those that answer; the
    # silent one follows it in the topology (fenced when it comes back).
    assert _topology(ctx, members) == {other: None, source: other,
                                       best: other}
    assert all(_idle(ctx, member) for member in members)
    assert _role(guests, other) == ('source', None)


def test_eject_with_no_replica_answering_fails_every_member(
        ctx, guests, group, quick_calls):
    source, first, second = group
    for member in group:
        guests.stop(member)
    assert not _eject(ctx, source, list(group))
    for member in group:
        row = instances.get(ctx, member)
        assert states.task(row.task_id) is states.EJECTION_ERROR
        assert row.lock_holder is None
        fault = instances.get_fault(ctx, member)
        assert fault.message == ('The replica source could not be ejected: '
                                 'The replication group of %s changed '
                                 'while it was being changed: no replica '
                                 'answers' % source)
    assert _topology(ctx, group) == {source: None, first: source,
                                     second: source}


def test_an_eject_resumed_after_its_promote_ends_the_same(
        ctx, guests, build, positions, monkeypatch):
    source = build()
    low, high = sorted(build(replica_of=source) for _ in range(2))
    positions.update({low: 3, high: 8})
    members = [source, low, high]
    holder, arguments = _start(ctx, 'eject', source, source, members)
    stolen = _first_run_stops_after(ctx, monkeypatch, tasks.Promote,
                                    'eject', source, flows.run_eject,
                                    holder, arguments)
    assert _role(guests, high) == ('source', None)
    assert _resume(ctx, stolen, flows.run_eject)
    assert _topology(ctx, members) == {high: None, source: high, low: high}
    assert all(_idle(ctx, member) for member in members)
    assert _calls(guests, high).count('promote_to_replica_source') == 2


# -- detach ------------------------------------------------------------------------

def test_detach_makes_a_writable_standalone_instance(ctx, guests, group):
    source, first, second = group
    assert _detach(ctx, first)
    assert _topology(ctx, group) == {source: None, first: None,
                                     second: source}
    assert _idle(ctx, first)
    assert _role(guests, first) == (None, None)
    assert _writable(guests, first)
    # The source forgot it; the other replica is untouched.
    assert 'remove_replica' in _calls(guests, source)
    assert _role(guests, second) == ('replica', source)


def test_detach_goes_on_when_the_source_does_not_answer(ctx, guests, group,
                                                        quick_calls):
    source, first, _ = group
    guests.stop(source)
    assert _detach(ctx, first)
    assert instances.get(ctx, first).slave_of_id is None
    assert _idle(ctx, first)


def test_detach_of_a_replica_that_does_not_answer_fails(ctx, guests, group,
                                                        quick_calls):
    source, first, _ = group
    guests.stop(first)
    assert not _detach(ctx, first)
    row = instances.get(ctx, first)
    assert states.task(row.task_id) is states.DETACHING_ERROR
    assert row.lock_holder is None and row.slave_of_id == source
    assert instances.get_fault(ctx, first).message == flows.DETACH_FAILED


def test_a_detach_taken_over_commits_nothing(ctx, guests, group,
                                             monkeypatch):
    source, first, _ = group
    forget = tasks.ForgetReplica.execute

    def forget_then_a_delete_arrives(self, context, instance_id,
                                     source_id):
        forget(self, context, instance_id, source_id)
        instances.start(ctx, instance_id, 'delete', 'api@h:delete')

    monkeypatch.setattr(tasks.ForgetReplica, 'execute',
                        forget_then_a_delete_arrives)
    _detach(ctx, first)
    row = instances.get(ctx, first)
    assert row.slave_of_id == source
    assert (states.task(row.task_id), row.lock_holder) == (
        states.DELETING, 'api@h:delete')


def test_a_detach_resumed_after_the_guest_detached_ends_the_same(
        ctx, guests, group, monkeypatch):
    source, first, second = group
    holder = resource_locks.new_holder(role=resource_locks.API_ROLE)
    instances.start(ctx, first, 'detach', holder)
    stolen = _first_run_stops_after(ctx, monkeypatch, tasks.DetachReplica,
                                    'detach', first, flows.run_detach,
                                    holder)
    assert states.task(instances.get(ctx, first).task_id) is \
        states.DETACHING
    assert _resume(ctx, stolen, flows.run_detach)
    assert _topology(ctx, group) == {source: None, first: None,
                                     second: source}
    assert _idle(ctx, first)
    assert _calls(guests, first).count('detach_replica') == 2
    assert _writable(guests, first)


# -- delete --------------------------------------------------------------------

def test_a_deleted_replica_is_forgotten_by_its_source(ctx, guests, group,
                                                      driver):
    source, first, _ = group
    instances.start(ctx, first, 'delete', 'api')
    assert delete_instance.run(ctx, driver, first)
    assert 'remove_replica' in _calls(guests, source)
    assert topology.replica_ids(ctx, source) == [group[2]]


def test_a_deleted_lone_instance_asks_nobody(ctx, guests, build, driver):
    lone = build()
    other = build()
    instances.start(ctx, lone, 'delete', 'api')
    assert delete_instance.run(ctx, driver, lone)
    assert 'remove_replica' not in _calls(guests, other)


def test_a_replica_is_deleted_when_its_source_does_not_answer(
        ctx, guests, group, driver, quick_calls):
    source, first, _ = group
    guests.stop(source)
    instances.start(ctx, first, 'delete', 'api')
    assert delete_instance.run(ctx, driver, first)
    assert first not in {row.id for row in instances.list_instances(ctx)}
