"""The instance keys the conductor unseals with, kept in memory.

Each guest message carries four sealed tokens (its context and each
argument), each unsealed with the key of the instance it claims to come
from (``common.sealing.ConductorSerializer``); looking the key up in the
database every time (a query and a decryption, ``key_storage``) was most
of what a heartbeat cost. ``KeyCache`` keeps the keys of the instances
that report.

Why a cached key is safe:

* Deleted instances. A cached key only gets a message past the
  serializer; every report handler still checks in the database that the
  instance is live (a heartbeat in its writing transaction), so a deleted
  instance's report is refused as before. The handler that finds the
  instance gone calls ``forget``, and the next message is refused by the
  serializer again (no live instance has that id). ``ttl`` bounds how long
  a key of an instance that never reports again is kept.
* Changed keys. A message that does not unseal with the cached key is
  tried once with a key read afresh (``fresh``), so a key stored anew
  counts from its first message. A message still sealed with the old key
  unseals for at most ``ttl`` seconds after the change, as messages
  already queued then would have.
* Unknown ids are not cached: a flood of made-up senders costs what it
  always did, and cannot push the real instances' keys out.
"""

import collections
import threading
import time

from oslo_log import log as logging

LOG = logging.getLogger(__name__)


class KeyCache:
    """``key_of(instance_id)`` with the answers kept for ``ttl`` seconds.

    :param lookup: the uncached ``key_of``: the key of a live instance,
        or None.
    :param ttl: seconds a key is kept; 0 keeps none (every call looks
        up).
    :param max_entries: how many keys are kept at most; the least
        recently used go first.
    :param clock: a monotonic clock (for tests).
    """

    def __init__(self, lookup, ttl, max_entries=100000, clock=time.monotonic):
        self._lookup = lookup
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._keys = collections.OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, instance_id):
        """The key of a live instance ``instance_id``, or None."""
        if self.ttl > 0:
            now = self._clock()
            with self._lock:
                entry = self._keys.get(instance_id)
                if entry is not None and entry[1] > now:
                    self._keys.move_to_end(instance_id)
                    return entry[0]
        return self.fresh(instance_id)

    def fresh(self, instance_id):
        """The key read afresh from the database (and kept), or None."""
        key = self._lookup(instance_id)
        with self._lock:
            if key is None:
                self._keys.pop(instance_id, None)
            elif self.ttl > 0:
                self._keys[instance_id] = (key, self._clock() + self.ttl)
                self._keys.move_to_end(instance_id)
                while len(self._keys) > self.max_entries:
                    self._keys.popitem(last=False)
        return key

    def forget(self, instance_id):
        """Drop the key of an instance found deleted or unknown."""
        with self._lock:
            if self._keys.pop(instance_id, None) is not None:
                LOG.debug('Forgot the key of instance %s', instance_id)

    def __len__(self):
        return len(self._keys)
