"""Forked worker processes that share one listening socket.

One Python process runs Python code on one core at a time, however many
threads it has; ``trove-lite-api`` uses the other cores with worker
processes, as upstream's ``trove_api_workers`` does. The parent binds the
socket, forks the workers, which all accept connections from it, and
supervises them: a worker that dies is replaced, SIGTERM or SIGINT stops
them all.

Workers are forked before any of them opens a database connection, an RPC
transport or a thread: those do not survive a fork, so each worker makes
its own (the ``target`` runs in the child). A worker whose parent has gone
(killed with SIGKILL, say) stops by itself, so that no orphan keeps
serving the port.
"""

import logging as std_logging
import os
import signal
import threading
import time

from oslo_log import log as logging

LOG = logging.getLogger(__name__)

# A worker that dies sooner than this after its start is replaced only
# after RESPAWN_BACKOFF seconds, so a worker that cannot start (a broken
# configuration, say) does not fork in a tight loop.
QUICK_DEATH = 5.0
RESPAWN_BACKOFF = 2.0


class WorkerPool:
    """Run ``count`` forked copies of ``target`` until told to stop.

    :param target: called with no argument in each worker; its return
        value is the worker's exit code. It must return when the worker
        receives SIGTERM.
    :param count: how many workers run at once.
    :param name: what the log calls them.
    :param stop_timeout: seconds the workers get to finish after SIGTERM
        before they are killed.
    """

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self, target, count, name='worker', stop_timeout=30.0):
        self.target = target
        self.count = count
        self.name = name
        self.stop_timeout = stop_timeout
        self.workers = {}  # pid -> (slot, started at)
        self._stopping = threading.Event()

    def run(self, poll_interval=0.2):
        """Fork the workers and supervise them until SIGTERM/SIGINT.

        Handles SIGTERM and SIGINT when called in the main thread (Python
        runs signal handlers only there); from another thread, ``stop``
        ends it.

        :returns: 0 after the workers stopped.
        """
        previous = {}
        if threading.current_thread() is threading.main_thread():
            previous = {signo: signal.signal(signo, self._handle_signal)
                        for signo in self.SIGNALS}
        try:
            for slot in range(self.count):
                self._spawn(slot)
            respawn_at = {}
            while not self._stopping.wait(poll_interval):
                respawn_at.update(self._reap())
                now = time.monotonic()
                for slot, when in list(respawn_at.items()):
                    if when <= now:
                        del respawn_at[slot]
                        self._spawn(slot)
        finally:
            for signo, handler in previous.items():
                signal.signal(signo, handler)
        self._stop_workers()
        return 0

    def stop(self):
        """Ask ``run`` to stop the workers and return; any thread."""
        self._stopping.set()

    def _handle_signal(self, signo, frame):
        self.stop()

    def _spawn(self, slot):
        pid = os.fork()
        if pid == 0:
            self._run_worker()
        self.workers[pid] = (slot, time.monotonic())
        LOG.info('Started %s %d (pid %d)', self.name, slot, pid)

    def _run_worker(self):
        """The child: run ``target`` and leave without returning."""
        code = 1
        try:
            for signo in self.SIGNALS:
                signal.signal(signo, signal.SIG_DFL)
            _stop_when_orphaned(os.getppid())
            code = self.target() or 0
        except BaseException:
            LOG.exception('%s %d failed', self.name, os.getpid())
        finally:
            # NOTE(fork): never return into the parent's code, and skip
            # the parent's atexit handlers, which are not ours to run.
            _flush_logs()
            os._exit(code)

    def _reap(self):
        """``{slot: when to start its next worker}`` for the workers that
        exited since the last call.
        """
        respawn_at = {}
        while self.workers:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            if pid not in self.workers:
                continue
            slot, started = self.workers.pop(pid)
            now = time.monotonic()
            quick = now - started < QUICK_DEATH
            respawn_at[slot] = now + (RESPAWN_BACKOFF if quick else 0)
            LOG.error('%s %d (pid %d) exited with %s; starting another',
                      self.name, slot, pid, _describe(status))
        return respawn_at

    def _stop_workers(self):
        for pid in list(self.workers):
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        while self.workers and time.monotonic() < deadline:
            try:
                pid, _status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                self.workers.clear()
                break
            if pid == 0:
                time.sleep(0.05)
            else:
                self.workers.pop(pid, None)
        for pid in list(self.workers):
            LOG.warning('%s pid %d did not stop within %ss; killing it',
                        self.name, pid, self.stop_timeout)
            _signal(pid, signal.SIGKILL)
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        self.workers.clear()
        LOG.info('All %ss stopped', self.name)


def _stop_when_orphaned(parent, interval=1.0):
    """SIGTERM this process once ``parent`` is no longer its parent."""
    def watch():
        while os.getppid() == parent:
            time.sleep(interval)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name='orphan-watch', daemon=True).start()


def _signal(pid, signo):
    try:
        os.kill(pid, signo)
    except ProcessLookupError:
        pass


def _describe(status):
    if os.WIFSIGNALED(status):
        return 'signal %d' % os.WTERMSIG(status)
    return 'code %d' % os.waitstatus_to_exitcode(status)


def _flush_logs():
    """Flush the root logger's handlers (``os._exit`` will not)."""
    for handler in std_logging.getLogger().handlers:
        try:
            handler.flush()
        except Exception:  # noqa: S110 - nothing left to report it to
            pass
