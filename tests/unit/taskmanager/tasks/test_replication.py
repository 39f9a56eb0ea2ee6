"""The replication tasks one at a time, with a stand-in guest client per
instance (the flows end to end are in ``flows/test_replication.py``).
"""

import threading
from unittest import mock

import pytest

from tests.unit import db_utils
from trove_lite.common import exception
from trove_lite.common import states
from trove_lite.db.repositories import instances
from trove_lite.guestagent import rpcapi as guest_rpcapi
from trove_lite.guestagent import storage as storage_plugins
from trove_lite.taskmanager.tasks import replication as tasks

# The real client class, before ``guest_client`` replaces it.
GuestAgentAPI = guest_rpcapi.GuestAgentAPI


@pytest.fixture
def clients(guest_client):
    """``{instance id: client}``: the guest client of each instance, an
    autospec of the real one; made on first use.
    """
    made = {}

    def client_of(context, instance_id, key=None):
        if instance_id not in made:
            made[instance_id] = mock.create_autospec(GuestAgentAPI,
                                                     instance=True)
        return made[instance_id]

    guest_rpcapi.GuestAgentAPI.side_effect = client_of
    return made


@pytest.fixture
def rows(ctx):
    """``rows(n)``: ids of n ACTIVE ``fake`` instances."""
    return lambda count: [db_utils.add_active_instance(ctx).id
                          for _ in range(count)]


def _state(position, role='replica'):
    return {'role': role, 'source': None, 'running': True, 'lag': 0.0,
            'position': position, 'error': None}


# -- seeding -------------------------------------------------------------------

def test_snapshot_info_seeds_through_the_backup_storage(ctx, rows,
                                                        override):
    [source] = rows(1)
    override('local_storage_path', '/srv/backups', group='backup')
    info = tasks.snapshot_info(ctx, instances.get(ctx, source), 'r-1')
    assert info == {'id': 'replica-seed-r-1', 'instance_id': source,
                    'backup_type': 'full', 'parent': None,
                    'storage': {'driver': 'local', 'path': '/srv/backups'}}


def test_without_a_backup_strategy_the_replica_seeds_directly(ctx, rows,
                                                              override):
    [source] = rows(1)
    override('backup_strategy', None, group='fake')
    assert tasks.snapshot_info(ctx, instances.get(ctx, source), 'r') is None


def test_load_replica_info_asks_the_source(ctx, rows, clients):
    source, replica = rows(2)
    replica_info = {'source': {'host': 'h'}, 'snapshot': {'backup': None}}
    assert tasks.LoadReplicaInfo().execute(ctx, replica) is None
    assert clients == {}
    clients_source = guest_rpcapi.GuestAgentAPI(ctx, source)
    clients_source.get_replication_snapshot.return_value = replica_info
    assert tasks.LoadReplicaInfo().execute(
        ctx, replica, replica_of=source) == replica_info
    [info] = clients_source.get_replication_snapshot.call_args.args
    assert info['id'] == tasks.snapshot_id(replica)
    assert replica not in clients


def test_load_replica_info_of_a_deleted_source_fails(ctx, rows, clients):
    source, replica = rows(2)
    instances.mark_deleted(ctx, source)
    with pytest.raises(exception.InstanceNotFound):
        tasks.LoadReplicaInfo().execute(ctx, replica, replica_of=source)
    assert clients == {}


@pytest.fixture
def storage(monkeypatch):
    """The storage plugin ``RemoveSnapshot`` loads; records deletes."""
    plugin = mock.Mock(spec=['delete'])
    loaded = []

    def load(description):
        loaded.append(description)
        return plugin

    monkeypatch.setattr(storage_plugins, 'load', load)
    plugin.loaded = loaded
    return plugin


SEEDED = {'source': {}, 'snapshot': {'backup': {
    'storage': {'driver': 'local', 'path': '/b'}, 'location': '/b/x'}}}


@pytest.mark.parametrize('readiness', ['ready', 'lost'])
def test_the_seeding_snapshot_is_removed_once_the_build_is_over(
        storage, readiness):
    # Ready: it served its purpose; lost: a delete took the replica over.
    tasks.RemoveSnapshot().execute('r', replica_info=SEEDED,
                                   readiness=readiness)
    storage.delete.assert_called_once_with('/b/x')
    assert storage.loaded == [{'driver': 'local', 'path': '/b'}]


def test_a_failed_build_removes_its_seeding_snapshot(storage):
    tasks.LoadReplicaInfo().revert('r', result=SEEDED)
    storage.delete.assert_called_once_with('/b/x')


