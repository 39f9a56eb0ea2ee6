"""What every replication strategy shares: the record it keeps in the
instance directory, and the defaults of the optional steps.
"""

import os
import stat

import pytest

from tests.unit.guestagent import fakes
from trove_lite.common import exception
from trove_lite.guestagent import info as guest_info
from trove_lite.guestagent.strategies.replication import base


class Minimal(base.ReplicationStrategy):
    """Only what a strategy must implement."""

    name = 'minimal'

    def enable_as_source(self):
        return {}

    def attach(self, source_info, snapshot=None):
        pass

    def promote(self):
        return {}

    def detach(self):
        pass

    def state(self):
        return {}


@pytest.fixture
def strategy(tmp_path):
    return Minimal(fakes.FakeManager(guest_info.GuestInfo(
        guest_id='a', datastore_manager='mysql',
        instance_dir=str(tmp_path))))


def test_the_abstract_methods():
    assert base.ReplicationStrategy.__abstractmethods__ == frozenset(
        ['enable_as_source', 'attach', 'promote', 'detach', 'state'])


def test_the_record_is_a_private_file_merged_atomically(strategy, tmp_path):
    assert strategy.recorded() == {}
    strategy.record(role=base.REPLICA, source={'host': 'h', 'password': 'p'})
    strategy.record(source=None, fenced=True)
    assert strategy.recorded() == {'role': base.REPLICA, 'fenced': True}
    path = tmp_path / base.RECORD_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert not os.path.exists(str(path) + '.tmp')


def test_the_optional_steps_default(strategy):
    assert strategy.snapshot({}, None) == {'backup': None}
    assert strategy.seed({}, {}, 'mysql') is False
    assert strategy.remove_replica({'id': 'r'}) is None
    # A strategy that cannot fence refuses, so a promote is refused.
    with pytest.raises(exception.DatastoreOperationNotSupported) as caught:
        strategy.fence()
    assert 'minimal' in str(caught.value) and 'mysql' in str(caught.value)
