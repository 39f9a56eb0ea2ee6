"""trove-lite-api with several worker processes on one port.

The parent binds the port and forks ``trove_api_workers`` workers that
accept from it; requests are answered by all of them, a worker that dies
is replaced, SIGTERM stops everything, and workers whose parent was
killed stop by themselves instead of serving on as orphans.
"""

import os
import re
import signal

import pytest
import requests

from tests.functional import conftest
from tests.functional import fixtures
from tests import waiting

WORKERS = 3


def _children(pid):
    try:
        with open('/proc/%d/task/%d/children' % (pid, pid)) as handle:
            return {int(child) for child in handle.read().split()}
    except FileNotFoundError:
        return set()


def _alive(pid):
    try:
        with open('/proc/%d/stat' % pid) as handle:
            return handle.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except FileNotFoundError:
        return False


@pytest.fixture
def start_api(tmp_path, infra_db_url):
    """Start trove-lite-api with WORKERS workers; stopped at the end."""
    started = []

    def start(name):
        port = fixtures.free_port()
        config = fixtures.write_config(tmp_path / ('%s.conf' % name), {
            'DEFAULT': {'auth_strategy': 'noauth', 'bind_host': '127.0.0.1',
                        'bind_port': port, 'state_path': tmp_path,
                        'http_get_rate': 100000,
                        'trove_api_workers': WORKERS},
            'database': {'connection': infra_db_url},
        })
        conftest.manage_setup(config)
        process = conftest.Process('trove-lite-api', ['--config-file',
                                                      config],
                                   tmp_path / ('%s.log' % name))
        started.append(process)
        base = 'http://127.0.0.1:%d' % port
        conftest.wait_for_http(base + '/', process)
        assert waiting.wait_for(
            lambda: len(_children(process.popen.pid)) == WORKERS,
            timeout=20), \
            process.log()
        return process, base, port

    yield start
    for process in started:
        workers = _children(process.popen.pid)
        process.stop()
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def _serving_pids(process):
    """The pids that logged an answered request (oslo.log writes the pid
    after the time).
    """
    return {int(pid) for pid in re.findall(
        r'^\S+ \S+ (\d+) INFO trove_lite.common.http_server .*"GET ',
        process.log(), re.MULTILINE)}


def test_workers_share_the_port_and_are_replaced_and_stopped(start_api):
    process, base, _port = start_api('api')
    workers = _children(process.popen.pid)
    url = base + '/v1.0/demo/flavors'

    for _ in range(60):
        # A new connection each time: any worker may take it.
        resp = requests.get(url, timeout=10, headers={'Connection': 'close'})
        assert resp.status_code == 200, resp.text
        assert resp.json()['flavors'][0]['name'] == 'm1.tiny'
    assert len(_serving_pids(process) & workers) >= 2, process.log()

    victim = sorted(workers)[0]
    os.kill(victim, signal.SIGKILL)
    assert waiting.wait_for(
        lambda: victim not in _children(process.popen.pid)
        and len(_children(process.popen.pid)) == WORKERS, timeout=20), \
        process.log()
    assert re.search(r'pid %d\) exited with signal 9; starting another'
                     % victim, process.log())
    assert requests.get(url, timeout=10).status_code == 200

    workers = _children(process.popen.pid)
    assert process.stop() == 0
    assert not any(_alive(pid) for pid in workers)
    assert 'All trove-lite-api workers stopped' in process.log()
    assert 'Traceback' not in process.log()


def test_workers_of_a_killed_parent_stop_and_free_the_port(start_api):
    process, base, port = start_api('orphans')
    workers = _children(process.popen.pid)

    process.popen.send_signal(signal.SIGKILL)
    process.popen.wait()

    assert waiting.wait_for(
        lambda: not any(_alive(pid) for pid in workers), timeout=20), \
        process.log()
    with pytest.raises(requests.ConnectionError):
        requests.get(base + '/', timeout=5)
    assert fixtures.port_free('127.0.0.1', port)
