"""Self-healing: the guest agent starts again a server that died.

A datastore server runs detached from its agent, so nothing but the agent
notices when it dies on its own (``kill -9``, a crash, the kernel's OOM
killer, a tenant's ``SHUTDOWN``); without this the instance shows
SHUTDOWN until someone restarts it. ``Supervisor`` is a native thread of
the agent (no eventlet) that looks at the server every
``[guest_agent] server_check_interval`` seconds and:

* does nothing while an operation runs: it looks, and restarts, only
  while holding the manager's lifecycle lock, which prepare (a restore, a
  replica's seed among its steps), restart and stop_db hold throughout,
  and never while the agent's ``prepare`` thread is alive (its failure
  path stops the server after prepare let the lock go);
* tells a crash from a stop on purpose by the manager's persisted mark
  (``stopped.json``, see ``datastores/server.py``): a server stopped by
  restart, delete or stop_db is left alone, by this agent and by one
  started after it;
* starts a crashed server again through the manager's ``start_db`` (the
  path every start takes: the configuration it reads carries the
  replication role, so a replica comes back following its source), after
  a back-off that doubles with each crash of the window, from
  ``server_restart_backoff`` up to ``server_restart_backoff_max``;
* counts crashes (a server that died, and each start after it that
  failed) over a sliding window of ``server_crash_window`` seconds; the
  ``server_crash_limit``-th crash of a window is not restarted: the
  supervisor gives up, reports a fault with the last lines of the server's
  log and has the manager record the failure (``mark_failed``), so the
  instance reports FAILED, which the API shows as ERROR with that fault,
  until a restart or a prepare starts the server again.

Crashes are counted in memory: an agent started later (a restart of
``trove-lite-all``) starts with a clean slate, but a server given up on
stays down (its mark says so). The wait for a server that is starting is
the manager's (``start_timeout``); ``stop()`` ends the thread at its next
look, or when the start in progress returns.
"""

import collections
import re
import threading
import time

from oslo_log import log as logging

from trove_lite import conf

CONF = conf.CONF
LOG = logging.getLogger(__name__)

# What one look (``check``) did. IDLE: nothing to do (the server runs, is
# down on purpose, or was never prepared); BUSY: an operation runs, look
# again later; WAITING: crashed, its restart is due later.
IDLE = 'idle'
BUSY = 'busy'
WAITING = 'waiting'
RESTARTED = 'restarted'
RESTART_FAILED = 'restart_failed'
GAVE_UP = 'gave_up'

GIVE_UP_MESSAGE = (
    'The database server stopped on its own %(crashes)d times within '
    '%(window)d seconds and is no longer started again. %(reason)s Fix the '
    'cause and restart the instance.')
# What a fault's message holds (its column); the reason is cut to fit.
MAX_MESSAGE = 255
# A log line that says why a server stopped: its error, not the generic
# "Aborting" MariaDB ends with.
_TELLING = re.compile(r'error|fatal|panic', re.IGNORECASE)
_GENERIC = re.compile(r'\baborting\W*$', re.IGNORECASE)


def telling_line(text):
    """The last line of a log tail that names an error (MariaDB's
    ``[ERROR]``, PostgreSQL's ``FATAL:``, Redis's ``FATAL CONFIG FILE
    ERROR``), or None.
    """
    for line in reversed((text or '').splitlines()):
        line = line.strip()
        if _TELLING.search(line) and not _GENERIC.search(line):
            return line
    return None


def give_up_message(crashes, window, tail):
    """The tenant's fault: what happened, the error from the log, what
    to do; at most MAX_MESSAGE characters (the error is cut to fit).
    """
    values = {'crashes': crashes, 'window': window}
    line = telling_line(tail)
    if line is None:
        return GIVE_UP_MESSAGE % dict(values,
                                      reason='Its log names no error.')
    room = MAX_MESSAGE - len(GIVE_UP_MESSAGE % dict(
        values, reason='Its log says: .'))
    if len(line) > room:
        line = line[:max(room - 3, 0)] + '...'
    return GIVE_UP_MESSAGE % dict(values, reason='Its log says: %s.' % line)


