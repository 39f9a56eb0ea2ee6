"""Tests for what datastore managers share."""

import os

import pytest

from tests.unit.guestagent import fakes
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
