"""Tests for the Redis manifest."""

import pytest

from trove_lite.common import exception
from trove_lite.guestagent.datastores import manifest
from trove_lite.guestagent.datastores.redis import manifest as redis_manifest


def test_loaded_by_entry_point():
    loaded = manifest.load('redis')
    assert isinstance(loaded, redis_manifest.Manifest)


def test_root_only():
    loaded = redis_manifest.Manifest()
    assert loaded.supports(manifest.ROOT)
    assert not loaded.supports(manifest.DATABASES)
    assert not loaded.supports(manifest.USERS)
    assert loaded.root_user == 'default'
    with pytest.raises(exception.BadValue):
        loaded.validate_database_name('app')
    with pytest.raises(exception.BadValue):
        loaded.validate_password('')
