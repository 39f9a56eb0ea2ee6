"""Tests for the in-memory ``fake`` datastore manager."""

import pytest

from trove_lite.common import exception
from trove_lite.common import states
from trove_lite.guestagent import datastores
from trove_lite.guestagent.datastores import fake
from trove_lite.guestagent.datastores import manifest
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


def _manager():
    manager = fake.Manager(guest_info.GuestInfo(guest_id='a',
                                                datastore_manager='fake'))
    manager.prepare(512, [], [])
    return manager


def test_fake_databases():
    manager = _manager()
    manager.create_databases([{'name': 'b'}, {'name': 'a',
                                              'character_set': 'utf8'}])
    manager.create_databases([{'name': 'a'}])  # existing ones are kept
    assert manager.list_databases() == [
        {'name': 'a', 'character_set': 'utf8'}, {'name': 'b'}]
    manager.delete_database('a')
    with pytest.raises(exception.DatabaseNotFound):
        manager.delete_database('a')
    with pytest.raises(exception.BadValue):
        manager.create_databases([{'name': 'mysql'}])


def test_fake_users_and_access():
    manager = _manager()
    manager.create_databases([{'name': 'app'}])
    manager.create_users([{'name': 'u', 'host': '%', 'password': 'p',
                           'databases': [{'name': 'app'}]}])
    with pytest.raises(exception.UserAlreadyExists):
        manager.create_users([{'name': 'v', 'password': 'p'},
                              {'name': 'u', 'password': 'p'}])
    assert manager.get_user('v', '%') is None
    with pytest.raises(exception.DatabaseNotFound):
        manager.create_users([{'name': 'v', 'password': 'p',
                               'databases': [{'name': 'nosuch'}]}])
    assert manager.list_users() == [
        {'name': 'u', 'host': '%', 'databases': [{'name': 'app'}]}]
    manager.update_user('u', '%', {'name': 'w', 'host': 'localhost',
                                   'password': 'q'})
    assert manager.list_access('w', 'localhost') == [{'name': 'app'}]
    with pytest.raises(exception.UserNotFound):
        manager.list_access('u', '%')
    manager.revoke_access('w', 'localhost', 'app')
    with pytest.raises(exception.DatabaseNotFound):
        manager.revoke_access('w', 'localhost', 'app')
    with pytest.raises(exception.DatabaseNotFound):
        manager.grant_access('w', 'localhost', ['app', 'nosuch'])
    assert manager.list_access('w', 'localhost') == []
    with pytest.raises(exception.UserNotFound):
        manager.change_passwords([{'name': 'w', 'host': 'localhost',
                                   'password': 'x'},
                                  {'name': 'nobody', 'password': 'x'}])
    assert manager.users[('w', 'localhost')]['password'] == 'q'
    manager.delete_user('w', 'localhost')
    with pytest.raises(exception.UserNotFound):
        manager.delete_user('w', 'localhost')
    with pytest.raises(exception.BadValue):
        manager.get_user('root', '%')


def test_fake_root():
    manager = _manager()
    assert not manager.is_root_enabled()
    assert manager.enable_root('pw') == {'name': 'root', 'password': 'pw'}
    assert manager.is_root_enabled()
    manager.disable_root()
    assert not manager.is_root_enabled()


def test_fake_manifest_is_an_entry_point():
    spec = manifest.load('fake')
    assert isinstance(spec, fake.Manifest)
    assert all(spec.supports(feature) for feature in (
        manifest.DATABASES, manifest.USERS, manifest.ROOT))
    assert spec.validate_host(None) == '%'


def test_fake_state_export_and_import_are_copies():
    manager = _manager()
    manager.create_databases([{'name': 'app'}])
    manager.create_users([{'name': 'u', 'password': 'p',
                           'databases': [{'name': 'app'}]}])
    state = manager.export_state()
    assert state == {'databases': [{'name': 'app'}],
                     'users': [{'name': 'u', 'host': '%', 'password': 'p',
                                'databases': ['app']}],
                     'root_password': None}
    other = _manager()
    other.enable_root('r')
    other.import_state(state)
    assert not other.is_root_enabled()
    other.revoke_access('u', '%', 'app')
    other.delete_database('app')
    # Neither the exported state nor its source changed.
    assert state['users'][0]['databases'] == ['app']
    assert manager.list_access('u', '%') == [{'name': 'app'}]


# -- configuration groups ----------------------------------------------------------

def test_configuration_overrides_apply_live_or_at_the_next_restart():
    manager = fake.Manager(guest_info.GuestInfo(guest_id='a',
                                                datastore_manager='fake'))
    manager.prepare(512, [], [], overrides={'wait_timeout': 60})
    assert manager.configuration(512)['wait_timeout'] == 60
    assert manager.configuration_defaults(512)['buffer_pool_size'] == \
        256 * 1024 * 1024
    done = manager.apply_configuration(
        {'max_connections': 5, 'buffer_pool_size': 8388608}, 512)
    assert done == {'pending_restart': ['buffer_pool_size']}
    running = manager.configuration(512)
    # A parameter no longer overridden is back to its default.
    assert running['wait_timeout'] == 28800
    assert running['max_connections'] == 5
    assert running['buffer_pool_size'] == 256 * 1024 * 1024
    manager.restart()
    assert manager.configuration(512)['buffer_pool_size'] == 8388608
    assert manager.apply_configuration({}, 512) == {
        'pending_restart': ['buffer_pool_size']}
