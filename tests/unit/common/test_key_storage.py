import os
import stat

from cryptography import fernet
import pytest

from trove_lite.common import exception
from trove_lite.common import key_storage
from trove_lite import conf

CONF = conf.CONF


def test_round_trip_hides_the_key():
    stored = key_storage.encrypt('the-key')
    assert stored.startswith(key_storage.PREFIX)
    assert 'the-key' not in stored
    assert key_storage.decrypt(stored) == 'the-key'


def test_none_and_legacy_clear_values_read_as_themselves():
    assert key_storage.encrypt(None) is None
    assert key_storage.decrypt(None) is None
    assert key_storage.decrypt('written-before-encryption') == \
        'written-before-encryption'


def test_secret_file_is_created_once_and_private():
    first = key_storage.encrypt('k')
    path = os.path.join(CONF.state_path, key_storage.SECRET_FILE)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path) as handle:
        secret = handle.read()
    key_storage.encrypt('k2')
    with open(path) as handle:
        assert handle.read() == secret
    assert key_storage.decrypt(first) == 'k'


def test_configured_secret_wins_and_another_secret_cannot_read():
    CONF.set_override('inst_rpc_key_encr_key', 'operator-secret')
    try:
        stored = key_storage.encrypt('k')
        assert key_storage.decrypt(stored) == 'k'
        CONF.set_override('inst_rpc_key_encr_key', 'another-secret')
        with pytest.raises(fernet.InvalidToken):
            key_storage.decrypt(stored)
    finally:
        CONF.clear_override('inst_rpc_key_encr_key')


def test_an_unset_secret_is_a_warning_with_a_local_driver(override, caplog):
    override('inst_rpc_key_encr_key', None)
    override('compute_driver', 'local')
    with caplog.at_level('WARNING', logger='trove_lite.common.key_storage'):
        assert key_storage.check_secret() is False
    assert 'Set inst_rpc_key_encr_key' in caplog.text


def test_an_unset_secret_refuses_the_cloud_shape(override):
    override('inst_rpc_key_encr_key', None)
    override('compute_driver', 'nova')
    with pytest.raises(exception.KeySecretRequired) as raised:
        key_storage.check_secret()
    assert 'inst_rpc_key_encr_key' in str(raised.value)
    assert 'nova' in str(raised.value)


def test_a_set_secret_passes_in_every_shape(override, caplog):
    override('inst_rpc_key_encr_key', 's3cret')
    for driver in ('local', 'nova'):
        override('compute_driver', driver)
        assert key_storage.check_secret() is True
    assert 'inst_rpc_key_encr_key' not in caplog.text
