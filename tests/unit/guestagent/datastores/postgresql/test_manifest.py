"""Tests for the PostgreSQL manifest."""

import pytest

from trove_lite.common import exception
from trove_lite.guestagent.datastores import manifest
from trove_lite.guestagent.datastores.postgresql import manifest as pg


def test_loaded_by_entry_point():
    loaded = manifest.load('postgresql')
    assert isinstance(loaded, pg.Manifest)
    assert loaded.supports(manifest.DATABASES)
    assert loaded.supports(manifest.USERS)
    assert loaded.supports(manifest.ROOT)
    assert loaded.root_user == 'root'
    assert loaded.user_hosts is False
    assert loaded.database_charsets is True


def test_validators():
    m = pg.Manifest()
    assert m.validate_database_name('app') == 'app'
    assert m.validate_user_name('app') == 'app'
    assert m.validate_host(None) == '%'
    assert m.validate_charset('UTF8', 'character set') == 'UTF8'
    assert m.validate_charset('en_US.UTF-8', 'collation') == 'en_US.UTF-8'
    for call in (lambda: m.validate_database_name('template1'),
                 lambda: m.validate_user_name('postgres'),
                 lambda: m.validate_user_name('root'),
                 lambda: m.validate_host('localhost'),
                 lambda: m.validate_password(''),
                 lambda: m.validate_charset("x'", 'collation')):
        with pytest.raises(exception.BadValue):
            call()
