"""Finding the processes of an instance directory."""

import os
import subprocess
import sys
import time

from tests import waiting
from trove_lite.compute.local import processes


def test_names_path():
    path = '/s/instances/abc'
    assert processes.names_path(['mariadbd', '--datadir=/s/instances/abc/'
                                 'data'], path)
    assert processes.names_path(['x', '--basedir', '/s/instances/abc'], path)
    assert processes.names_path(['x', '--dir=/s/instances/abc'], path)
    assert not processes.names_path(['x', '/s/instances/abcdef/data'], path)


def test_find_and_terminate(tmp_path):
    path = str(tmp_path / 'inst')
    proc = subprocess.Popen([sys.executable, '-c',
                             'import time; time.sleep(60)', path + '/data'])
    try:
        # Until the child has exec'd, its command line is ours.
        assert waiting.wait_for(
            lambda: processes.pids_naming(path) == [proc.pid], timeout=5)
        assert processes.alive(proc.pid)
        assert processes.terminate([proc.pid], 5) == []
        assert not processes.alive(proc.pid)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def test_pid_files(tmp_path):
    proc = subprocess.Popen(['sleep', '60'])
    try:
        assert waiting.wait_for(
            lambda: processes.start_time(proc.pid) is not None)
        (tmp_path / 'server.pid').write_text('%d\n' % proc.pid)
        (tmp_path / 'junk.pid').write_text('not a pid')
        (tmp_path / 'mine.pid').write_text('%d' % os.getpid())
        assert processes.pids_from_files(str(tmp_path)) == [proc.pid]
        # A pid file written long before the process started: pid reuse.
        old = time.time() - 3600
        os.utime(tmp_path / 'server.pid', (old, old))
        assert processes.pids_from_files(str(tmp_path)) == []
    finally:
        proc.kill()
        proc.wait()
    assert processes.pids_from_files(str(tmp_path / 'missing')) == []
