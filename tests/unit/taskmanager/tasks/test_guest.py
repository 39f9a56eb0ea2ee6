"""Tasks that talk to the guest."""

import datetime
import threading
from unittest import mock

import pytest

from tests import waiting
from trove_lite.common import exception
from trove_lite.common import states
from trove_lite.common import status_events
from trove_lite.db import models
from trove_lite.db.repositories import instances
from trove_lite.taskmanager.tasks import base
from trove_lite.taskmanager.tasks import guest


@pytest.fixture
def claimed(ctx, new_instance):
    row = new_instance()
    instances.claim(ctx, row.id, 'h', states.BUILDING)
    return row


def test_prepare_casts_with_the_flavor_memory(ctx, claimed, flavor,
                                              guest_client):
    guest.Prepare().execute(ctx, claimed.id, claimed, flavor,
                            [{'name': 'd'}], None, 'pw')
    guest_client.prepare.assert_called_once_with(
        memory_mb=512, databases=[{'name': 'd'}], users=[],
        root_password='pw', volume_size=1)
    guest.guest_rpcapi.GuestAgentAPI.assert_called_once_with(
        ctx, claimed.id, key=instances.key_of(ctx, claimed.id))


def test_wait_returns_ready_when_healthy(ctx, claimed):
    instances.set_service_status(ctx, claimed.id, states.SVC_HEALTHY)
    assert guest.WaitForHealthy().execute(ctx, claimed.id, 'h') == \
        guest.READY


def test_wait_raises_the_guests_fault(ctx, claimed):
    instances.add_fault(ctx, claimed.id, 'No disk.', 'ENOSPC')
    instances.set_service_status(ctx, claimed.id, states.SVC_FAILED)
    with pytest.raises(base.GuestFailed) as err:
        guest.WaitForHealthy().execute(ctx, claimed.id, 'h')
    assert err.value.tenant_message == 'No disk.'
    assert 'ENOSPC' in str(err.value)


def test_wait_stops_when_taken_over(ctx, claimed):
    instances.start(ctx, claimed.id, 'delete', 'deleter')
    assert guest.WaitForHealthy().execute(ctx, claimed.id, 'h') == guest.LOST


def test_wait_stops_when_deleted(ctx, claimed):
    instances.mark_deleted(ctx, claimed.id)
    assert guest.WaitForHealthy().execute(ctx, claimed.id, 'h') == guest.LOST


def test_wait_fails_when_expired(ctx, claimed):
    instances.update(ctx, claimed.id, task_deadline=models.utcnow()
                     - datetime.timedelta(seconds=1))
    instances.expire(ctx, claimed.id, states.BUILDING.code, 'late', 'x')
    with pytest.raises(base.GuestTimeout):
        guest.WaitForHealthy().execute(ctx, claimed.id, 'h')


def test_wait_fails_long_after_the_deadline(ctx, claimed, override):
    override('reconcile_interval', 1)
    instances.update(ctx, claimed.id, task_deadline=models.utcnow()
                     - datetime.timedelta(seconds=3))
    with pytest.raises(base.GuestTimeout):
        guest.WaitForHealthy().execute(ctx, claimed.id, 'h')


def test_wait_is_interrupted_by_the_stop_event(ctx, claimed):
    stop = threading.Event()
    stop.set()
    assert guest.WaitForHealthy().execute(ctx, claimed.id, 'h', stop) == \
        guest.INTERRUPTED


def test_wait_wakes_when_this_process_stores_a_status(ctx, claimed,
                                                      monkeypatch):
    # NOTE(tests): a poll interval longer than the join below: only the
    # conductor's word can end the wait in time.
    monkeypatch.setattr(guest.WaitForHealthy, 'poll_interval', 600)
    outcome = []
    waiter = threading.Thread(target=lambda: outcome.append(
        guest.WaitForHealthy().execute(ctx, claimed.id, 'h')))
    waiter.start()
    try:
        assert waiting.wait_for(
            lambda: status_events._watchers.get(claimed.id), timeout=30)
        instances.set_service_status(ctx, claimed.id, states.SVC_HEALTHY)
        status_events.changed(claimed.id)
        waiter.join(30)
        assert outcome == [guest.READY]
    finally:
        instances.mark_deleted(ctx, claimed.id)
        status_events.changed(claimed.id)
        waiter.join(30)
    assert claimed.id not in status_events._watchers


