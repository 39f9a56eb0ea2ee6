"""What a heartbeat says of replication and of running backups, and
the moment it carries (the rest of the payload is exercised by the
agent's tests).
"""

import time
from unittest import mock

from tests.unit.guestagent import fakes
from trove_lite.common import states
from trove_lite.conductor import rpcapi as conductor_rpcapi
from trove_lite.guestagent import info as guest_info
from trove_lite.guestagent import status


class Replicating(fakes.FakeManager):
    """A datastore whose strategy says ``said`` (or raises it)."""

    said = None

    def replication_state(self):
        if isinstance(self.said, Exception):
            raise self.said
        return self.said


class Older:
    """A manager of a release before replication: no
    ``replication_state``.
    """

    def status(self):
        return states.SVC_HEALTHY

    def filesystem_stats(self):
        return {'total': 1.0, 'used': 0.5, 'free': 0.5}


def _payload(manager):
    conductor = mock.create_autospec(conductor_rpcapi.ConductorAPI,
                                     instance=True)
    reporter = status.StatusReporter('i1', conductor, manager)
    assert reporter.heartbeat() is not None
    [call] = conductor.heartbeat.call_args_list
    return call.args[2]


def _manager():
    return Replicating(guest_info.GuestInfo(guest_id='i1',
                                            datastore_manager='fake'))


def test_a_heartbeat_carries_the_replication_state():
    manager = _manager()
    manager.said = {'role': 'replica', 'running': True, 'lag': 0.5}
    assert _payload(manager)['replication'] == manager.said


def test_no_entry_for_an_instance_outside_replication():
    assert 'replication' not in _payload(_manager())
    # An agent without a datastore, or a manager of an older interface.
    assert 'replication' not in _payload(None)
    assert 'replication' not in _payload(Older())


def test_a_state_that_cannot_be_read_is_reported_as_an_error(caplog):
    manager = _manager()
    manager.said = RuntimeError('mariadbd gone')
    payload = _payload(manager)
    # The heartbeat still goes, with its status.
    assert payload['service_status'] == 'shutdown'
    assert payload['replication'] == {
        'error': 'the replication state could not be read'}
    assert 'mariadbd gone' in caplog.text


class SlowToMeasure(fakes.FakeManager):
    """A datastore whose volume read lets ``meanwhile`` happen (a backup
    starts while a loaded host answers).
    """

    meanwhile = None

    def filesystem_stats(self):
        if self.meanwhile is not None:
            self.meanwhile()
        return {'total': 1.0, 'used': 0.5, 'free': 0.5}


def test_a_backup_started_while_the_payload_is_read_is_named_or_later():
    """The conductor fails a BUILDING backup that a heartbeat sent after
    its start does not name. So a backup that starts (and is reported
    BUILDING) while the payload is read must be either named in it or
    started after the heartbeat's ``sent``.
    """
    manager = SlowToMeasure(guest_info.GuestInfo(guest_id='i1',
                                                 datastore_manager='fake'))
    conductor = mock.create_autospec(conductor_rpcapi.ConductorAPI,
                                     instance=True)
    reporter = status.StatusReporter('i1', conductor, manager)
    started = []

    def backup_starts():
        assert reporter.backup_started('b1')
        started.append(time.time())
    manager.meanwhile = backup_starts

    payload = reporter.heartbeat()
    [call] = conductor.heartbeat.call_args_list
    sent = call.args[3]
    assert started and payload['volume'] is not None
    assert 'b1' in payload['backups'] or sent <= started[0], (
        payload['backups'], sent, started)
