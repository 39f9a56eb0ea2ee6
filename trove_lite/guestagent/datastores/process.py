"""Helpers for datastore servers that run as detached host processes.

The local compute driver runs each instance's real server binary on the
host; a manager starts it in a session of its own, finds it again through
its pid file, and must tell our server from a process that merely reuses
its pid. These functions are the parts of that which do not depend on the
datastore: finding a binary, reading a log's tail, checking that the
server's OS user can reach the instance directory, and reading a
process's state from ``/proc``.
"""

import os
import shutil
import stat
import subprocess
import threading

TIMED_OUT = 'timeout'

# Where distributions put server binaries, besides PATH.
SBIN_DIRS = ('/usr/sbin', '/usr/local/sbin', '/usr/libexec')
LOG_TAIL_LINES = 25


def find_binary(names, extra_dirs=SBIN_DIRS, search_path=None):
    """The first of ``names`` on PATH (or in the directories
    ``search_path`` instead, when given) or in ``extra_dirs``, or None.
    """
    first = (list(search_path) if search_path is not None
             else [os.environ.get('PATH', '')])
    search = os.pathsep.join(first + list(extra_dirs))
    for name in names:
        found = shutil.which(name, path=search)
        if found:
            return found
    return None


def tail(path, lines=LOG_TAIL_LINES):
    """The last ``lines`` lines of a log file ('' if unreadable)."""
    try:
        with open(path, 'rb') as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 16384))
            text = handle.read().decode('utf-8', 'replace')
    except OSError:
        return ''
    return '\n'.join(text.splitlines()[-lines:])


def untraversable_parent(path, uid, gids):
    """The first directory on the way to ``path`` that ``uid`` (member of
    ``gids``) may not enter, or None when all of them can be entered.
    """
    path = os.path.abspath(path)
    parts = path.split(os.sep)
    for index in range(1, len(parts)):
        current = os.sep.join(parts[:index]) or os.sep
        info = os.stat(current)
        if info.st_uid == uid:
            allowed = info.st_mode & stat.S_IXUSR
        elif info.st_gid in gids:
            allowed = info.st_mode & stat.S_IXGRP
        else:
            allowed = info.st_mode & stat.S_IXOTH
        if not allowed:
            return current
    return None


def process_state(pid):
    """``(alive, cmdline)`` of ``pid`` from /proc; zombies are dead."""
    try:
        with open('/proc/%d/stat' % pid) as handle:
            fields = handle.read().rsplit(')', 1)[1].split()
        with open('/proc/%d/cmdline' % pid, 'rb') as handle:
            cmdline = handle.read().replace(b'\0', b' ').decode(
                'utf-8', 'replace')
    except (OSError, IndexError):
        return False, ''
    return fields[0] not in ('Z', 'X'), cmdline


def read_pid(path):
    """The pid on the first line of ``path``, or None."""
    try:
        with open(path) as handle:
            pid = int(handle.readline().strip() or 0)
    except (OSError, ValueError):
        return None
    return pid if pid > 0 else None


def remove(path):
    """Remove a file that may not exist."""
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def empty_directory(path):
    """Remove everything inside ``path`` (a failed earlier initialisation
    leaves files that make the next one refuse).
    """
    for entry in os.listdir(path):
        target = os.path.join(path, entry)
        if os.path.isdir(target) and not os.path.islink(target):
            shutil.rmtree(target)
        else:
            os.remove(target)


def run_to_end(command, timeout, **popen_args):
    """Run ``command`` until it exits; its exit code, or TIMED_OUT when it
    ran longer than ``timeout`` seconds (it is then killed).

    ``subprocess.run(timeout=...)`` notices the exit by polling, up to
    50 ms late; the data directory's initialisation is on every create's
    path, so this blocks in ``waitpid`` and kills from a timer instead.
    """
    child = subprocess.Popen(command, **popen_args)
    expired = threading.Event()

    def expire():
        expired.set()
        child.kill()

    timer = threading.Timer(timeout, expire)
    timer.daemon = True
    timer.start()
    try:
        code = child.wait()
    finally:
        timer.cancel()
    return TIMED_OUT if expired.is_set() else code


VERSION_TIMEOUT = 10


def version_output(binary):
    """What ``binary --version`` prints, or None when it cannot run."""
    try:
        result = subprocess.run([binary, '--version'], capture_output=True,
                                text=True, timeout=VERSION_TIMEOUT,
                                stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout
