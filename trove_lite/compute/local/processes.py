"""Finding and ending the processes of a local instance.

A local instance's processes are its guest agent and whatever the agent
started detached (the datastore server, e.g. ``mariadbd``, which outlives
its agent on purpose). They are found two ways: pid files under the
instance's ``run/`` directory, and command lines that name the instance's
directory (a datastore server is always told where its data lives). Linux
``/proc`` is read directly; the local driver runs on Linux hosts.
"""

import os
import signal
import time

from oslo_log import log as logging

LOG = logging.getLogger(__name__)

PROC = '/proc'
_POLL = 0.05


def _read(path, mode='r'):
    try:
        with open(path, mode) as f:
            return f.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError,
            NotADirectoryError):
        return None


def cmdline(pid):
    """The arguments of ``pid``, or None when it is gone."""
    raw = _read(os.path.join(PROC, str(pid), 'cmdline'), 'rb')
    if raw is None:
        return None
    return [arg.decode('utf-8', 'replace') for arg in raw.split(b'\0') if arg]


def _stat_fields(pid):
    raw = _read(os.path.join(PROC, str(pid), 'stat'))
    if not raw:
        return None
    # NOTE(proc): the command name (field 2) may contain spaces and
    # parentheses; everything after the last ')' splits cleanly.
    return raw[raw.rindex(')') + 2:].split()


def alive(pid):
    """Whether ``pid`` exists and is not a zombie."""
    fields = _stat_fields(pid)
    if fields is None:
        return False
    if fields[0] == 'Z':
        _reap(pid)
        return False
    return True


def _reap(pid):
    # A child of ours (tests, the process launcher) stays a zombie until
    # waited for.
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def start_time(pid):
    """When ``pid`` started (seconds since the epoch), or None."""
    fields = _stat_fields(pid)
    boot = _boot_time()
    if fields is None or boot is None:
        return None
    # Field 22 of stat: start time in clock ticks after boot.
    return boot + int(fields[19]) / os.sysconf('SC_CLK_TCK')


def _boot_time():
    for line in (_read(os.path.join(PROC, 'stat')) or '').splitlines():
        if line.startswith('btime '):
            return int(line.split()[1])
    return None


def names_path(args, path):
    """Whether any argument is ``path`` or a path under it."""
    path = path.rstrip(os.sep)
    under = path + os.sep
    return any(arg == path or under in arg or arg.endswith('=' + path)
               for arg in args)


def pids_naming(path):
    """Pids of the processes whose command line names ``path``."""
    found = []
    own = os.getpid()
    for entry in os.listdir(PROC):
        if not entry.isdigit() or int(entry) == own:
            continue
        args = cmdline(entry)
        if args and names_path(args, path):
            found.append(int(entry))
    return found


def pids_from_files(run_dir):
    """Pids of live processes named by ``*.pid`` files in ``run_dir``.

    A pid file older than the process it names is skipped: that pid was
    reused by an unrelated process after ours died.
    """
    found = []
    try:
        names = os.listdir(run_dir)
    except FileNotFoundError:
        return found
    for name in names:
        if not name.endswith('.pid'):
            continue
        path = os.path.join(run_dir, name)
        text = (_read(path) or '').strip()
        if not text.isdigit() or int(text) == os.getpid():
            continue
        pid = int(text)
        started = start_time(pid)
        try:
            written = os.stat(path).st_mtime
        except FileNotFoundError:
            continue
        if not alive(pid) or started is None:
            continue
        # NOTE(pid-reuse): one second of slack for clock-tick rounding.
        if started > written + 1:
            LOG.warning('Ignoring pid file %s: process %d started after it '
                        'was written (pid reused)', path, pid)
            continue
        found.append(pid)
    return found


def terminate(pids, timeout):
    """SIGTERM ``pids``, wait up to ``timeout`` seconds, then SIGKILL.

    :returns: the pids that were still alive after SIGKILL (normally none).
    """
    pids = [pid for pid in set(pids) if _signal(pid, signal.SIGTERM)]
    remaining = _wait(pids, timeout)
    for pid in remaining:
        LOG.warning('Process %d ignored SIGTERM for %ss; killing it', pid,
                    timeout)
        _signal(pid, signal.SIGKILL)
    return _wait(remaining, 5)


def _signal(pid, signo):
    try:
        os.kill(pid, signo)
        return True
    except ProcessLookupError:
        return False


def _wait(pids, timeout):
    end = time.monotonic() + timeout
    remaining = [pid for pid in pids if alive(pid)]
    while remaining and time.monotonic() < end:
        time.sleep(_POLL)
        remaining = [pid for pid in remaining if alive(pid)]
    return remaining
