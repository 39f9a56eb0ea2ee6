"""Fakes for guest agent tests: a conductor that records what guests say,
a datastore manager that does what it is told (and one whose server the
agent supervises), and a backup strategy whose datastore is a file."""

import contextlib
import os
import tempfile
import threading

import oslo_messaging

from trove_lite.common import exception
from trove_lite.common import states
from trove_lite.guestagent.datastores import base
from trove_lite.guestagent.strategies.backup import base as strategy_base
from trove_lite.guestagent.strategies.backup import command


class FakeConductor:
    """A conductor endpoint that keeps every heartbeat, fault and
    progress report.

    ``wait_for(predicate, timeout)`` blocks until a report satisfies it,
    so tests wait on events, never on sleeps.
    """

    target = oslo_messaging.Target(version='1.2')

    def __init__(self):
        self.heartbeats = []
        self.faults = []
        self.progress = []
        self._cond = threading.Condition()

    def heartbeat(self, context, instance_id, payload, sent):
        with self._cond:
            self.heartbeats.append({'instance_id': instance_id,
                                    'payload': payload, 'sent': sent,
                                    'context': context})
            self._cond.notify_all()

    def report_fault(self, context, instance_id, message, details, sent):
        with self._cond:
            self.faults.append({'instance_id': instance_id,
                                'message': message, 'details': details,
                                'sent': sent, 'context': context})
            self._cond.notify_all()

    def report_progress(self, context, resource_kind, resource_id,
                        operation, progress, sent):
        with self._cond:
            self.progress.append({'resource': (resource_kind, resource_id),
                                  'operation': operation,
                                  'progress': progress, 'sent': sent})
            self._cond.notify_all()

    def statuses(self):
        with self._cond:
            return [hb['payload']['service_status'] for hb in self.heartbeats]

    def wait_for(self, predicate, timeout=30):
        """Wait until ``predicate(self)`` is true; returns whether it is."""
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self), timeout)

    def wait_for_status(self, description, timeout=30):
        return self.wait_for(lambda c: description in c.statuses(), timeout)


class FakeManager(base.DatastoreManager):
    """A datastore that records calls; ``fail_prepare`` makes it fail.

    ``release`` (an Event) holds ``prepare`` and ``restart`` until set, so
    a test can look at the agent while it is building or restarting.
    """

    def __init__(self, info=None, fail_prepare=None):
        super().__init__(info)
        self.calls = []
        self.fail_prepare = fail_prepare
        self.release = threading.Event()
        self.release.set()
        self.running = False
        self.volume = {'total': 2.0, 'used': 0.5, 'free': 1.5}

    def prepare(self, memory_mb, databases, users, root_password=None,
                volume_size=None, restore_info=None):
        self.calls.append(('prepare', memory_mb, databases, users,
                           root_password, volume_size))
        self.release.wait(30)
        if self.fail_prepare:
            raise self.fail_prepare
        self.running = True

    def start_db(self):
        self.calls.append(('start_db',))
        self.running = True

    def stop_db(self):
        self.calls.append(('stop_db',))
        self.running = False

    def restart(self):
        self.calls.append(('restart',))
        self.release.wait(30)
        self.running = True

    def status(self):
        return states.SVC_HEALTHY if self.running else states.SVC_SHUTDOWN

    def filesystem_stats(self):
        return dict(self.volume)


class SupervisedManager(FakeManager):
    """A ``FakeManager`` whose "server" the agent supervises, as a
    ``server.ServerManager``'s: prepared and running once made, killed
    with ``crash()``; the marks of a stop on purpose are the real ones
    (``base``, files in ``info.instance_dir``).

    :param fail_starts: how many of the next starts fail (the server
        "exits while starting"; ``start_error`` is raised).
    :param log: what ``crash_log`` says of the server's log.
    """

    SUPERVISED = True
    SERVER_NAME = 'fakedbd'

    def __init__(self, info, fail_starts=0, log='fakedbd: ready'):
        super().__init__(info)
        self.fail_starts = fail_starts
        self.log = log
        self.lock = threading.RLock()
        self.started = threading.Event()
        self.prepared_ = True
        self.running = True

    def crash(self):
        self.running = False

    def unless_busy(self):
        return _held_unless_busy(self.lock)

    def died_on_its_own(self):
        return (self.prepared_ and not self.running and
                self.stopped() is None)

    def crash_log(self):
        return '/log/error.log', self.log

    def start_db(self):
        with self.lock:
            self.calls.append(('start_db',))
            if self.fail_starts:
                self.fail_starts -= 1
                raise exception.GuestError(
                    message='fakedbd exited with code 1 while starting')
            self.running = True
            self.clear_stopped()
            self.started.set()

    def stop_db(self):
        with self.lock:
            self.mark_stopped()
            super().stop_db()

    def restart(self):
        with self.lock:
            self.stop_db()
            self.start_db()

    def status(self):
        if not self.running and (self.stopped() or {}).get('failed'):
            return states.SVC_FAILED
        return super().status()


@contextlib.contextmanager
def _held_unless_busy(lock):
    held = lock.acquire(blocking=False)
    try:
        yield held
    finally:
        if held:
            lock.release()


class FileStrategy(strategy_base.BackupStrategy):
    """A backup strategy whose datastore is the bytes of ``payload``,
    streamed by a real process (``sh``) that exits with ``exit_code``
    after writing ``stderr`` to its stderr.

    ``restore`` reads each stream of the chain into ``restored`` (and
    its metadata into ``restored_metadata``); ``fail_restore`` makes it
    raise after reading. ``streams`` keeps the tools it ran.
    """

    name = 'file'
    incremental = True

    def __init__(self, manager, payload=b'', exit_code=0, stderr='',
                 restore_stage=strategy_base.RESTORE_FILES):
        super().__init__(manager)
        self.payload = payload
        # Seconds the tool waits before it writes anything.
        self.delay = 0
        self.exit_code = exit_code
        self.stderr = stderr
        self.restore_stage = restore_stage
        self.parents = []
        self.tools = []
        self.restored = []
        self.restored_metadata = []
        self.fail_restore = None

    def backup(self, parent_metadata=None):
        self.parents.append(parent_metadata)
        fd, path = tempfile.mkstemp()
        with os.fdopen(fd, 'wb') as handle:
            handle.write(self.payload)
        script = 'sleep %s; cat "$1"; rm -f "$1"; printf "%s" >&2; ' \
            'exit %d' % (self.delay, self.stderr, self.exit_code)
        stream = _FileStream(['sh', '-c', script, 'sh', path],
                             len(self.payload))
        self.tools.append(stream.tool)
        return stream

    def restore(self, chain):
        for open_stream, metadata in chain:
            with open_stream() as raw:
                self.restored.append(raw.readall())
            self.restored_metadata.append(metadata)
        if self.fail_restore is not None:
            raise self.fail_restore


class _FileStream(command.CommandStream):
    def __init__(self, args, size):
        self._size = size
        super().__init__(args, 'file-dump')

    def metadata(self):
        return {'to_lsn': str(self._size)}
