"""The ``nova`` compute driver: each instance is a Nova server with a
Cinder volume and Neutron ports, booted from a Glance guest image.

What an instance owns, all in the service project (``clients``) and all
named ``<[nova] resource_name_prefix><instance id>``:

* a security group opening the datastore's ports to its
  ``allowed_cidrs`` (``networking``), on its ports on the tenant's
  networks;
* a port per network: the tenant's (``nics``), then
  ``[DEFAULT] management_networks`` with ``management_security_groups``;
* a floating address while it is public (``[nova] public_network_id``);
* a volume (``[DEFAULT] cinder_volume_type``), attached at boot;
* the server, booted from the datastore version's image (its id, or the
  newest active image carrying all its tags), the guest's files injected
  (``injection``), in the instance's availability zone and server group.

A create that fails part way raises ``ComputeError`` with the cloud's
reason (a server's fault message, a status it stopped in) and leaves what
it made for ``delete_server``, which finds every piece by the instance id
(the server by its ``trove_instance_id`` metadata) even when nothing was
recorded: the create flow's revert calls it. A volume that fails to
become available is removed by ``create_volume`` itself, since the flow
learns its id only from a success.
"""

import time

from cinderclient import exceptions as cinder_exc
from keystoneauth1 import exceptions as ks_exc
from neutronclient.common import exceptions as neutron_exc
from novaclient import exceptions as nova_exc
from oslo_config import cfg
from oslo_log import log as logging

from trove_lite.common import exception
from trove_lite.common import states
from trove_lite.compute import base
from trove_lite.compute.nova import clients as clients_module
from trove_lite.compute.nova import injection
from trove_lite.compute.nova import networking
from trove_lite.db.repositories import instances as instance_repo

LOG = logging.getLogger(__name__)

# Errors of the cloud that become a ComputeError with the cloud's words.
CLOUD_ERRORS = (nova_exc.ClientException, cinder_exc.ClientException,
                neutron_exc.NeutronClientException,
                ks_exc.ClientException)
NOT_FOUND = (nova_exc.NotFound, cinder_exc.NotFound,
             neutron_exc.NotFound, ks_exc.NotFound)

# Nova's statuses as the instance's server_status; the rest are shown as
# Nova says them (RESIZE, REBOOT...).
SERVER_STATUSES = {
    'ACTIVE': states.SERVER_ACTIVE,
    'BUILD': states.SERVER_BUILD,
    'ERROR': states.SERVER_ERROR,
    'SHUTOFF': states.SERVER_SHUTDOWN,
    'STOPPED': states.SERVER_SHUTDOWN,
    'SUSPENDED': states.SERVER_SHUTDOWN,
    'PAUSED': states.SERVER_SHUTDOWN,
    'DELETED': states.SERVER_DELETED,
    'SOFT_DELETED': states.SERVER_DELETED,
}
VOLUME_READY = ('available', 'in-use')
METADATA_KEY = 'trove_instance_id'


# How much of an error body that no client understood a fault keeps.
BODY_CHARS = 300


def _reason(error):
    """The cloud's words of an error, for a fault the user reads.

    keystoneauth (the Image API) knows only some services' error
    documents and otherwise says "Unrecognized schema"; then the body
    itself is the reason.
    """
    message = (getattr(error, 'message', None)
               or getattr(error, 'details', None) or str(error))
    response = getattr(error, 'response', None)
    if isinstance(error, ks_exc.HttpError) and response is not None:
        body = ' '.join((response.text or '').split())[:BODY_CHARS]
        if body and body not in message:
            message = '%s: %s' % (message, body)
    return '%s (%s)' % (message, type(error).__name__)


class cloud_call:
    """Turn the cloud's errors inside a ``with`` into ``ComputeError``
    that says what was being done.
    """

    def __init__(self, doing):
        self.doing = doing

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if error is not None and isinstance(error, CLOUD_ERRORS):
            raise base.ComputeError(
                reason='%s: %s' % (self.doing, _reason(error))) from error
        return False


