"""Tests for the supervisor: a server that died on its own is started
again after a back-off, one stopped on purpose is left alone, and one
that keeps dying is given up on with the reason from its log.

One look at a time (``check``) with a fake clock, against the fake
supervised datastore of ``fakes``; the thread itself once, and through
an agent.
"""

import threading
import uuid

import pytest

from tests.unit.guestagent import fakes
from trove_lite.common import states
from trove_lite.guestagent import info as guest_info
from trove_lite.guestagent import supervisor

BOUND = 10


class Clock:
    """Monotonic seconds that move only when told."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


class Reporter:
    """Records what a ``status.StatusReporter`` would send."""

    def __init__(self):
        self.faults = []
        self.changes = 0

    def report_fault(self, message, details):
        self.faults.append((message, details))

    def status_changed(self):
        self.changes += 1


@pytest.fixture
def manager(tmp_path):
    return fakes.SupervisedManager(guest_info.GuestInfo(
        guest_id=str(uuid.uuid4()), datastore_manager='fake',
        instance_dir=str(tmp_path)))


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def reporter():
    return Reporter()


@pytest.fixture
def make(manager, clock, reporter):
    def _make(**kwargs):
        options = dict(crash_limit=3, crash_window=60, backoff=1,
                       backoff_max=3, interval=0.01, clock=clock)
        options.update(kwargs)
        return supervisor.Supervisor(manager, reporter, **options)
    return _make


def _starts(manager):
    return manager.calls.count(('start_db',))


def test_a_running_server_is_left_alone(make, manager):
    watcher = make()
    assert watcher.check() == supervisor.IDLE
    assert _starts(manager) == 0


def test_a_crashed_server_is_started_again_after_the_back_off(
        make, manager, clock, reporter):
    watcher = make()
    manager.crash()
    assert watcher.check() == supervisor.WAITING
    assert manager.status() is states.SVC_SHUTDOWN
    assert reporter.changes == 1  # its crash is reported at once
    clock.advance(0.5)
    assert watcher.check() == supervisor.WAITING
    assert _starts(manager) == 0
    clock.advance(0.5)
    assert watcher.check() == supervisor.RESTARTED
    assert _starts(manager) == 1
    assert manager.status() is states.SVC_HEALTHY
    assert reporter.changes == 2
    assert reporter.faults == []
    assert watcher.check() == supervisor.IDLE


def test_the_back_off_doubles_with_each_crash_up_to_its_maximum(
        make, manager, clock):
    watcher = make(crash_limit=10, backoff=1, backoff_max=3)
    waits = []
    for _ in range(4):
        manager.crash()
        assert watcher.check() == supervisor.WAITING
        waits.append(watcher.restart_due - clock.now)
        clock.advance(waits[-1])
        assert watcher.check() == supervisor.RESTARTED
    assert waits == [1, 2, 3, 3]


def test_a_start_that_fails_counts_as_a_crash(make, manager, clock):
    manager.fail_starts = 1
    watcher = make()
    manager.crash()
    assert watcher.check() == supervisor.WAITING
    clock.advance(1)
    assert watcher.check() == supervisor.RESTART_FAILED
    # Seen dead again: the second crash, with twice the wait.
    assert watcher.check() == supervisor.WAITING
    assert list(watcher.crashes) == [clock.now - 1, clock.now]
    assert watcher.restart_due == clock.now + 2
    clock.advance(2)
    assert watcher.check() == supervisor.RESTARTED
    assert _starts(manager) == 2


def test_a_server_that_keeps_dying_is_given_up_on_with_its_reason(
        make, manager, clock, reporter):
    manager.log = ('fakedbd: starting\n'
                   "fakedbd: unknown variable 'bogus=1' (error 7)\n\n")
    manager.fail_starts = 100
    watcher = make(crash_limit=3)
    manager.crash()
    outcomes = []
    for _ in range(20):
        outcomes.append(watcher.check())
        if outcomes[-1] == supervisor.GAVE_UP:
            break
        clock.advance(1)
    assert outcomes.count(supervisor.GAVE_UP) == 1
    # Two starts after the first two crashes; none after the third.
    assert _starts(manager) == 2
    [(message, details)] = reporter.faults
    assert message == (
        'The database server stopped on its own 3 times within 60 seconds '
        "and is no longer started again. Its log says: fakedbd: unknown "
        "variable 'bogus=1' (error 7). Fix the cause and restart the instance.")
    assert details.startswith('Crashed 3 times within 60s. Last lines of '
                              '/log/error.log:\nfakedbd: starting\n')
    # What the agent reports from now on (and one started later too).
    assert manager.status() is states.SVC_FAILED
    assert manager.stopped()['message'] == message
    for _ in range(3):
        clock.advance(100)
        assert watcher.check() == supervisor.IDLE
    assert _starts(manager) == 2
    assert len(reporter.faults) == 1


def test_a_restart_after_giving_up_brings_it_back_and_counts_afresh(
        make, manager, clock, reporter):
    watcher = make(crash_limit=1)
    manager.crash()
    assert watcher.check() == supervisor.GAVE_UP
    manager.restart()  # the tenant's restart, once the cause is fixed
    assert manager.status() is states.SVC_HEALTHY
    assert manager.stopped() is None
    assert watcher.check() == supervisor.IDLE
    manager.crash()
    assert watcher.check() == supervisor.GAVE_UP
    assert len(reporter.faults) == 2


def test_crashes_older_than_the_window_are_forgotten(make, manager, clock):
    watcher = make(crash_limit=2, crash_window=60, backoff=1)
    manager.crash()
    assert watcher.check() == supervisor.WAITING
    clock.advance(1)
    assert watcher.check() == supervisor.RESTARTED
    clock.advance(60)
    manager.crash()
    # The first crash is out of the window: this is the first again.
    assert watcher.check() == supervisor.WAITING
    assert list(watcher.crashes) == [clock.now]
    assert watcher.restart_due == clock.now + 1


def test_a_server_stopped_on_purpose_is_not_a_crash(make, manager, clock):
    watcher = make()
    manager.stop_db()
    for _ in range(3):
        assert watcher.check() == supervisor.IDLE
        clock.advance(10)
    assert _starts(manager) == 0
    assert list(watcher.crashes) == []


def test_a_deliberate_restart_is_not_a_crash(make, manager):
    watcher = make()
    manager.restart()
    assert watcher.check() == supervisor.IDLE
    assert list(watcher.crashes) == []


def test_a_crash_stopped_on_purpose_before_its_restart_stays_down(
        make, manager, clock):
    # A delete (stop_db) while the crashed server waits for its restart.
    watcher = make()
    manager.crash()
    assert watcher.check() == supervisor.WAITING
    manager.stop_db()
    clock.advance(10)
    assert watcher.check() == supervisor.IDLE
    assert watcher.restart_due is None
    assert _starts(manager) == 0


def test_nothing_is_done_while_an_operation_holds_the_manager(
        make, manager, clock):
    watcher = make(backoff=0)
    manager.crash()
    held = threading.Event()
    release = threading.Event()

    def operation():
        with manager.lock:
            held.set()
            release.wait(BOUND)

    thread = threading.Thread(target=operation)
    thread.start()
    try:
        assert held.wait(BOUND)
        assert watcher.check() == supervisor.BUSY
        assert list(watcher.crashes) == []
    finally:
        release.set()
        thread.join()
    assert watcher.check() == supervisor.WAITING
    assert watcher.check() == supervisor.RESTARTED


def test_nothing_is_done_while_the_agent_prepares(make, manager):
    preparing = [True]
    watcher = make(busy=lambda: preparing[0], backoff=0)
    manager.crash()
    assert watcher.check() == supervisor.BUSY
    preparing[0] = False
    assert watcher.check() == supervisor.WAITING


def test_a_server_that_was_never_prepared_is_not_started(make, manager):
    manager.prepared_ = False
    manager.crash()
    assert make().check() == supervisor.IDLE
    assert _starts(manager) == 0


def test_the_thread_restarts_a_crashed_server_and_stops(manager, reporter):
    watcher = supervisor.Supervisor(manager, reporter, backoff=0,
                                    interval=0.01)
    watcher.start()
    try:
        manager.crash()
        assert manager.started.wait(BOUND)
        assert manager.running
    finally:
        watcher.stop()
    assert watcher.wait(BOUND)


def test_options_come_from_guest_agent_when_not_given(manager, override):
    override('server_crash_limit', 7, group='guest_agent')
    override('server_restart_backoff_max', 9.5, group='guest_agent')
    watcher = supervisor.Supervisor(manager, crash_window=5)
    assert (watcher.crash_limit, watcher.crash_window, watcher.backoff,
            watcher.backoff_max, watcher.interval) == (7, 5, 1.0, 9.5, 1.0)


@pytest.mark.parametrize('text, line', [
    ("2026 [Note] starting\n2026 [ERROR] mariadbd: unknown variable 'x=1'\n"
     "2026 [ERROR] Aborting\n\n",
     "2026 [ERROR] mariadbd: unknown variable 'x=1'"),
    ('LOG:  starting\nFATAL:  unrecognized configuration parameter "x"\n'
     'LOG:  database system is shut down\n',
     'FATAL:  unrecognized configuration parameter "x"'),
    ('ready for connections\n', None),
    ('', None)])
def test_the_reason_is_the_last_line_naming_an_error(text, line):
    assert supervisor.telling_line(text) == line


def test_the_message_fits_its_column_whatever_the_log():
    message = supervisor.give_up_message(5, 300, '[ERROR] ' + 'x' * 500)
    assert len(message) == supervisor.MAX_MESSAGE
    assert message.startswith('The database server stopped on its own 5 '
                              'times within 300 seconds and is no longer '
                              'started again. Its log says: [ERROR] xxx')
    assert message.endswith('.... Fix the cause and restart the instance.')
    assert supervisor.give_up_message(2, 60, 'ready\n').endswith(
        'Its log names no error. Fix the cause and restart the instance.')
