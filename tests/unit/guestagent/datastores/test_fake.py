"""Tests for the in-memory ``fake`` datastore manager."""

from trove_lite.common import states
from trove_lite.guestagent import datastores
from trove_lite.guestagent.datastores import fake
from trove_lite.guestagent import info as guest_info


def test_fake_lifecycle():
    info = guest_info.GuestInfo(guest_id='a', datastore_manager='fake')
    manager = datastores.load_manager(info)
    assert isinstance(manager, fake.Manager)
    assert manager.status() is states.SVC_NEW
    manager.prepare(512, [{'name': 'app'}],
                    [{'name': 'u', 'password': 'p'}], volume_size=2)
    assert manager.status() is states.SVC_HEALTHY
    assert set(manager.databases) == {'app'}
    assert set(manager.users) == {('u', '%')}
    assert manager.filesystem_stats() == {'total': 2.0, 'used': 0.0,
                                          'free': 2.0}
    manager.stop_db()
    assert manager.status() is states.SVC_SHUTDOWN
    manager.restart()
    assert manager.status() is states.SVC_HEALTHY
