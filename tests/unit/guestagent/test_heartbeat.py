"""Tests for the heartbeat thread: timing-independent (events, not sleeps)."""

import threading

from trove_lite.guestagent import heartbeat

LONG = 3600  # an interval no test waits for
BOUND = 10   # how long a test waits for something that must happen


class Beats:
    def __init__(self, fail_first=False):
        self.count = 0
        self.fail_first = fail_first
        self.cond = threading.Condition()

    def __call__(self):
        with self.cond:
            self.count += 1
            self.cond.notify_all()
            if self.fail_first and self.count == 1:
                raise RuntimeError('bus down')

    def wait_for(self, count):
        with self.cond:
            return self.cond.wait_for(lambda: self.count >= count, BOUND)


def test_beats_at_start_and_on_demand():
    beats = Beats()
    loop = heartbeat.HeartbeatLoop(beats, LONG)
    loop.start()
    try:
        assert beats.wait_for(1)
        loop.beat_now()
        assert beats.wait_for(2)
    finally:
        loop.stop()
        assert loop.wait(BOUND)


def test_periodic_beats():
    beats = Beats()
    loop = heartbeat.HeartbeatLoop(beats, 0.01)
    loop.start()
    try:
        assert beats.wait_for(3)
    finally:
        loop.stop()
        assert loop.wait(BOUND)


def test_stop_is_prompt_with_a_long_interval():
    beats = Beats()
    loop = heartbeat.HeartbeatLoop(beats, LONG)
    loop.start()
    assert beats.wait_for(1)
    loop.stop()
    assert loop.wait(BOUND)
    assert not loop.running


def test_a_failed_beat_does_not_end_the_loop():
    beats = Beats(fail_first=True)
    loop = heartbeat.HeartbeatLoop(beats, LONG)
    loop.start()
    try:
        assert beats.wait_for(1)
        loop.beat_now()
        assert beats.wait_for(2)
    finally:
        loop.stop()
        loop.wait(BOUND)


def test_wait_without_start():
    assert heartbeat.HeartbeatLoop(lambda: None, LONG).wait(0)


def test_start_twice_is_one_thread():
    beats = Beats()
    loop = heartbeat.HeartbeatLoop(beats, LONG)
    loop.start()
    thread = loop._thread
    loop.start()
    assert loop._thread is thread
    loop.stop()
    loop.wait(BOUND)
