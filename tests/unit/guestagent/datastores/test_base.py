"""Tests for what datastore managers share."""

import os
import stat

import pytest

from tests.unit.guestagent import fakes
from trove_lite.common import exception
from trove_lite.common import plugins
from trove_lite.conf import datastores as datastores_conf
from trove_lite.guestagent.datastores import base
from trove_lite.guestagent import info as guest_info


def test_abstract_methods():
    assert base.DatastoreManager.__abstractmethods__ == frozenset(
        ['prepare', 'start_db', 'stop_db', 'restart', 'status',
         'filesystem_stats'])
    with pytest.raises(TypeError):
        base.DatastoreManager(None)


def test_disk_usage_counts_allocated_bytes(tmp_path):
    (tmp_path / 'sub').mkdir()
    (tmp_path / 'sub' / 'f').write_bytes(b'x' * 100000)
    (tmp_path / 'g').write_bytes(b'y' * 5000)
    used = base.disk_usage(str(tmp_path))
    assert used >= 105000
    assert base.disk_usage(str(tmp_path / 'missing')) == 0


def test_prepared_marker_and_volume_stats(tmp_path):
    manager = fakes.FakeManager(guest_info.GuestInfo(
        guest_id='a', instance_dir=str(tmp_path)))
    data = tmp_path / 'data'
    data.mkdir()
    assert manager.prepared() is None
    assert manager.volume_stats(str(data))['total'] is None
    manager.mark_prepared(4)
    assert manager.prepared() == {'volume_size': 4}
    (data / 'f').write_bytes(b'z' * 1024 * 1024)
    stats = manager.volume_stats(str(data))
    assert stats['total'] == 4.0
    assert 0 < stats['used'] < 0.01
    assert stats['free'] == pytest.approx(4.0 - stats['used'])
    assert not os.path.exists(manager.path(base.PREPARED_FILE) + '.tmp')


# -- the volume ------------------------------------------------------------


def test_volume_creates_reports_and_is_sized(tmp_path):
    volume = base.Volume(str(tmp_path / 'data'), mode=0o700)
    assert volume.owner() is None
    volume.ensure()
    assert stat.S_IMODE(os.stat(volume.path).st_mode) & 0o077 == 0
    assert volume.owner() == (os.getuid(), os.getgid())
    (tmp_path / 'data' / 'f').write_bytes(b'x' * 8192)
    assert volume.used_bytes() >= 8192
    assert volume.stats()['total'] is None
    stats = volume.stats(1)
    assert stats['total'] == 1.0
    assert stats['free'] == pytest.approx(1.0 - stats['used'])


# -- configuration overrides -------------------------------------------------


def _manager(tmp_path, datastore='mysql'):
    return fakes.FakeManager(guest_info.GuestInfo(
        guest_id='a', datastore_manager=datastore,
        instance_dir=str(tmp_path)))


def test_overrides_are_empty_until_saved(tmp_path):
    manager = _manager(tmp_path)
    assert manager.config_overrides() == {}
    manager.save_overrides({'mysqld': {'max_connections': 300}})
    assert manager.config_overrides() == {'mysqld': {'max_connections': 300}}
    assert not os.path.exists(manager.path(base.OVERRIDES_FILE) + '.tmp')


@pytest.mark.parametrize('text', ['not json', '[1, 2]'])
def test_unreadable_overrides_are_a_guest_error(tmp_path, text):
    manager = _manager(tmp_path)
    (tmp_path / base.OVERRIDES_FILE).write_text(text)
    with pytest.raises(exception.GuestError) as caught:
        manager.config_overrides()
    assert base.OVERRIDES_FILE in str(caught.value)


# -- strategies ------------------------------------------------------------


@pytest.mark.parametrize('hook, args', [
    ('create_backup', ({'id': 'b'},)), ('replication', ())])
def test_hooks_refuse_without_a_strategy(tmp_path, override, hook, args):
    override('backup_strategy', None, group='mysql')
    override('replication_strategy', None, group='mysql')
    manager = _manager(tmp_path)
    with pytest.raises(exception.DatastoreOperationNotSupported) as caught:
        getattr(manager, hook)(*args)
    assert 'mysql' in str(caught.value)


def test_a_datastore_without_a_group_has_no_strategies(tmp_path):
    manager = _manager(tmp_path, datastore='db2')
    with pytest.raises(exception.DatastoreOperationNotSupported):
        manager.strategy(base.BACKUP)


def test_a_configured_strategy_that_is_not_installed(tmp_path, override):
    override('backup_strategy', 'nosuch', group='mysql')
    manager = _manager(tmp_path)
    with pytest.raises(plugins.PluginNotFound) as caught:
        manager.create_backup({'id': 'b', 'storage': {'driver': 'local',
                                                      'path': 'x'}})
    message = str(caught.value)
    assert "'nosuch'" in message
    assert datastores_conf.BACKUP_NAMESPACE in message
    assert '[mysql] backup_strategy' in message


@pytest.mark.parametrize('kind, namespace_option', [
    (base.BACKUP, 'backup_namespace'), (base.RESTORE, 'restore_namespace')])
def test_strategy_loads_the_configured_plugin(
        tmp_path, monkeypatch, override, kind, namespace_option):
    override('backup_strategy', 'dump', group='redis')
    override(namespace_option, 'my.namespace', group='redis')
    manager = _manager(tmp_path, datastore='redis')
    loads = []

    class Strategy:
        def __init__(self, owner):
            self.owner = owner

    def load(namespace, name, option=None, args=()):
        loads.append((namespace, name, option))
        return Strategy(*args)

    monkeypatch.setattr(base.plugins, 'load', load)
    assert manager.strategy(kind).owner is manager
    assert loads == [('my.namespace', 'dump', '[redis] backup_strategy')]


def test_create_backup_is_the_runners(tmp_path, monkeypatch):
    manager = _manager(tmp_path)
    calls = []
    monkeypatch.setattr(base.backups, 'take_backup',
                        lambda *args: calls.append(args) or 'stored')
    assert manager.create_backup({'id': 'b'}, 'progress') == 'stored'
    assert calls == [(manager, {'id': 'b'}, 'progress')]


# -- the replication state heartbeats carry -----------------------------------

class ReplicationStrategy:
    def __init__(self, owner):
        self.owner = owner

    def state(self):
        return {'role': 'replica', 'owner': self.owner.info.guest_id}


def test_no_replication_state_before_the_strategy_recorded_anything(
        tmp_path, monkeypatch):
    monkeypatch.setattr(base.plugins, 'load',
                        lambda *args, **kwargs: ReplicationStrategy(
                            *kwargs['args']))
    manager = _manager(tmp_path)
    assert manager.replication_state() is None
    (tmp_path / 'replication.json').write_text('{"role": "replica"}')
    assert manager.replication_state() == {'role': 'replica', 'owner': 'a'}


def test_no_replication_state_without_an_instance_directory():
    manager = fakes.FakeManager(guest_info.GuestInfo(
        guest_id='a', datastore_manager='mysql'))
    assert manager.replication_state() is None


@pytest.mark.parametrize('strategy', [None, 'nosuch'])
def test_no_replication_state_without_a_usable_strategy(tmp_path, override,
                                                        strategy):
    override('replication_strategy', strategy, group='mysql')
    manager = _manager(tmp_path)
    (tmp_path / 'replication.json').write_text('{"role": "replica"}')
    assert manager.replication_state() is None
