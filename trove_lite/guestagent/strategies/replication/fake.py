"""Replication of the in-memory ``fake`` datastore.

The fake datastore's guests live in one process (the fake compute
driver's), so a replica reaches its source through a registry of the
managers that became sources, by instance id. Attaching copies the
source's state (its databases, users and root); a replica refuses the
tenant's changes, as a read-only server would. What a real strategy keeps
in ``replication.json`` lives on the manager (the fake one has no
instance directory). This is what the CLI conformance suite and the
control plane's tests replicate; it moves no data afterwards.
"""

import threading

from trove_lite.common import exception
from trove_lite.guestagent.strategies.replication import base

_sources = {}
_sources_lock = threading.Lock()


def source(instance_id):
    """The manager registered as source ``instance_id``, or None."""
    with _sources_lock:
        return _sources.get(instance_id)


class FakeReplication(base.ReplicationStrategy):
    """Replication between fake datastores of one process."""

    name = 'fake'

    def recorded(self):
        return dict(getattr(self.manager, 'replication_record', None) or {})

    def record(self, **values):
        saved = self.recorded()
        saved.update(values)
        self.manager.replication_record = {
            key: value for key, value in saved.items() if value is not None}

    def _info(self):
        instance_id = self.manager.info.guest_id
        return {'host': 'fake', 'port': 0, 'user': 'fake-replication',
                'password': 'fake', 'instance_id': instance_id}

    def enable_as_source(self):
        with _sources_lock:
            _sources[self.manager.info.guest_id] = self.manager
        self.record(role=base.SOURCE, source=None, fenced=None)
        return self._info()

    def fence(self):
        self.record(fenced=True)

    def attach(self, source_info, snapshot=None):
        followed = source(source_info.get('instance_id'))
        if followed is None:
            raise exception.GuestError(
                message='No fake source %s in this process.'
                        % source_info.get('instance_id'))
        self.manager.import_state(followed.export_state())
        with _sources_lock:
            if _sources.get(self.manager.info.guest_id) is self.manager:
                del _sources[self.manager.info.guest_id]
        self.record(role=base.REPLICA, fenced=None, source={
            'host': source_info['host'], 'port': source_info['port'],
            'instance_id': source_info['instance_id']})

    def promote(self):
        return self.enable_as_source()

    def detach(self):
        self.record(role=None, source=None, fenced=None)

    def state(self):
        recorded = self.recorded()
        replica = recorded.get('role') == base.REPLICA
        source_info = recorded.get('source')
        return {'role': recorded.get('role'),
                'source': ({'host': source_info['host'],
                            'port': source_info['port']}
                           if source_info else None),
                'running': replica, 'lag': 0.0 if replica else None,
                'position': 0, 'error': None}

    def read_only(self):
        """Whether the tenant's changes are refused (a replica, or a
        fenced source).
        """
        recorded = self.recorded()
        return recorded.get('role') == base.REPLICA or \
            bool(recorded.get('fenced'))
