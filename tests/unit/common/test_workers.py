"""WorkerPool: forked workers, replaced when they die, stopped together."""

import os
import signal
import threading

import pytest

from tests import waiting
from trove_lite.common import workers


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # NOTE(zombie): a reaped child is gone; an unreaped one would still
    # answer signal 0, so the pool must have reaped it.
    return True


def _recording_target(directory):
    """A worker that records its pid and runs until SIGTERM."""
    def target():
        stopped = threading.Event()
        signal.signal(signal.SIGTERM, lambda *a: stopped.set())
        (directory / str(os.getpid())).write_text('up')
        while not stopped.wait(0.05):
            pass
        (directory / str(os.getpid())).write_text('stopped')
        return 0
    return target


def _pids(directory, state=None):
    return {int(path.name) for path in directory.iterdir()
            if state is None or path.read_text() == state}


@pytest.fixture
def pool_in_background(tmp_path):
    """Start a pool's supervision in a thread; stopped at the test's end."""
    started = []

    def start(count, target=None):
        pool = workers.WorkerPool(target or _recording_target(tmp_path),
                                  count, name='test worker', stop_timeout=5)
        result = {}
        thread = threading.Thread(
            target=lambda: result.setdefault('code', pool.run(0.02)))
        thread.start()
        started.append((pool, thread))
        return pool, thread, result

    yield start
    for pool, thread in started:
        pool.stop()
        thread.join(10)


def test_runs_count_workers_and_stops_them_all(tmp_path, pool_in_background):
    pool, pool_thread, result = pool_in_background(3)
    assert waiting.wait_for(lambda: len(_pids(tmp_path, 'up')) == 3)
    pids = _pids(tmp_path)
    assert set(pool.workers) == pids

    pool.stop()
    pool_thread.join(10)

    assert result['code'] == 0
    assert _pids(tmp_path, 'stopped') == pids
    assert not any(_alive(pid) for pid in pids)
    assert pool.workers == {}


def test_replaces_a_worker_that_dies(tmp_path, pool_in_background):
    pool, pool_thread, result = pool_in_background(2)
    assert waiting.wait_for(lambda: len(_pids(tmp_path, 'up')) == 2)
    victim = sorted(_pids(tmp_path))[0]

    os.kill(victim, signal.SIGKILL)

    assert waiting.wait_for(lambda: len(_pids(tmp_path, 'up')) == 3)
    assert victim not in pool.workers
    assert len(pool.workers) == 2
    assert not _alive(victim)


class Clock:
    """``time`` for the pool: ``monotonic()`` stands still until moved, and
    counts its readers, so a test knows the supervision loop saw a time.
    """

    def __init__(self):
        self.now = 1000.0
        self.reads = 0

    def monotonic(self):
        self.reads += 1
        return self.now

    def moved_by(self, seconds):
        """Move the clock; wait until a whole supervision round saw it."""
        self.now += seconds
        seen = self.reads
        # The round that read the new time has finished once the loop
        # reads the clock again.
        assert waiting.wait_for(lambda: self.reads >= seen + 2)


def test_a_worker_that_fails_at_once_is_retried_with_a_pause(
        tmp_path, pool_in_background, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(workers, 'time', clock)
    starts = tmp_path / 'starts'
    starts.mkdir()

    def failing():
        (starts / str(os.getpid())).write_text('up')
        raise RuntimeError('cannot start')

    pool, pool_thread, result = pool_in_background(1, failing)
    assert waiting.wait_for(lambda: len(list(starts.iterdir())) == 1 and
                            not pool.workers)
    # Not a fork loop: no new start until RESPAWN_BACKOFF has passed.
    clock.moved_by(workers.RESPAWN_BACKOFF - 0.1)
    assert len(list(starts.iterdir())) == 1 and not pool.workers
    clock.moved_by(0.2)
    assert waiting.wait_for(lambda: len(list(starts.iterdir())) == 2)


def test_exit_statuses_are_described_for_the_log():
    assert workers._describe(7 << 8) == 'code 7'
    assert workers._describe(signal.SIGKILL) == 'signal 9'
