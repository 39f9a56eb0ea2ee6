"""Tests for rendering my.cnf."""

import pytest

from trove_lite.guestagent.datastores.mysql import config
from trove_lite.guestagent.datastores.mysql import manager


@pytest.mark.parametrize('memory_mb, expected', [
    (None, 16), (0, 16), (20, 16), (512, 256), (1000, 496), (4096, 2048)])
def test_buffer_pool(memory_mb, expected):
    assert config.buffer_pool_mb(memory_mb) == expected


@pytest.mark.parametrize('memory_mb, expected', [
    (None, 20), (64, 20), (256, 64), (4096, 100)])
def test_max_connections(memory_mb, expected):
    assert config.max_connections(memory_mb) == expected


def test_render_points_everything_into_the_instance():
    paths = manager.Paths('/srv/inst')
    text = config.render(config.server_config(paths, '127.77.0.12', 3306,
                                              512, user='mysql'))
    lines = text.splitlines()
    assert lines[1] == '[mysqld]'
    for expected in ['user = mysql', 'datadir = /srv/inst/data',
                     'socket = /srv/inst/run/mysqld.sock',
                     'pid-file = /srv/inst/run/mysqld.pid',
                     'log-error = /srv/inst/log/error.log',
                     'tmpdir = /srv/inst/run/tmp',
                     'secure-file-priv = /srv/inst/run/files',
                     'bind-address = 127.77.0.12', 'port = 3306',
                     'skip-name-resolve', 'innodb_buffer_pool_size = 256M',
                     'innodb_log_file_size = 64M', 'max_connections = 100']:
        assert expected in lines
    client = lines.index('[client]')
    assert lines[client + 1] == 'socket = /srv/inst/run/mysqld.sock'


def test_render_without_user():
    paths = manager.Paths('/srv/inst')
    text = config.render(config.server_config(paths, '127.0.0.2', 3307, 64))
    assert 'user =' not in text
    assert 'port = 3307' in text
    assert 'innodb_buffer_pool_size = 32M' in text
    assert 'innodb_log_file_size = 8M' in text
