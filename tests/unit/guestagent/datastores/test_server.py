import subprocess
import sys

import pytest

from trove_lite.common import exception
from trove_lite.guestagent.datastores import server


class Info:
    guest_id = 'i-1'


class Managed(server.DetachedServer):
    SERVER_NAME = 'sleeper'
    poll_interval = 0.01

    def __init__(self, script, answers=lambda: False, start_timeout=30):
        self.info = Info()
        self.start_timeout = start_timeout
        self._answer = answers
        self.stopped = False
        self._process = subprocess.Popen([sys.executable, '-c', script])

    def _answers(self):
        return self._answer()

    def _error(self, reason):
        return exception.GuestError(message=reason)

    def stop_db(self):
        self.stopped = True
        self._process.kill()
        self._process.wait()


def test_ready_when_it_answers():
    managed = Managed('import time; time.sleep(30)', answers=lambda: True)
    try:
        assert managed._wait_until_ready(managed._process.pid) is None
        assert managed._process.poll() is None and not managed.stopped
    finally:
        managed.stop_db()


def test_a_server_that_exits_while_starting_is_an_error():
    managed = Managed('raise SystemExit(3)')
    with pytest.raises(exception.GuestError) as caught:
        managed._wait_until_ready(managed._process.pid)
    assert str(caught.value) == 'sleeper exited with code 3 while starting'
    assert managed._process is None


def test_a_server_that_never_answers_is_stopped():
    managed = Managed('import time; time.sleep(30)', start_timeout=0)
    with pytest.raises(exception.GuestError) as caught:
        managed._wait_until_ready(managed._process.pid)
    assert 'did not answer within 0 seconds' in str(caught.value)
    assert managed.stopped


def test_wait_gone_and_reap():
    managed = Managed('pass')
    assert managed._wait_gone(managed._process.pid, 30)
    managed._reap()
    assert managed._process is None
    managed._signal(managed_pid_that_is_gone(), 0)


def managed_pid_that_is_gone():
    done = subprocess.Popen([sys.executable, '-c', 'pass'])
    done.wait()
    return done.pid
