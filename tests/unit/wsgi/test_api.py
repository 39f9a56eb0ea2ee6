"""trove_lite.wsgi.api: importing it loads the app and opens nothing."""

import importlib
import sys
import threading

import pytest

from tests.functional import fixtures
from tests.unit import rpc_fixtures
from trove_lite.common import rpc
from trove_lite.db import api as db_api

MODULE = 'trove_lite.wsgi.api'


@pytest.fixture
def load(cli_state, tmp_path, config_file, monkeypatch):
    """``load()`` imports the module afresh against ``config_file`` (and
    the in-memory bus); returns the module.
    """
    rpc_fixtures.register_messaging_opts()
    bus = fixtures.write_config(tmp_path / 'bus.conf', {
        'DEFAULT': {'transport_url': rpc_fixtures.MEMORY_URL}})
    monkeypatch.setenv('TROVE_LITE_CONFIG_FILES',
                       '%s,%s' % (config_file, bus))
    monkeypatch.delitem(sys.modules, MODULE, raising=False)
    assert not rpc.initialized()

    def _load():
        return importlib.import_module(MODULE)

    yield _load
    rpc.cleanup()


def test_import_opens_no_transport_engine_or_thread(load):
    before = set(threading.enumerate())

    module = load()

    assert callable(module.application)
    assert not rpc.initialized()
    assert rpc.TRANSPORT is None and rpc.NOTIFIER is None
    assert not db_api.context_manager._factory._started
    assert set(threading.enumerate()) == before


def test_first_request_makes_the_transport_once(load, monkeypatch):
    module = load()
    made = []
    real_init = rpc.init
    monkeypatch.setattr(rpc, 'init',
                        lambda conf: made.append(conf) or real_init(conf))
    answers = []

    def start_response(status, headers, exc_info=None):
        answers.append(status)

    environ = {'REQUEST_METHOD': 'GET', 'PATH_INFO': '/',
               'SERVER_NAME': 'localhost', 'SERVER_PORT': '80',
               'wsgi.url_scheme': 'http', 'wsgi.input': None}
    for _ in range(2):
        b''.join(module.application(dict(environ), start_response))

    assert made == [module.api.CONF]
    assert rpc.initialized()
    assert [status.split()[0] for status in answers] == ['200', '200']
