"""Waiting, in tests, for what another thread or process does."""

import time


def wait_for(predicate, timeout=10, interval=0.05):
    """Whether ``predicate()`` became true within ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= end:
            return False
        time.sleep(interval)