def test_stop_database_ignores_a_missing_guest(ctx, claimed, guest_client):
    guest_client.stop_db.side_effect = exception.RPCTimeout(service='g',
                                                            timeout=1)
    instances.update(ctx, claimed.id, compute_instance_id='s1')
    guest.StopDatabase().execute(ctx, claimed.id,
                                 instances.get(ctx, claimed.id))
    guest_client.stop_db.assert_called_once_with()


def test_stop_database_skips_an_instance_without_server(ctx, claimed,
                                                        guest_client):
    guest.StopDatabase().execute(ctx, claimed.id, claimed)
    guest_client.stop_db.assert_not_called()


def test_restart_database(ctx, claimed, guest_client):
    guest.RestartDatabase().execute(ctx, claimed.id)
    guest_client.restart.assert_called_once_with()


def test_prepare_is_skipped_unless_the_agent_answered(ctx, claimed, flavor,
                                                      guest_client):
    guest.Prepare().execute(ctx, claimed.id, claimed, flavor, [], [], None,
                            guest.LOST)
    guest_client.prepare.assert_not_called()


@pytest.fixture
def server():
    """A driver whose server runs its agent."""
    driver = mock.Mock()
    driver.server_status.return_value = states.SERVER_ACTIVE
    return driver


def test_wait_for_agent_pings_until_it_answers(ctx, claimed, monkeypatch,
                                               server, guest_client):
    answers = [exception.RPCTimeout(service='g', timeout=1), None]

    def call(cctxt, context, method, service):
        assert method == 'rpc_ping'
        answer = answers.pop(0)
        if answer is not None:
            raise answer
        return {'instance_id': claimed.id, 'rpc_api_version': '1.2'}

    monkeypatch.setattr(guest.rpc, 'call', call)
    monkeypatch.setattr(guest.rpc, 'prepare', mock.Mock())
    assert guest.WaitForAgent(server).execute(ctx, claimed.id, 'h') == \
        guest.READY
    assert answers == []


@pytest.mark.parametrize('version', ['1.0', '2.1', None, 'garbage'])
def test_wait_for_agent_refuses_an_incompatible_agent(ctx, claimed, server,
                                                      monkeypatch, version,
                                                      guest_client):
    monkeypatch.setattr(guest.rpc, 'call',
                        lambda *args: {'rpc_api_version': version})
    monkeypatch.setattr(guest.rpc, 'prepare', mock.Mock())
    with pytest.raises(base.GuestIncompatible) as caught:
        guest.WaitForAgent(server).execute(ctx, claimed.id, 'h')
    assert 'needs 1.1 to 1.8' in str(caught.value)
    assert caught.value.tenant_message.startswith(
        'The guest agent of the instance is incompatible')


def test_wait_for_agent_refuses_an_agent_that_refuses_the_ping(
        ctx, claimed, server, monkeypatch, guest_client):
    def call(*args):
        raise exception.IncompatibleService(service='g', method='rpc_ping',
                                            version='1.0')

    monkeypatch.setattr(guest.rpc, 'call', call)
    monkeypatch.setattr(guest.rpc, 'prepare', mock.Mock())
    with pytest.raises(base.GuestIncompatible) as caught:
        guest.WaitForAgent(server).execute(ctx, claimed.id, 'h')
    assert 'speaks guest API other than 1.x' in str(caught.value)
    assert 'speaks guest API other than 1.x' in caught.value.tenant_message


def test_contract_keeps_what_the_agent_says_out_of_the_fault():
    with pytest.raises(base.GuestIncompatible) as caught:
        guest.check_contract('i', {'rpc_api_version': '9.9' + 'x' * 1000})
    assert 'speaks guest API an unknown version' in \
        caught.value.tenant_message
    # The longest version that passes still fits the fault's column.
    longest = base.GuestIncompatible(
        uuid='i', version='999999999.999999999.999999999',
        needed='1.1 to %s' % guest.OUR_GUEST_API)
    assert len(longest.tenant_message) <= 255


def test_contract_accepts_newer_minor_versions():
    guest.check_contract('i', {'rpc_api_version': '1.1'})
    guest.check_contract('i', {'rpc_api_version': '1.7'})


