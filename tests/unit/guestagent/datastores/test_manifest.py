"""Tests for loading datastore manifests."""

import logging

import pytest

from trove_lite.common import plugins
from trove_lite.guestagent.datastores import manifest
from trove_lite.guestagent.datastores.mysql import manifest as mysql_manifest


@pytest.fixture(autouse=True)
def fresh_cache():
    manifest.load.cache_clear()
    yield
    manifest.load.cache_clear()


def test_installed_manifest():
    assert isinstance(manifest.load('mysql'), mysql_manifest.Manifest)


def test_a_manager_without_manifest_has_no_features(caplog):
    caplog.set_level(logging.INFO, logger=manifest.__name__)
    loaded = manifest.load('db2')
    assert isinstance(loaded, manifest.NoFeatures)
    assert not loaded.supports(manifest.USERS)
    records = [r for r in caplog.records if r.name == manifest.__name__]
    assert [r.levelno for r in records] == [logging.INFO]
    assert 'db2' in records[0].getMessage()


def test_a_broken_manifest_is_logged_once_with_the_reason(
        caplog, monkeypatch):
    class Broken(mysql_manifest.Manifest):
        def __init__(self):
            raise ImportError('no module named mysql_helpers')

    monkeypatch.setattr(mysql_manifest, 'Manifest', Broken)
    caplog.set_level(logging.INFO, logger=manifest.__name__)
    first = manifest.load('mysql')
    again = manifest.load('mysql')
    assert isinstance(first, manifest.NoFeatures)
    assert again is first
    errors = [r for r in caplog.records
              if r.name == manifest.__name__ and r.levelno == logging.ERROR]
    assert len(errors) == 1
    message = errors[0].getMessage()
    assert "'mysql'" in message
    assert 'no module named mysql_helpers' in message
    assert plugins.DATASTORE_MANIFESTS in message
