"""Start-up steps every process shares: the instance-key secret check."""

import pytest

from tests.functional import fixtures
from trove_lite.cmd import common
from trove_lite.common import exception
from trove_lite.common import key_storage


def _config(tmp_path, **default):
    return fixtures.write_config(tmp_path / 'shape.conf', {
        'DEFAULT': dict({'state_path': tmp_path / 'state'}, **default),
        'database': {'connection': 'sqlite:///%s' % (tmp_path / 'db')},
    })


def test_a_cloud_shape_without_the_secret_does_not_start(tmp_path):
    config = _config(tmp_path, compute_driver='nova')
    with pytest.raises(exception.KeySecretRequired):
        common.init_process(['--config-file', str(config)],
                            default_config_files=[])


def test_a_cloud_shape_with_the_secret_starts(tmp_path):
    config = _config(tmp_path, compute_driver='nova',
                     inst_rpc_key_encr_key='one-for-all-hosts')
    common.init_process(['--config-file', str(config)],
                        default_config_files=[])
    assert common.CONF.compute_driver == 'nova'


def test_the_embedded_shape_starts_with_a_warning(tmp_path, monkeypatch):
    # NOTE(logging): init_process sets logging up afresh, so pytest's
    # capture handler is gone by the time the warning is logged.
    warnings = []
    monkeypatch.setattr(key_storage.LOG, 'warning',
                        lambda msg, *args: warnings.append(msg % args))
    config = _config(tmp_path)
    common.init_process(['--config-file', str(config)],
                        default_config_files=[])
    assert len(warnings) == 1
    assert 'inst_rpc_key_encr_key is unset' in warnings[0]


def test_operator_commands_are_not_checked(tmp_path):
    config = _config(tmp_path, compute_driver='nova')
    common.init_process(['--config-file', str(config)],
                        default_config_files=[], check_secret=False)
    assert common.CONF.compute_driver == 'nova'