@pytest.mark.parametrize('result', [None, {'source': {}, 'snapshot': None}])
def test_a_failed_build_without_a_stored_snapshot_removes_nothing(
        storage, result):
    # None: LoadReplicaInfo itself failed (taskflow passes its Failure,
    # not a dict) or the instance is no replica.
    tasks.LoadReplicaInfo().revert('r', result=result)
    storage.delete.assert_not_called()


@pytest.mark.parametrize('replica_info, readiness', [
    (None, 'ready'),
    ({'source': {}, 'snapshot': {'backup': None}}, 'ready'),
    ({'source': {}, 'snapshot': None}, 'ready'),
    (SEEDED, 'interrupted'),
])
def test_nothing_is_removed_without_a_snapshot_or_by_an_interrupted_flow(
        storage, replica_info, readiness):
    tasks.RemoveSnapshot().execute('r', replica_info=replica_info,
                                   readiness=readiness)
    storage.delete.assert_not_called()


def test_a_snapshot_that_cannot_be_removed_fails_no_build(storage, caplog):
    storage.delete.side_effect = exception.BackupStorageError(
        storage='local', reason='gone')
    tasks.RemoveSnapshot().execute('r', replica_info=SEEDED)
    assert 'cannot remove its seeding snapshot /b/x' in caplog.text


# -- what guests say -----------------------------------------------------------

def test_replication_state_is_cleaned(ctx, rows, clients):
    [member] = rows(1)
    client = guest_rpcapi.GuestAgentAPI(ctx, member)
    client.get_replication_state.return_value = dict(
        _state(7), password='secret', lag='x')
    assert tasks.replication_state(ctx, member) == dict(_state(7), lag=None)


def test_a_guest_that_does_not_answer_has_no_state(ctx, rows, clients):
    [member] = rows(1)
    client = guest_rpcapi.GuestAgentAPI(ctx, member)
    client.get_replication_state.side_effect = exception.RPCTimeout(
        uuid=member, method='get_replication_state', timeout=1)
    assert tasks.replication_state(ctx, member) is None


class Said(dict):
    """``{instance id: state, None, or a list of them in turn (the last
    one for good)}``; ``asked`` lists who was asked, in order.
    """

    def __init__(self):
        super().__init__()
        self.asked = []


@pytest.fixture
def states_said(monkeypatch):
    """What ``replication_state`` answers (a ``Said``), without polls
    between two looks.
    """
    answers = Said()

    def replication_state(context, instance_id):
        answers.asked.append(instance_id)
        answer = answers.get(instance_id)
        if isinstance(answer, list):
            return answer.pop(0) if len(answer) > 1 else answer[0]
        return answer

    monkeypatch.setattr(tasks, 'replication_state', replication_state)
    monkeypatch.setattr(tasks, 'CATCH_UP_POLL', 0)
    return answers


def test_pick_the_replica_whose_data_goes_furthest(ctx, states_said):
    states_said.update({'s': _state([0, 1, 99], role='source'),
                        'a': _state([0, 1, 5]), 'b': _state([0, 1, 12]),
                        'c': _state([0, 1, 9]), 'd': None})
    picked = tasks.PickMostAdvanced().execute(ctx, ['s', 'a', 'b', 'c', 'd'],
                                              's')
    assert picked == 'b'
    # The old source is never a candidate, even when it answers.
    assert 's' not in states_said.asked


def test_a_replica_without_a_position_is_picked_last(ctx, states_said):
    states_said.update({'a': _state(None), 'b': _state(0)})
    assert tasks.PickMostAdvanced().execute(ctx, ['s', 'a', 'b'], 's') == 'b'
    states_said.update({'b': None})
    assert tasks.PickMostAdvanced().execute(ctx, ['s', 'a', 'b'], 's') == 'a'


def test_pick_fails_when_no_replica_answers(ctx, states_said):
    with pytest.raises(exception.TopologyChanged) as caught:
        tasks.PickMostAdvanced().execute(ctx, ['s', 'a', 'b'], 's')
    assert 'no replica answers' in str(caught.value)


def test_wait_for_catch_up_returns_once_the_replica_has_it_all(
        ctx, states_said):
    states_said.update({
        's': [_state(10, role='source')],
        'r': [_state(3), None, _state(9), _state(10)]})
    tasks.WaitForCatchUp().execute(ctx, 'r', 's')
    assert states_said.asked.count('r') == 4


def test_a_replica_ahead_of_its_source_has_caught_up(ctx, states_said):
    states_said.update({'s': _state([0, 1, 5], role='source'),
                        'r': _state([0, 1, 6])})
    tasks.WaitForCatchUp().execute(ctx, 'r', 's')
    assert states_said.asked == ['s', 'r']


