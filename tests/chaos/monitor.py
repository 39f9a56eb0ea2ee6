"""Watching every instance of the run's project through the REST API.

One thread lists the project's instances about once a second and keeps,
per instance, when each status was first seen. The driver reads it to
pick operations (restart an ACTIVE instance), to know what was in flight
when it killed something, and, at the end, to time how long each
operation took to settle. An instance the driver never heard of (its
create was answered by an API that died before replying) is found by the
listing all the same.

While the API is down the listing fails and nothing is recorded: the
timeline has a gap, not a wrong status.
"""

import threading
import time

import requests

GONE = 'GONE'
# Statuses in which nothing is under way.
RESTING = frozenset(['ACTIVE', 'ERROR', 'RESTART_REQUIRED'])


class Monitor:
    """Poll ``<v1>/instances``; ``timeline(id)`` is ``[(t, status,
    operating_status)]`` of changes, with ``t`` the ``time.monotonic()``
    at which the poll that saw it *started* (so a status seen after an
    operation was accepted is never older than the acceptance).

    :param v1: ``http://host:port/v1.0/<project>``.
    :param interval: seconds between two polls.
    """

    def __init__(self, v1, interval=1.0):
        self.v1 = v1
        self.interval = interval
        self._lock = threading.Lock()
        self._timelines = {}
        self._poll_times = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop,
                                        name='chaos-monitor', daemon=True)
        self.polls = 0
        self.failed_polls = 0

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(30)

    def _loop(self):
        while not self._stop.is_set():
            self.poll()
            self._stop.wait(self.interval)

    def poll(self):
        """One listing; False when the API did not answer it."""
        started = time.monotonic()
        try:
            resp = requests.get(self.v1 + '/instances', timeout=10)
            listed = resp.json()['instances'] if resp.ok else None
        except (requests.RequestException, ValueError, KeyError):
            listed = None
        self.polls += 1
        if listed is None:
            self.failed_polls += 1
            return False
        seen = {i['id']: (i['status'], i.get('operating_status', ''))
                for i in listed}
        with self._lock:
            self._poll_times.append(started)
            for instance_id in set(self._timelines) | set(seen):
                now = seen.get(instance_id, (GONE, ''))
                timeline = self._timelines.setdefault(instance_id, [])
                if not timeline or timeline[-1][1:] != now:
                    timeline.append((started,) + now)
        return True

    def track(self, instance_id, status, when):
        """Record what an API answer said (a create's BUILD)."""
        with self._lock:
            timeline = self._timelines.setdefault(instance_id, [])
            if not timeline:
                timeline.append((when, status, ''))

    def ids(self):
        with self._lock:
            return list(self._timelines)

    def current(self):
        """``{id: (status, operating_status)}`` as last seen."""
        with self._lock:
            return {i: t[-1][1:] for i, t in self._timelines.items() if t}

    def timeline(self, instance_id):
        with self._lock:
            return list(self._timelines.get(instance_id, []))

    def settled_at(self, instance_id, after):
        """When the instance was first seen resting or gone by a poll
        started after ``after``; None if not yet.

        A status that did not change is not in the timeline again (a
        restart quicker than a poll shows no REBOOT), so the first
        successful poll after ``after`` counts too, with the status in
        force then.
        """
        timeline = self.timeline(instance_id)
        with self._lock:
            first = next((t for t in self._poll_times if t > after), None)
        candidates = sorted([w for w, _, _ in timeline if w > after] +
                            ([first] if first is not None else []))
        for when in candidates:
            status = _status_at(timeline, when)
            if status in RESTING or status == GONE:
                return when
        return None

    def in_flight(self):
        """Ids of the instances last seen in a transitional status."""
        return sorted(i for i, (status, _) in self.current().items()
                      if status not in RESTING and status != GONE)


def _status_at(timeline, when):
    """The status in force at ``when``: the last change seen by then."""
    status = None
    for seen, value, _ in timeline:
        if seen > when:
            break
        status = value
    return status