@pytest.fixture
def silent_agent(monkeypatch, guest_client):
    def call(*args):
        raise exception.RPCTimeout(service='g', timeout=1)

    monkeypatch.setattr(guest.rpc, 'call', call)
    monkeypatch.setattr(guest.rpc, 'prepare', mock.Mock())


def test_wait_for_agent_stops_when_taken_over(ctx, claimed, silent_agent,
                                              server):
    instances.start(ctx, claimed.id, 'delete', 'deleter')
    assert guest.WaitForAgent(server).execute(ctx, claimed.id, 'h') == \
        guest.LOST


def test_wait_for_agent_is_interrupted(ctx, claimed, silent_agent, server):
    stop = threading.Event()
    stop.set()
    assert guest.WaitForAgent(server).execute(ctx, claimed.id, 'h',
                                              stop) == guest.INTERRUPTED


def test_wait_for_agent_fails_past_the_deadline(ctx, claimed, silent_agent,
                                                override, server):
    override('reconcile_interval', 1)
    instances.update(ctx, claimed.id, task_deadline=models.utcnow()
                     - datetime.timedelta(seconds=3))
    with pytest.raises(base.GuestTimeout):
        guest.WaitForAgent(server).execute(ctx, claimed.id, 'h')


def test_wait_for_agent_keeps_waiting_while_the_server_builds(
        ctx, claimed, silent_agent, server):
    server.server_status.return_value = states.SERVER_BUILD
    stop = threading.Event()
    stop.set()
    assert guest.WaitForAgent(server).execute(ctx, claimed.id, 'h',
                                              stop) == guest.INTERRUPTED


@pytest.mark.parametrize('status', [states.SERVER_SHUTDOWN,
                                    states.SERVER_ERROR,
                                    states.SERVER_DELETED])
def test_wait_for_agent_fails_at_once_when_the_agent_is_gone(
        ctx, claimed, silent_agent, server, status):
    # Long before the deadline: the dead agent is noticed, not waited out.
    server.server_status.return_value = status
    server.console_output.return_value = 'Failed to find config files\n'
    with pytest.raises(base.AgentFailed) as err:
        guest.WaitForAgent(server).execute(ctx, claimed.id, 'h')
    assert status in str(err.value)
    assert 'Failed to find config files' in str(err.value)
    assert 'could not be started' in err.value.tenant_message
    [(context, row)] = [c.args for c in server.server_status.call_args_list]
    assert row.id == claimed.id


def test_an_unreadable_console_does_not_hide_the_failure(
        ctx, claimed, silent_agent, server):
    server.server_status.return_value = states.SERVER_SHUTDOWN
    server.console_output.side_effect = OSError('EIO')
    with pytest.raises(base.AgentFailed) as err:
        guest.WaitForAgent(server).execute(ctx, claimed.id, 'h')
    assert 'cannot read it: EIO' in str(err.value)


def test_wait_sends_a_lost_prepare_again(ctx, claimed, flavor, guest_client,
                                         override):
    """The guest never left NEW: the prepare cast was lost; once the
    resend interval passed, the wait sends it again, and the guest's
    healthy report ends the wait.
    """
    override('prepare_resend_interval', 1.0, group='taskmanager')

    def prepared(**kwargs):
        instances.set_service_status(ctx, claimed.id, states.SVC_HEALTHY)

    guest_client.prepare.side_effect = prepared
    assert guest.WaitForHealthy().execute(
        ctx, claimed.id, 'h', instance=claimed, flavor=flavor,
        databases=[], users=[], root_password=None) == guest.READY
    guest_client.prepare.assert_called_once_with(
        memory_mb=flavor.ram, databases=[], users=[], root_password=None,
        volume_size=claimed.volume_size)


def test_wait_does_not_resend_once_the_guest_builds(
        ctx, claimed, flavor, guest_client, override):
    override('prepare_resend_interval', 1.0, group='taskmanager')
    instances.set_service_status(ctx, claimed.id, states.SVC_BUILDING)
    stop = threading.Event()
    threading.Timer(1.5, stop.set).start()
    assert guest.WaitForHealthy().execute(
        ctx, claimed.id, 'h', stop, instance=claimed, flavor=flavor,
        databases=[], users=[], root_password=None) == guest.INTERRUPTED
    guest_client.prepare.assert_not_called()
