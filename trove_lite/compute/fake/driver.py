"""A compute driver that makes no hosts at all.

Servers, volumes and server groups are entries of dicts; nothing runs and
nothing is written. The unit tests and control-plane scale tests use it,
with a ``launcher`` that starts fake guests (``fake.guest.FakeGuestLauncher``)
when the flows must see a guest answer, or none when they must see a guest
that never does. It keeps every ``ServerSpec`` it was given (``specs``),
so a test sees exactly what a Nova driver would be asked to boot, and
the ``AccessSpec`` each server has now (``access``: the spec's at create,
then each ``apply_access``'s), so a test sees what a driver would enforce.
"""

import threading
import uuid

from trove_lite.common import states
from trove_lite.compute import base
from trove_lite.db.repositories import flavors as flavor_repo


class FakeDriver(base.ComputeDriver):
    """Servers in a dict.

    :param launcher: an ``AgentLauncher`` started for each server (given
        the instance id and no guest_info path); none when omitted.
    :param fail_create: an exception ``create_server`` raises (after
        recording the server, as a half-done create would).
    :ivar fail_access: an exception ``apply_access`` raises (the access
        in force stays); a test sets it.
    """

    # NOTE(fake): fake guests share the control plane's transport.
    guest_needs_transport = False
    flavors_in_infra_db = True

    def __init__(self, launcher=None, fail_create=None):
        self.launcher = launcher
        self.fail_create = fail_create
        self.servers = {}
        self.specs = {}
        self.volumes = {}
        self.server_groups = {}
        # The flavor each server was last resized to.
        self.flavors = {}
        self.access = {}
        self.fail_access = None
        self.deleted = []
        self._lock = threading.Lock()

    def create_server(self, context, instance, spec):
        server = base.Server(
            id=str(uuid.uuid4()), status=states.SERVER_ACTIVE,
            addresses=[{'address': '192.0.2.%d' % (len(self.servers) + 1),
                        'type': base.ADDRESS_PRIVATE}])
        with self._lock:
            self.servers[instance.id] = server
            self.specs[instance.id] = spec
            self.access[instance.id] = spec.access or base.AccessSpec(
                ports=tuple(spec.service_ports))
        if self.fail_create is not None:
            raise self.fail_create
        if self.launcher is not None:
            self.launcher.start(instance.id, None)
        return server

    def delete_server(self, context, instance):
        if self.launcher is not None:
            self.launcher.stop(instance.id)
        with self._lock:
            self.access.pop(instance.id, None)
            if self.servers.pop(instance.id, None) is not None:
                self.deleted.append(instance.id)

    def apply_access(self, context, instance, access):
        with self._lock:
            server = self.servers.get(instance.id)
            if server is None:
                raise base.ComputeError(reason='no server of instance %s'
                                        % instance.id)
            if self.fail_access is not None:
                raise self.fail_access
            self.access[instance.id] = access
        return list(server.addresses)

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

    def create_volume(self, context, instance, spec):
        volume = base.Volume(id=str(uuid.uuid4()), size=spec.size,
                             status='available')
        with self._lock:
            self.volumes[volume.id] = volume
        return volume

    def _volume(self, volume_id):
        volume = self.volumes.get(volume_id)
        if volume is None:
            raise base.ComputeError(reason='no volume %s' % volume_id)
        return volume

    def attach_volume(self, context, instance, volume_id):
        with self._lock:
            self.volumes[volume_id] = self._volume(volume_id)._replace(
                status='in-use')
        return '/dev/vdb'

    def extend_volume(self, context, instance, volume_id, new_size):
        with self._lock:
            volume = self._volume(volume_id)
            if new_size < volume.size:
                raise base.ComputeError(
                    reason='volume %s is %s GB; a volume does not shrink'
                           % (volume_id, volume.size))
            volume = self.volumes[volume_id] = volume._replace(size=new_size)
        return volume

    def resize_server(self, context, instance, flavor):
        with self._lock:
            server = self.servers.get(instance.id)
            if server is None:
                raise base.ComputeError(reason='instance %s has no server'
                                        % instance.id)
            self.flavors[instance.id] = flavor
        return server

    def delete_volume(self, context, instance, volume_id):
        with self._lock:
            self.volumes.pop(volume_id, None)

    def create_server_group(self, context, name, policy):
        group_id = str(uuid.uuid4())
        with self._lock:
            self.server_groups[group_id] = (name, policy)
        return group_id

    def delete_server_group(self, context, group_id):
        with self._lock:
            self.server_groups.pop(group_id, None)

    def list_flavors(self, context):
        return [base.flavor_of(row)
                for row in flavor_repo.list_flavors(context)]

    def get_flavor(self, context, flavor_id):
        return base.flavor_of(flavor_repo.get_flavor(context, flavor_id))

    def adopt_servers(self, context):
        """As the local driver's: restart the launcher's guests of the
        servers in the dict (the taskmanager calls it when present).

        :returns: the ids of the instances whose guest was started.
        """
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
