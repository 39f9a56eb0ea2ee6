"""Heartbeats written in batches.

Every guest reports every few seconds, so a conductor's work is mostly
heartbeats, and a heartbeat written on its own costs a transaction (a
locked read of the instance, of its stored heartbeat and status, two
writes, a commit). ``HeartbeatWriter`` takes the heartbeats the RPC
handlers have checked and writes them in batches: one transaction for up
to ``max_rows`` instances, at the latest ``interval`` seconds after the
first one of the batch arrived.

A batch holds one heartbeat per instance: one sent later replaces one
sent earlier (the one replaced would have been overwritten by it anyway),
and one sent earlier than what the batch holds is dropped, as the stored
one's ``sent`` drops it in the database. So the last heartbeat of each
instance is always the one stored, and what was stored decides exactly as
a heartbeat written alone would (``instances.record_heartbeats``).

What follows a stored heartbeat (waking the workflows waiting for a
status change, failing backups its agent no longer runs, fencing a
returning source) is ``on_stored``'s, called after the batch's commit.

A writer with no interval (``interval=None``) writes each heartbeat at
once, in the caller's thread: the unit tests' and a stopped writer's way.
"""

import threading
import time

from oslo_log import log as logging
from oslo_service.backend import base as service_base

LOG = logging.getLogger(__name__)


class HeartbeatWriter(service_base.ServiceBase):
    """Coalesce heartbeats per instance and write them in batches.

    :param store: ``store(reports)`` writes a batch (a list of reports
        with ``instance_id`` and ``sent``, one per instance) and does
        what follows; it must log, not raise, what it cannot do.
    :param interval: seconds a heartbeat may wait for others to join its
        batch; None writes each at once in the caller's thread.
    :param max_rows: how many instances a batch holds at most; a full
        batch is written without waiting for the interval.
    """

    def __init__(self, store, interval=None, max_rows=500):
        self._store = store
        self.interval = interval
        self.max_rows = max_rows
        self._pending = {}
        self._first = None
        self._cond = threading.Condition()
        self._stopping = False
        self._thread = None

    def submit(self, report):
        """Queue ``report`` (written at once by a synchronous or stopped
        writer).
        """
        if self.interval is None:
            self._store([report])
            return
        with self._cond:
            if self._stopping:
                running = False
            else:
                running = True
                self._add(report)
                if self._thread is None:
                    self._start_thread()
        if not running:
            # NOTE(shutdown): a handler still in flight when the service
            # stops writes its heartbeat itself rather than lose it.
            self._store([report])

    def _add(self, report):
        held = self._pending.get(report.instance_id)
        if held is not None and held.sent >= report.sent:
            LOG.debug('Heartbeat of instance %s (sent %s) dropped: one sent '
                      'at %s waits to be written', report.instance_id,
                      report.sent, held.sent)
            return
        self._pending[report.instance_id] = report
        if self._first is None:
            self._first = time.monotonic()
            self._cond.notify()
        elif len(self._pending) >= self.max_rows:
            self._cond.notify()

    def _take(self):
        """Wait until a batch is due (or the writer stops); take it."""
        with self._cond:
            while True:
                if self._pending and (
                        self._stopping
                        or len(self._pending) >= self.max_rows
                        or time.monotonic() - self._first >= self.interval):
                    break
                if self._stopping:
                    return None
                timeout = None
                if self._first is not None:
                    timeout = max(0.0, self._first + self.interval
                                  - time.monotonic())
                self._cond.wait(timeout)
            batch = list(self._pending.values())[:self.max_rows]
            for report in batch:
                del self._pending[report.instance_id]
            self._first = time.monotonic() if self._pending else None
            return batch

    def _run(self):
        while True:
            batch = self._take()
            if batch is None:
                return
            try:
                self._store(batch)
            except Exception:
                LOG.exception('%d heartbeats could not be written',
                              len(batch))

    def start(self):
        """Start the writing thread (a no-op when synchronous or
        running).
        """
        if self.interval is None:
            return
        with self._cond:
            if self._thread is None and not self._stopping:
                self._start_thread()

    def _start_thread(self):
        # NOTE(processes): also started at the first heartbeat, so that a
        # writer built before a fork works in the process that uses it.
        self._thread = threading.Thread(target=self._run,
                                        name='heartbeat-writer', daemon=True)
        self._thread.start()

    def stop(self):
        """Write what is queued and end the thread; heartbeats submitted
        from now on are written at once.
        """
        with self._cond:
            self._stopping = True
            self._cond.notify()

    def wait(self):
        if self._thread is not None:
            self._thread.join()

    def reset(self):
        """Nothing to reset."""
