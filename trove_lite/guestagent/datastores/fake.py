"""A datastore that exists only in memory: the ``fake`` manager.

Beside every real driver a fake one (ARCHITECTURE.md, section 3): an
agent with ``datastore_manager = fake`` answers every call at once and
reports *healthy* after ``prepare``, so the control plane's flows and the
API can be exercised end to end without a database server.
"""

import threading

from trove_lite.common import states
from trove_lite.guestagent.datastores import base


class Manager(base.DatastoreManager):
    """An instant, in-memory datastore (nothing runs, nothing is written)."""

    def __init__(self, info):
        super().__init__(info)
        self._lock = threading.Lock()
        self._prepared = False
        self._running = False
        self._volume_size = None
        self.databases = {}
        self.users = {}

    def prepare(self, memory_mb, databases, users, root_password=None,
                volume_size=None):
        with self._lock:
            for database in databases or []:
                self.databases[database['name']] = dict(database)
            for user in users or []:
                self.users[(user['name'], user.get('host') or '%')] = dict(user)
            self._volume_size = volume_size
            self._prepared = self._running = True

    def start_db(self):
        with self._lock:
            self._running = True

    def stop_db(self):
        with self._lock:
            self._running = False

    def restart(self):
        with self._lock:
            self._running = True

    def status(self):
        with self._lock:
            if not self._prepared:
                return states.SVC_NEW
            return states.SVC_HEALTHY if self._running else states.SVC_SHUTDOWN

    def filesystem_stats(self):
        with self._lock:
            if self._volume_size is None:
                return {'total': None, 'used': 0.0, 'free': None}
            total = float(self._volume_size)
            return {'total': total, 'used': 0.0, 'free': total}
