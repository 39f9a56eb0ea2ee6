"""trove-lite-api: what happens before its workers are forked."""

import threading

import pytest

from tests.functional import fixtures
from trove_lite.cmd import api
from trove_lite.db import api as db_api


@pytest.mark.parametrize('auth_strategy', ['noauth', 'keystone'])
def test_loading_the_app_opens_no_thread_or_database(tmp_path, config_file,
                                                     auth_strategy):
    """The parent loads the app and then forks: nothing that a fork
    breaks may exist yet (HACKING.rst, Processes).
    """
    extra = fixtures.write_config(tmp_path / 'api.conf', {
        'DEFAULT': {'auth_strategy': auth_strategy},
        'keystone_authtoken': {'www_authenticate_uri': 'http://127.0.0.1:9/',
                               'auth_url': 'http://127.0.0.1:9/'},
    })
    before = set(threading.enumerate())

    application = api.prepare(['--config-file', config_file,
                               '--config-file', extra],
                              default_config_files=[])

    assert callable(application)
    assert set(threading.enumerate()) == before
    assert not db_api.context_manager._factory._started


def test_worker_count_defaults_to_the_cpus(config_file, monkeypatch):
    api.prepare(['--config-file', config_file], default_config_files=[])
    monkeypatch.setattr(api.os, 'cpu_count', lambda: 6)
    assert api.worker_count() == 6
    api.CONF.set_override('trove_api_workers', 2)
    try:
        assert api.worker_count() == 2
    finally:
        api.CONF.clear_override('trove_api_workers')


def test_api_workers_is_the_deprecated_name(tmp_path, config_file):
    extra = fixtures.write_config(tmp_path / 'old.conf', {
        'DEFAULT': {'api_workers': 3}})
    api.prepare(['--config-file', config_file, '--config-file', extra],
                default_config_files=[])
    assert api.worker_count() == 3
