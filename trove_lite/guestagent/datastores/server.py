"""Waiting on a datastore server that runs detached from its agent.

Every manager that runs a real server (MySQL family, PostgreSQL, Redis)
starts it in a session of its own and keeps its ``subprocess.Popen`` in
``self._process`` while this agent is the one that started it (None for a
server adopted through its pid file). ``DetachedServer`` is what such
managers share to wait for that server to answer or to be gone; each
names its server and says how to tell that it answers.
"""

import os
import subprocess
import time

from oslo_log import log as logging

from trove_lite.guestagent.datastores import process

LOG = logging.getLogger(__name__)


class DetachedServer:
    """Mixin of a ``DatastoreManager`` whose server runs detached.

    The class using it sets ``SERVER_NAME`` (for messages) and
    ``poll_interval``, keeps ``start_timeout``, ``info``, ``_process`` and
    a re-entrant ``_lock``, and implements ``_live_pid()`` (the running
    server's pid, or None), ``_spawn()`` (start it; its pid),
    ``_answers()`` (whether the server takes its agent's requests now),
    ``_error(reason)`` (a GuestError with the server's log) and
    ``stop_db()``.
    """

    SERVER_NAME = 'the server'
    poll_interval = 0.02

    def _answers(self):
        raise NotImplementedError()

    def start_db(self):
        """Start the server, or adopt the one already running, and wait
        until it answers.
        """
        with self._lock:
            pid = self._live_pid()
            if pid is None:
                pid = self._spawn()
            else:
                LOG.info('%s of instance %s already runs (pid %s)',
                         self.SERVER_NAME, self.info.guest_id, pid)
            self._wait_until_ready(pid)

    def restart(self):
        with self._lock:
            self.stop_db()
            self.start_db()

    def _wait_until_ready(self, pid):
        """Return once the server ``pid`` answers.

        :raises: GuestError (``_error``) when it exits first, or does not
            answer within ``start_timeout`` (it is then stopped).
        """
        name = self.SERVER_NAME
        deadline = time.monotonic() + self.start_timeout
        while True:
            if self._process is not None and self._process.pid == pid:
                code = self._process.poll()
                if code is not None:
                    self._process = None
                    raise self._error('%s exited with code %s while '
                                      'starting' % (name, code))
            elif not process.process_state(pid)[0]:
                raise self._error('%s (pid %s) exited while starting'
                                  % (name, pid))
            if self._answers():
                return
            if time.monotonic() > deadline:
                LOG.error('%s of instance %s did not answer within %ss; '
                          'stopping it', name, self.info.guest_id,
                          self.start_timeout)
                self.stop_db()
                raise self._error('%s did not answer within %s seconds'
                                  % (name, self.start_timeout))
            time.sleep(self.poll_interval)

    def _wait_gone(self, pid, timeout):
        """Whether the server ``pid`` exited within ``timeout`` seconds."""
        if self._process is not None and self._process.pid == pid:
            try:
                self._process.wait(timeout)
                return True
            except subprocess.TimeoutExpired:
                return False
        deadline = time.monotonic() + timeout
        while process.process_state(pid)[0]:
            if time.monotonic() > deadline:
                return False
            time.sleep(self.poll_interval)
        return True

    @staticmethod
    def _signal(pid, signum):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    def _reap(self):
        """Forget a started server that has exited (collects its status)."""
        if self._process is not None and self._process.poll() is not None:
            self._process = None
