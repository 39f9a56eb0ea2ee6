"""A fake guest agent on the bus, for tests without a datastore.

``FakeGuest`` listens where a real agent of the instance would
(``guestagent.<instance_id>``) and plays the guest's side of the contract:
``prepare`` answers with a 'healthy' heartbeat to the conductor (or a
fault and 'failed to spawn', or nothing at all), ``restart`` and
``stop_db`` return at once. ``FakeGuestLauncher`` starts one per server
of the fake driver, so create flows run end to end on the in-memory bus.

NOTE(layers): it speaks the guest and conductor contracts through
``common.rpc`` with the topic and versions spelled out, because
``compute`` sits below ``guestagent`` and ``conductor`` and must not
import them. Keep it in step with ``guestagent/rpcapi.py`` and
``conductor/rpcapi.py``.
"""

import threading
import time

from oslo_config import cfg
import oslo_messaging

from trove_lite.common import context
from trove_lite.common import rpc
from trove_lite.common import sealing
from trove_lite.common import service
from trove_lite.compute.local import launcher as agent_launcher
from trove_lite.db.repositories import instances as instance_repo

HEALTHY = 'healthy'
FAILED = 'failed'
SILENT = 'silent'
# The agent exits at once: nothing listens, and the launcher runs nothing.
DEAD = 'dead'


class FakeGuestEndpoint:
    """The guest agent API (1.1) answered without a datastore."""

    target = oslo_messaging.Target(version='1.1')

    def __init__(self, instance_id, behaviour=HEALTHY, serializer=None):
        self.instance_id = instance_id
        self.behaviour = behaviour
        self.calls = []
        self._conductor = rpc.get_client(cfg.CONF.conductor_queue, '1.0',
                                         serializer=serializer)

    def _report(self, context, method, **kwargs):
        cctxt = rpc.prepare(self._conductor, '1.1')
        rpc.cast(cctxt, context, method, instance_id=self.instance_id,
                 sent=time.time(), **kwargs)

    def heartbeat(self, context, description):
        self._report(context, 'heartbeat', payload={
            'service_status': description, 'agent_version': 'fake',
            'volume': {'used': 0.1, 'total': 1.0}})

    def rpc_ping(self, context):
        self.calls.append('rpc_ping')
        return rpc.ping_reply('guestagent', '1.1',
                              instance_id=self.instance_id)

    def prepare(self, context, memory_mb, databases, users,
                root_password=None, volume_size=None):
        self.calls.append('prepare')
        if self.behaviour == HEALTHY:
            self.heartbeat(context, 'healthy')
        elif self.behaviour == FAILED:
            self._report(context, 'report_fault',
                         message='The datastore failed to start.',
                         details='fake guest told to fail')
            self.heartbeat(context, 'failed to spawn')

    def restart(self, context):
        self.calls.append('restart')
        self.heartbeat(context, 'healthy')

    def stop_db(self, context):
        self.calls.append('stop_db')
        self.heartbeat(context, 'shutdown')

    def get_filesystem_stats(self, context):
        return {'total': 1.0, 'used': 0.1, 'free': 0.9}


class FakeGuest:
    """A fake agent of one instance: ``start``/``stop``/``wait``."""

    def __init__(self, instance_id, behaviour=HEALTHY, key=None):
        serializer = (sealing.GuestSerializer(instance_id, key) if key
                      else None)
        self.endpoint = FakeGuestEndpoint(instance_id, behaviour, serializer)
        self.service = service.RPCService(
            'guestagent.%s' % instance_id, instance_id, self.endpoint,
            serializer=serializer)

    def start(self):
        self.service.start()

    def stop(self):
        self.service.stop()

    def wait(self):
        self.service.wait()


class FakeGuestLauncher(agent_launcher.AgentLauncher):
    """Starts a ``FakeGuest`` per instance.

    :param behaviour: HEALTHY, FAILED, SILENT or DEAD, for every guest.
    """

    def __init__(self, behaviour=HEALTHY):
        self.behaviour = behaviour
        self.guests = {}
        self._lock = threading.Lock()

    def start(self, instance_id, guest_info_path):
        if self.behaviour == DEAD:
            return
        with self._lock:
            if instance_id in self.guests:
                return
            key = instance_repo.get(context.get_admin_context(),
                                    instance_id).encrypted_key
            guest = FakeGuest(instance_id, self.behaviour, key)
            guest.start()
            self.guests[instance_id] = guest

    def stop(self, instance_id):
        with self._lock:
            guest = self.guests.pop(instance_id, None)
        if guest is not None:
            guest.stop()
            guest.wait()

    def running(self, instance_id):
        with self._lock:
            return instance_id in self.guests

    def stop_all(self):
        for instance_id in list(self.guests):
            self.stop(instance_id)
