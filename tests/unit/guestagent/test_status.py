"""What a heartbeat says of replication (the rest of the payload is
exercised by the agent's tests).
"""

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
