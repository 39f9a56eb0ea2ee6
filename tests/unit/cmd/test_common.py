"""Start-up steps every process shares: the instance-key secret check and
the check of every option's value.
"""

import errno
import subprocess
import sys

import pytest

from tests.functional import fixtures
from trove_lite.cmd import api
from trove_lite.cmd import common
from trove_lite.cmd import conductor
from trove_lite.cmd import guestagent
from trove_lite.cmd import taskmanager
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


# NOTE(issue13): instances_page_size = 0 started, then every list answered
# 500 ConfigFileValueError: oslo.config checks a value when it is read.
@pytest.mark.parametrize('group,name,value,reason', [
    ('DEFAULT', 'instances_page_size', 0,
     'Should be greater than or equal to 1'),
    ('DEFAULT', 'users_page_size', 'twenty', 'invalid literal for int()'),
    ('taskmanager', 'flow_workers', 0, 'Should be greater than or equal'),
    ('DEFAULT', 'max_accepted_volume_size', 2 ** 31,
     'Should be less than or equal to'),
])
def test_a_bad_value_is_refused_at_start(tmp_path, capsys, group, name,
                                         value, reason):
    config = _config(tmp_path)
    extra = fixtures.write_config(tmp_path / 'bad.conf',
                                  {group: {name: value}})
    with pytest.raises(SystemExit) as caught:
        common.init_process(['--config-file', str(config),
                             '--config-file', str(extra)],
                            default_config_files=[])
    assert caught.value.code == common.EXIT_CONFIG_ERROR
    [line] = capsys.readouterr().err.splitlines()
    assert 'invalid value for [%s] %s: %s' % (group, name, reason) in line
    assert str(extra) in line


@pytest.mark.parametrize('main', [api.main, conductor.main,
                                  taskmanager.main, guestagent.main],
                         ids=['api', 'conductor', 'taskmanager',
                              'guestagent'])
def test_every_service_refuses_to_start(tmp_path, capsys, main):
    config = _config(tmp_path, instances_page_size=0)
    with pytest.raises(SystemExit) as caught:
        main(['--config-file', str(config)])
    assert caught.value.code == 2
    assert capsys.readouterr().err.count('\n') == 1


def test_the_process_exits_2_with_one_line(tmp_path):
    config = _config(tmp_path, users_page_size=0)
    result = subprocess.run(
        [sys.executable, '-c',
         'import sys; from trove_lite.cmd import all; '
         'sys.exit(all.main(sys.argv[1:]))', '--config-file', str(config)],
        stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=60)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines()
             if 'Warning' not in line and line.strip()]
    assert lines[-1].endswith(
        'invalid value for [DEFAULT] users_page_size: Should be greater '
        'than or equal to 1 (configuration files: %s)' % config)
    assert 'Traceback' not in result.stderr


@pytest.mark.parametrize('err, reason', [
    (OSError(errno.EADDRINUSE, 'Address already in use'),
     'the address is in use by another process'),
    (OSError(errno.EACCES, 'Permission denied'), 'Permission denied'),
])
def test_a_port_it_cannot_take_is_one_line(capsys, err, reason):
    assert common.cannot_listen('trove-lite-api', '0.0.0.0', 80, err) == 1
    assert capsys.readouterr().err == (
        'trove-lite-api: cannot listen on 0.0.0.0:80: %s; choose another '
        '[DEFAULT] bind_port (or bind_host) in its configuration file.\n'
        % reason)
