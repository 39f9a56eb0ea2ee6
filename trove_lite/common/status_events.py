"""Wake in-process waiters when an instance's stored status changes.

The taskmanager learns that a guest is ready by polling the status the
conductor stores from heartbeats. In the embedded shape both run in one
process, and a poll interval of latency was added to every create for
nothing: here the conductor says ``changed(instance_id)`` once it has
stored a report, and a waiter inside ``watching(instance_id)`` wakes at
once. Across processes (the cloud shape) the conductor casts
``status_changed`` to every taskmanager (a fanout), whose manager calls
``changed`` here; a waiter's event times out only when such a cast is
lost, and it then looks at the database anyway (a slow fallback poll).

Only instances someone is watching are tracked, so nothing grows with the
number of instances.
"""

import contextlib
import threading

_lock = threading.Lock()
_watchers = {}


@contextlib.contextmanager
def watching(instance_id):
    """Yield a ``threading.Event`` set whenever ``instance_id`` changes.

    Clear it before each look at the stored status, then wait on it: a
    change stored in between sets it again, so none is missed.
    """
    event = threading.Event()
    with _lock:
        _watchers.setdefault(instance_id, []).append(event)
    try:
        yield event
    finally:
        with _lock:
            events = _watchers.get(instance_id, [])
            events.remove(event)
            if not events:
                _watchers.pop(instance_id, None)


def changed(instance_id):
    """Wake whoever in this process watches ``instance_id``."""
    with _lock:
        events = list(_watchers.get(instance_id, ()))
    for event in events:
        event.set()


def wake_all():
    """Wake every waiter in this process (it then looks, e.g. at a stop
    event, and waits again).
    """
    with _lock:
        events = [event for events in _watchers.values()
                  for event in events]
    for event in events:
        event.set()