class NovaDriver(base.ComputeDriver):
    """Instances on an OpenStack cloud.

    :param clients: a ``clients.Clients`` (one from the configuration
        when omitted).
    :param sleep: how to wait between two reads of a changing status.
    """

    guest_needs_transport = True
    flavors_in_infra_db = False

    def __init__(self, clients=None, sleep=time.sleep, conf=None):
        self.conf = conf or cfg.CONF
        self.clients = clients or clients_module.Clients(self.conf)
        self._sleep = sleep

    @property
    def networking(self):
        return networking.Networking(
            self.clients.neutron, self.conf.nova.resource_name_prefix,
            self.conf.nova.public_network_id,
            poll_interval=self.conf.nova.poll_interval)

    def _name(self, instance_id):
        return self.conf.nova.resource_name_prefix + instance_id

    def _wait(self, read, done, timeout, what):
        """Read until ``done(value)`` is true; returns the value.

        :param done: returns True (done), False (go on) or raises.
        :raises: ComputeError when ``timeout`` seconds pass.
        """
        deadline = time.monotonic() + timeout
        while True:
            value = read()
            if done(value):
                return value
            if time.monotonic() >= deadline:
                raise base.ComputeError(
                    reason='%s did not finish within %d s' % (what, timeout))
            self._sleep(self.conf.nova.poll_interval)

    # -- image -------------------------------------------------------------

    def _image_id(self, spec):
        """The image to boot: the spec's, or the newest active one that
        carries all of its tags.
        """
        if spec.image_id:
            return spec.image_id
        if not spec.image_tags:
            raise base.ComputeError(
                reason='the datastore version names no image and no image '
                       'tags')
        params = [('tag', tag) for tag in spec.image_tags]
        params += [('status', 'active'), ('sort', 'created_at:desc')]
        with cloud_call('looking up the guest image'):
            images = self.clients.image.get(
                '/v2/images', params=params).json()['images']
        wanted = set(spec.image_tags)
        images = [image for image in images
                  if wanted <= set(image.get('tags') or ())]
        if not images:
            raise base.ComputeError(
                reason='no active image carries the tags %s'
                       % ', '.join(spec.image_tags))
        return images[0]['id']

    # -- server --------------------------------------------------------------

    def create_server(self, context, instance, spec):
        net = self.networking
        nova = self.clients.nova
        access = spec.access or base.AccessSpec(
            ports=tuple(spec.service_ports))
        tenant = [dict(network) for network in spec.networks]
        with cloud_call('preparing the network of the server'):
            image_id = self._image_id(spec)
            group = net.ensure_security_group(instance.id)
            net.apply_rules(group['id'], access)
            management_groups = net.management_group_ids(
                spec.security_groups)
            ports = net.find_ports(instance.id) or net.create_ports(
                instance.id, tenant, spec.management_networks, group['id'],
                management_groups)
        options = {'nics': [{'port-id': port['id']} for port in ports],
                   'meta': dict(spec.metadata, **{METADATA_KEY:
                                                  instance.id}),
                   'config_drive': self.conf.nova.config_drive,
                   'availability_zone': spec.availability_zone}
        if spec.volume is not None and spec.volume.volume_id:
            options['block_device_mapping_v2'] = [{
                'uuid': spec.volume.volume_id, 'source_type': 'volume',
                'destination_type': 'volume', 'boot_index': -1,
                'delete_on_termination': False}]
        if spec.server_group_id:
            options['scheduler_hints'] = {'group': spec.server_group_id}
        if self.conf.nova.file_injection == 'user_data':
            try:
                options['userdata'] = injection.cloud_config(
                    spec.files, spec.user_data)
            except ValueError as err:
                raise base.ComputeError(reason=str(err))
        else:
            options['files'] = injection.personality(spec.files)
            if spec.user_data:
                options['userdata'] = spec.user_data
        with cloud_call('creating the server'):
            server = nova.servers.create(spec.name, image_id, spec.flavor.id,
                                         **options)
            LOG.info('Instance %s: server %s is building', instance.id,
                     server.id)
            server = self._wait(
                lambda: nova.servers.get(server.id), self._booted,
                self.conf.nova.server_boot_timeout,
                'the boot of server %s' % server.id)
        with cloud_call('giving the server its public address'):
            net.apply_public(ports, access)
            addresses = net.addresses(ports, len(tenant))
        return base.Server(id=server.id, addresses=addresses,
                           status=states.SERVER_ACTIVE)

    @staticmethod
    def _booted(server):
        if server.status == 'ACTIVE':
            return True
        if server.status == 'ERROR':
            raise base.ComputeError(
                reason='server %s failed to boot: %s' % (
                    server.id, _fault_of(server)))
        return False

    def _servers_of(self, instance):
        """The instance's servers: the recorded one, else those whose
        metadata names the instance (a create that died before it saved
        its server).
        """
        nova = self.clients.nova
        if instance.compute_instance_id:
            # NOTE(delete): a saved server is the only one (a resumed
            # create removes what it made before saving); gone is gone.
            try:
                return [nova.servers.get(instance.compute_instance_id)]
            except nova_exc.NotFound:
                return []
        return [server for server in nova.servers.list()
                if (server.metadata or {}).get(METADATA_KEY) == instance.id]

    def _wait_gone(self, read, timeout, what):
        """Read until the cloud answers 404."""
        def gone():
            try:
                read()
            except NOT_FOUND:
                return True
            return False
        self._wait(gone, lambda done: done, timeout, what)

    def delete_server(self, context, instance):
        nova = self.clients.nova
        with cloud_call('deleting the server of instance %s' % instance.id):
            for server in self._servers_of(instance):
                try:
                    nova.servers.delete(server.id)
                except nova_exc.NotFound:
                    continue
                self._wait_gone(lambda sid=server.id: nova.servers.get(sid),
                                self.conf.nova.server_delete_timeout,
                                'the delete of server %s' % server.id)
            self.networking.remove(instance.id)

    def _server(self, instance):
        if not instance.compute_instance_id:
            raise base.ComputeError(
                reason='instance %s has no server' % instance.id)
        return self.clients.nova.servers.get(instance.compute_instance_id)

    def server_status(self, context, instance):
        with cloud_call('reading the server of instance %s' % instance.id):
            try:
                server = self._server(instance)
            except nova_exc.NotFound:
                return states.SERVER_DELETED
        return SERVER_STATUSES.get(server.status, server.status)

    def console_output(self, context, instance, max_chars=4000):
        try:
            output = self.clients.nova.servers.get_console_output(
                instance.compute_instance_id, length=200) or ''
        except CLOUD_ERRORS as err:
            LOG.warning('No console output of instance %s: %s',
                        instance.id, err)
            return ''
        return output[-max_chars:]

    def apply_access(self, context, instance, access):
        net = self.networking
        with cloud_call('applying the access of instance %s' % instance.id):
            group = net.ensure_security_group(instance.id)
            net.apply_rules(group['id'], access)
            ports = net.find_ports(instance.id)
            net.apply_public(ports, access)
            tenant = len(_tenant_networks(instance))
            return net.addresses(_in_order(ports, instance), tenant)

    # -- volumes --------------------------------------------------------------

    def create_volume(self, context, instance, spec):
        cinder = self.clients.cinder
        with cloud_call('creating the volume of instance %s' % instance.id):
            volume = cinder.volumes.create(
                spec.size, name=self._name(instance.id),
                volume_type=spec.volume_type,
                availability_zone=getattr(instance, 'availability_zone',
                                          None),
                metadata={METADATA_KEY: instance.id})
        try:
            with cloud_call('waiting for volume %s' % volume.id):
                volume = self._wait(
                    lambda: cinder.volumes.get(volume.id),
                    self._volume_ready, self.conf.nova.volume_timeout,
                    'the create of volume %s' % volume.id)
        except base.ComputeError:
            # NOTE(revert): the flow records the volume only when this
            # returns; what failed here is removed here.
            self._delete_volume_quietly(instance, volume.id)
            raise
        return base.Volume(id=volume.id, size=volume.size,
                           status=volume.status)

    @staticmethod
    def _volume_ready(volume):
        if volume.status in VOLUME_READY:
            return True
        if volume.status.startswith('error'):
            raise base.ComputeError(
                reason='volume %s is in status %s' % (volume.id,
                                                      volume.status))
        return False

    def _delete_volume_quietly(self, instance, volume_id):
        try:
            self.delete_volume(None, instance, volume_id)
        except Exception:
            LOG.exception('Could not remove volume %s of instance %s',
                          volume_id, instance.id)

    def attach_volume(self, context, instance, volume_id):
        with cloud_call('attaching volume %s' % volume_id):
            attachment = self.clients.nova.volumes.create_server_volume(
                instance.compute_instance_id, volume_id)
            self._wait(lambda: self.clients.cinder.volumes.get(volume_id),
                       lambda volume: volume.status == 'in-use',
                       self.conf.nova.volume_timeout,
                       'the attachment of volume %s' % volume_id)
        return attachment.device

    def extend_volume(self, context, instance, volume_id, new_size):
        cinder = self.clients.cinder
        with cloud_call('extending volume %s' % volume_id):
            volume = cinder.volumes.get(volume_id)
            if volume.size > new_size:
                raise base.ComputeError(
                    reason='volume %s is %d GB; it does not shrink to %d GB'
                           % (volume_id, volume.size, new_size))
            if volume.size < new_size:
                cinder.volumes.extend(volume, new_size)
                volume = self._wait(
                    lambda: cinder.volumes.get(volume_id),
                    lambda v: (v.size == new_size and
                               self._volume_ready(v)),
                    self.conf.nova.volume_timeout,
                    'the extension of volume %s' % volume_id)
        return base.Volume(id=volume.id, size=volume.size,
                           status=volume.status)

    def delete_volume(self, context, instance, volume_id):
        cinder = self.clients.cinder
        nova = self.clients.nova
        with cloud_call('deleting volume %s' % volume_id):
            try:
                volume = cinder.volumes.get(volume_id)
            except cinder_exc.NotFound:
                return
            for attachment in volume.attachments or ():
                try:
                    nova.volumes.delete_server_volume(
                        attachment['server_id'], volume_id)
                except nova_exc.NotFound:
                    pass
            self._wait(lambda: cinder.volumes.get(volume_id),
                       lambda v: v.status not in ('in-use', 'detaching',
                                                  'attaching', 'creating',
                                                  'extending'),
                       self.conf.nova.volume_timeout,
                       'the detachment of volume %s' % volume_id)
            try:
                cinder.volumes.delete(volume_id)
            except cinder_exc.NotFound:
                return
            self._wait_gone(lambda: cinder.volumes.get(volume_id),
                            self.conf.nova.volume_timeout,
                            'the delete of volume %s' % volume_id)

    # -- flavors, resize, groups -------------------------------------------

    def resize_server(self, context, instance, flavor):
        nova = self.clients.nova
        with cloud_call('resizing the server of instance %s' % instance.id):
            server = self._server(instance)
            if str(server.flavor.get('id')) != str(flavor.id):
                nova.servers.resize(server.id, flavor.id)
                server = self._wait(
                    lambda: nova.servers.get(server.id), self._resized,
                    self.conf.nova.server_boot_timeout,
                    'the resize of server %s' % server.id)
                nova.servers.confirm_resize(server.id)
                server = self._wait(
                    lambda: nova.servers.get(server.id), self._booted,
                    self.conf.nova.server_boot_timeout,
                    'the confirmation of the resize of server %s'
                    % server.id)
        return base.Server(id=server.id,
                           addresses=instance_repo.addresses_of(instance),
                           status=states.SERVER_ACTIVE)

    @staticmethod
    def _resized(server):
        if server.status == 'VERIFY_RESIZE':
            return True
        if server.status in ('ERROR', 'ACTIVE'):
            raise base.ComputeError(
                reason='server %s was not resized (%s): %s' % (
                    server.id, server.status, _fault_of(server)))
        return False

    def create_server_group(self, context, name, policy):
        with cloud_call('creating server group %s' % name):
            group = self.clients.nova.server_groups.create(
                name=self._name(name), policies=[policy])
        return group.id

    def delete_server_group(self, context, group_id):
        with cloud_call('deleting server group %s' % group_id):
            try:
                self.clients.nova.server_groups.delete(group_id)
            except nova_exc.NotFound:
                pass

    def list_flavors(self, context):
        with cloud_call('listing flavors'):
            return [_flavor(flavor) for flavor in
                    self.clients.nova.flavors.list(detailed=True)]

    def get_flavor(self, context, flavor_id):
        with cloud_call('reading flavor %s' % flavor_id):
            try:
                return _flavor(self.clients.nova.flavors.get(flavor_id))
            except nova_exc.NotFound:
                raise exception.FlavorNotFound(uuid=flavor_id)


def _fault_of(server):
    """Nova's reason for a server's failure."""
    fault = getattr(server, 'fault', None) or {}
    return fault.get('message') or 'no reason given'


def _flavor(flavor):
    return base.Flavor(
        id=str(flavor.id), name=flavor.name, ram=flavor.ram,
        vcpus=flavor.vcpus, disk=flavor.disk or 0,
        ephemeral=getattr(flavor, 'OS-FLV-EXT-DATA:ephemeral', 0) or 0)


def _tenant_networks(instance):
    return instance_repo.networks_of(instance)


def _in_order(ports, instance):
    """The instance's ports in the order they were made (Neutron lists
    them in its own order): the tenant's networks first.
    """
    tenant = [network['net_id'] for network in _tenant_networks(instance)]
    return sorted(ports, key=lambda port: (
        tenant.index(port['network_id']) if port['network_id'] in tenant
        else len(tenant)))
