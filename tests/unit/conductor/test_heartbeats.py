"""The heartbeat writer coalesces per instance and writes in batches."""

import collections
import threading

from trove_lite.conductor import heartbeats

Report = collections.namedtuple('Report', 'instance_id sent')


class Recorder:
    """A ``store`` that keeps each batch and can be told to fail once."""

    def __init__(self, fail_first=False):
        self.batches = []
        self.fail_first = fail_first
        self.threads = []
        self.written = threading.Event()
        self.called = threading.Event()

    def __call__(self, batch):
        self.threads.append(threading.current_thread())
        self.called.set()
        if self.fail_first:
            self.fail_first = False
            raise RuntimeError('database gone')
        self.batches.append(sorted(batch))
        self.written.set()


def test_a_batch_holds_the_last_heartbeat_sent_of_each_instance():
    store = Recorder()
    writer = heartbeats.HeartbeatWriter(store, interval=60)
    for report in (Report('a', 1.0), Report('a', 3.0), Report('a', 2.0),
                   Report('b', 5.0)):
        writer.submit(report)
    writer.stop()
    writer.wait()
    # Sent 2.0 arrived after 3.0 and is older: dropped, as the database
    # would have dropped it; 1.0 is replaced by 3.0.
    assert store.batches == [[Report('a', 3.0), Report('b', 5.0)]]
    assert store.threads[0] is not threading.current_thread()


def test_a_full_batch_is_written_without_waiting_for_the_interval():
    store = Recorder()
    writer = heartbeats.HeartbeatWriter(store, interval=3600, max_rows=2)
    writer.submit(Report('a', 1.0))
    writer.submit(Report('b', 1.0))
    assert store.written.wait(10), 'the full batch waited for the interval'
    assert store.batches == [[Report('a', 1.0), Report('b', 1.0)]]
    writer.stop()
    writer.wait()


def test_the_interval_ends_a_batch():
    store = Recorder()
    writer = heartbeats.HeartbeatWriter(store, interval=0.01)
    writer.submit(Report('a', 1.0))
    assert store.written.wait(10)
    assert store.batches == [[Report('a', 1.0)]]
    writer.stop()
    writer.wait()


def test_without_an_interval_each_heartbeat_is_written_at_once():
    store = Recorder()
    writer = heartbeats.HeartbeatWriter(store)
    writer.start()
    writer.submit(Report('a', 1.0))
    assert store.batches == [[Report('a', 1.0)]]
    assert store.threads == [threading.current_thread()]


def test_a_stopped_writer_writes_at_once():
    store = Recorder()
    writer = heartbeats.HeartbeatWriter(store, interval=60)
    writer.start()
    writer.stop()
    writer.wait()
    writer.submit(Report('a', 1.0))
    assert store.batches == [[Report('a', 1.0)]]


def test_a_failed_batch_does_not_stop_the_writer():
    store = Recorder(fail_first=True)
    writer = heartbeats.HeartbeatWriter(store, interval=0.01)
    writer.submit(Report('a', 1.0))
    assert store.called.wait(10)
    writer.submit(Report('b', 2.0))
    assert store.written.wait(10)
    writer.stop()
    writer.wait()
    assert store.batches == [[Report('b', 2.0)]]