class Supervisor:
    """Watch one manager's server and start it again when it dies.

    :param manager: the datastore manager (``base.DatastoreManager``
        with ``SUPERVISED``).
    :param reporter: the agent's ``status.StatusReporter`` (faults, and a
        heartbeat at once after a change); None reports nothing.
    :param busy: ``busy()`` says an operation of the agent runs that the
        manager's lock does not cover (the ``prepare`` thread); optional.
    :param crash_limit, crash_window, backoff, backoff_max, interval:
        ``[guest_agent]``'s options of the same names when None.
    :param clock: monotonic seconds (tests give a fake one).
    :param name: the thread's name.
    """

    def __init__(self, manager, reporter=None, busy=None, crash_limit=None,
                 crash_window=None, backoff=None, backoff_max=None,
                 interval=None, clock=time.monotonic, name='supervisor'):
        options = CONF.guest_agent
        self.manager = manager
        self.reporter = reporter
        self.busy = busy
        self.crash_limit = _given(crash_limit, options.server_crash_limit)
        self.crash_window = _given(crash_window,
                                   options.server_crash_window)
        self.backoff = _given(backoff, options.server_restart_backoff)
        self.backoff_max = _given(backoff_max,
                                  options.server_restart_backoff_max)
        self.interval = _given(interval, options.server_check_interval)
        self.clock = clock
        self.name = name
        self.crashes = collections.deque()
        self.restart_due = None
        self._stopping = threading.Event()
        self._thread = None

    @property
    def instance_id(self):
        return self.manager.info.guest_id

    @property
    def server_name(self):
        return getattr(self.manager, 'SERVER_NAME', 'the server')

    # -- the thread ------------------------------------------------------------

    def start(self):
        """Start the thread; a no-op when it was started already."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name=self.name,
                                        daemon=True)
        self._thread.start()

    def stop(self):
        """Ask the thread to end (after the look in progress)."""
        self._stopping.set()

    def wait(self, timeout=None):
        """Wait for the thread to end; returns whether it has."""
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def _run(self):
        while not self._stopping.wait(self.interval):
            try:
                self.check()
            except Exception:
                LOG.exception('The supervisor of instance %s failed to look '
                              'at its server', self.instance_id)

    # -- one look --------------------------------------------------------------

    def check(self):
        """Look at the server once and do what is due.

        :returns: what it did: IDLE, BUSY, WAITING, RESTARTED,
            RESTART_FAILED or GAVE_UP.
        """
        if self.busy is not None and self.busy():
            return BUSY
        with self.manager.unless_busy() as held:
            if not held:
                return BUSY
            if not self.manager.died_on_its_own():
                # Running, or down on purpose: a crash being waited for
                # is over (an operation took the server in hand).
                self.restart_due = None
                return IDLE
            now = self.clock()
            if self.restart_due is None:
                return self._crashed(now)
            if now < self.restart_due:
                return WAITING
            return self._restart()

    def _crashed(self, now):
        """Count a crash just seen; give up, or schedule its restart."""
        while self.crashes and now - self.crashes[0] >= self.crash_window:
            self.crashes.popleft()
        self.crashes.append(now)
        count = len(self.crashes)
        if count >= self.crash_limit:
            self._give_up(count)
            return GAVE_UP
        delay = min(self.backoff * 2 ** (count - 1), self.backoff_max)
        self.restart_due = now + delay
        LOG.warning('%s of instance %s died on its own (%d of %d crashes '
                    'allowed within %ss); starting it again in %.1fs',
                    self.server_name, self.instance_id, count,
                    self.crash_limit, self.crash_window, delay)
        self._changed()
        return WAITING

    def _restart(self):
        self.restart_due = None
        try:
            self.manager.start_db()
        except Exception as err:
            # NOTE(supervision): the server died again while starting;
            # the next look counts it as a crash like any other.
            LOG.warning('Could not start %s of instance %s again: %s',
                        self.server_name, self.instance_id, err)
            return RESTART_FAILED
        LOG.info('Started %s of instance %s again after it died on its '
                 'own', self.server_name, self.instance_id)
        self._changed()
        return RESTARTED

    def _give_up(self, count):
        self.crashes.clear()
        self.restart_due = None
        source, tail = self.manager.crash_log()
        message = give_up_message(count, self.crash_window, tail)
        details = 'Crashed %d times within %ss. Last lines of %s:\n%s' % (
            count, self.crash_window, source, tail)
        LOG.error('%s of instance %s crashed %d times within %ss; not '
                  'starting it again. Last lines of %s:\n%s',
                  self.server_name, self.instance_id, count,
                  self.crash_window, source, tail)
        # NOTE(faults): the fault first, so that the conductor has the
        # reason when the FAILED heartbeat makes the instance ERROR.
        if self.reporter is not None:
            self.reporter.report_fault(message, details)
        self.manager.mark_failed(message, details)
        self._changed()

    def _changed(self):
        if self.reporter is not None:
            self.reporter.status_changed()


def _given(value, default):
    return default if value is None else value