def test_a_replica_promoted_by_an_earlier_run_has_caught_up(
        ctx, states_said):
    states_said.update({'s': _state(10, role='source'),
                        'r': dict(_state(12, role='source'),
                                  running=False)})
    tasks.WaitForCatchUp().execute(ctx, 'r', 's')


@pytest.mark.parametrize('source, replica', [
    (_state(10, role='source'), _state(3)),
    # A replica that does not stream proves nothing by its position (a
    # restarted Redis source counts from 0 again).
    (_state(10, role='source'), dict(_state(12), running=False)),
    # A source that does not answer is no proof of anything.
    (None, _state(3)),
])
def test_wait_for_catch_up_stops_when_told(ctx, states_said, source,
                                           replica):
    states_said.update({'s': source, 'r': replica})
    stop = threading.Event()
    stop.set()
    with pytest.raises(exception.GuestTimeout) as caught:
        tasks.WaitForCatchUp().execute(ctx, 'r', 's', stop_event=stop)
    assert 'Replica r did not catch up with its source s.' in str(
        caught.value)


# -- re-pointing and forgetting ------------------------------------------------

def test_repoint_attaches_every_other_member(ctx, rows, clients):
    old, new, other = rows(3)
    info = {'host': 'h', 'port': 1}
    tasks.RepointMembers(require_all=True).execute(
        ctx, [old, new, other], new, info, old)
    for member in (old, other):
        clients[member].attach_replica.assert_called_once_with(info)
    assert new not in clients


def test_a_promote_needs_every_member_to_follow(ctx, rows, clients):
    old, new, other = rows(3)
    guest_rpcapi.GuestAgentAPI(ctx, old).attach_replica.side_effect = \
        exception.GuestError(reason='no')
    with pytest.raises(exception.GuestError):
        tasks.RepointMembers(require_all=True).execute(
            ctx, [old, new, other], new, {}, old)


def test_an_eject_goes_on_without_those_that_do_not_answer(ctx, rows,
                                                           clients):
    old, new, other = rows(3)
    guest_rpcapi.GuestAgentAPI(ctx, old).attach_replica.side_effect = \
        exception.GuestError(reason='no')
    tasks.RepointMembers(require_all=False).execute(
        ctx, [old, new, other], new, {}, old)
    clients[other].attach_replica.assert_called_once_with({})


def test_forget_replica_asks_the_source(ctx, rows, clients):
    source, replica = rows(2)
    tasks.ForgetReplica().execute(ctx, replica, None)
    assert clients == {}
    tasks.ForgetReplica().execute(ctx, replica, source)
    clients[source].remove_replica.assert_called_once_with(replica)
    clients[source].remove_replica.side_effect = exception.GuestError(
        reason='no')
    tasks.ForgetReplica().execute(ctx, replica, source)


def test_load_source_id(ctx, rows):
    source, replica = rows(2)
    instances.update(ctx, replica, slave_of_id=source)
    assert tasks.LoadSourceId().execute(ctx, replica) == source
    assert tasks.LoadSourceId().execute(ctx, source) is None


class Notice:
    def __init__(self):
        self.ended = []

    def end(self, **traits):
        self.ended.append('end')

    def error(self, message, exc=None, **traits):
        self.ended.append(message)


def test_commit_detach_ends_the_notice_or_says_why_not(ctx, rows):
    source, replica = rows(2)
    instances.update(ctx, replica, slave_of_id=source)
    instances.start(ctx, replica, 'detach', 'tm:1')
    notice = Notice()
    assert not tasks.CommitDetach().execute(ctx, replica, 'tm:other',
                                            notice=notice)
    assert notice.ended == ['The instance was taken over by another '
                            'request.']
    assert tasks.CommitDetach().execute(ctx, replica, 'tm:1', notice=notice)
    assert notice.ended[-1] == 'end'
    row = instances.get(ctx, replica)
    assert row.slave_of_id is None
    assert states.task(row.task_id) is states.NONE


def test_load_group_needs_a_held_member(ctx, rows):
    members = rows(2)
    with pytest.raises(exception.TopologyChanged):
        tasks.LoadGroup().execute(ctx, 'api@h:1',
                                  {'source_id': members[0]})
    for member in members:
        instances.start(ctx, member, 'promote', 'api@h:1')
    loaded = tasks.LoadGroup().execute(ctx, 'api@h:1',
                                       {'source_id': members[0]})
    assert loaded == (sorted(members), members[0])
