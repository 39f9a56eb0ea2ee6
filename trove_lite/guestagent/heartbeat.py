"""The heartbeat thread of a guest agent.

A native thread that calls ``beat()`` at start, then every ``interval``
seconds, and at once after ``beat_now()`` (a status change). ``stop()``
wakes it too, so it ends promptly however long the interval: an agent
inside ``trove-lite-all`` must not hold the process's shutdown for a
period.
"""

import threading

from oslo_log import log as logging

LOG = logging.getLogger(__name__)


class HeartbeatLoop:
    """Call ``beat`` periodically on a thread of its own.

    :param beat: the function that sends one heartbeat; exceptions are
        logged and the loop goes on.
    :param interval: seconds between two heartbeats.
    :param name: the thread's name.
    """

    def __init__(self, beat, interval, name='heartbeat'):
        self.beat = beat
        self.interval = interval
        self.name = name
        self._cond = threading.Condition()
        self._pending = False
        self._stopping = False
        self._thread = None

    def start(self):
        """Start the thread; a no-op when it was started already."""
        with self._cond:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name=self.name,
                                            daemon=True)
            self._thread.start()

    def beat_now(self):
        """Make the thread beat at once (after the beat in progress)."""
        with self._cond:
            self._pending = True
            self._cond.notify_all()

    def stop(self):
        """Ask the thread to end (it does after the beat in progress)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()

    def wait(self, timeout=None):
        """Wait for the thread to end; returns whether it has."""
        with self._cond:
            thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    @property
    def running(self):
        thread = self._thread
        return thread is not None and thread.is_alive()

    def _run(self):
        while True:
            with self._cond:
                if self._stopping:
                    return
                # NOTE(threads): cleared before the beat, so a change that
                # happens while it is sent gets a beat of its own.
                self._pending = False
            try:
                self.beat()
            except Exception:
                LOG.exception('Heartbeat failed')
            with self._cond:
                self._cond.wait_for(lambda: self._stopping or self._pending,
                                    timeout=self.interval)
