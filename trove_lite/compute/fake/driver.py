"""A compute driver that makes no hosts at all.

Servers are entries of a dict; nothing runs and nothing is written. The
unit tests and control-plane scale tests use it, with a ``launcher`` that
starts fake guests (``fake.guest.FakeGuestLauncher``) when the flows must
see a guest answer, or none when they must see a guest that never does.
"""

import threading
import uuid

from trove_lite.common import sealing
from trove_lite.common import states
from trove_lite.compute import base
from trove_lite.db.repositories import instances as instance_repo


class FakeDriver(base.ComputeDriver):
    """Servers in a dict.

    :param launcher: an ``AgentLauncher`` started for each server (given
        the instance id and no guest_info path); none when omitted.
    :param fail_create: an exception ``create_server`` raises (after
        recording the server, as a half-done create would).
    """

    def __init__(self, launcher=None, fail_create=None):
        self.launcher = launcher
        self.fail_create = fail_create
        self.servers = {}
        self.deleted = []
        self._lock = threading.Lock()

    def create_server(self, context, instance, flavor, guest_info):
        server = base.Server(
            id=str(uuid.uuid4()), status=states.SERVER_ACTIVE,
            addresses=[{'address': '192.0.2.%d' % (len(self.servers) + 1),
                        'type': base.ADDRESS_PRIVATE}])
        with self._lock:
            self.servers[instance.id] = server
        if self.fail_create is not None:
            raise self.fail_create
        # NOTE(sealing): a fake guest seals like a real one.
        instance_repo.set_key(context, instance.id, sealing.generate_key())
        if self.launcher is not None:
            self.launcher.start(instance.id, None)
        return server

    def delete_server(self, context, instance):
        if self.launcher is not None:
            self.launcher.stop(instance.id)
        with self._lock:
            if self.servers.pop(instance.id, None) is not None:
                self.deleted.append(instance.id)

    def server_status(self, context, instance):
        with self._lock:
            server = self.servers.get(instance.id)
        if server is None:
            return states.SERVER_DELETED
        # NOTE(fake): as the local driver, a server whose agent the
        # launcher does not run is shut down.
        if self.launcher is not None and not self.launcher.running(
                instance.id):
            return states.SERVER_SHUTDOWN
        return server.status

    def console_output(self, context, instance, max_chars=4000):
        return ''

    def adopt_servers(self, context):
        started = []
        if self.launcher is None:
            return started
        with self._lock:
            ids = list(self.servers)
        for instance_id in ids:
            if not self.launcher.running(instance_id):
                self.launcher.start(instance_id, None)
                started.append(instance_id)
        return started
