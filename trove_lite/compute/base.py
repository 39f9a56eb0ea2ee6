"""The compute driver interface: where an instance's host comes from.

The taskmanager's flows are the only callers; the API never touches a
driver. A driver provides the host of one instance (a Nova server with a
Cinder volume, or a directory and a loopback address on this machine),
boots it with the files the taskmanager rendered (the guest agent's
``guest_info.conf`` with its identity and key), and removes all of it
again. The shape follows Octavia's compute driver: the caller decides
*what* the server is (a ``ServerSpec``: image, flavor, networks, security
groups, zone, server group, volume, files, metadata) and the driver only
*makes* it, so a Nova driver needs nothing but the spec and its clients.

Drivers are stevedore plugins of namespace ``trove_lite.compute.drivers``,
chosen by ``[DEFAULT] compute_driver``; ``fake`` sits beside every real
one. Driver-specific duties (the local driver re-adopting its agents after
a restart) are methods of that driver, not of this interface.

Who may reach an instance's datastore (upstream's ``access``) is the
driver's to enforce, since only it knows the network: an ``AccessSpec``
in the ``ServerSpec`` at create, ``apply_access`` when it changes. A Nova
driver maps it onto the security group of the instance's port (an
ingress rule per allowed network and service port) and a floating
address on the public network while ``is_public``; the local driver onto
packet filtering of the instance's own address and ports.
"""

import abc
import collections
import dataclasses
import typing

from oslo_config import cfg

from trove_lite.common import access as access_module
from trove_lite.common import exception
from trove_lite.common import plugins

NAMESPACE = 'trove_lite.compute.drivers'

#: The policies of a server group (upstream's ``locality``).
LOCALITIES = ('affinity', 'anti-affinity')

# One address of a server, as the API shows it: {'address', 'type'}.
ADDRESS_PRIVATE = 'private'

#: Where a guest reads its identity on its server (upstream Trove's path);
#: the local driver maps it into the instance directory.
GUEST_INFO_PATH = '/etc/trove/conf.d/guest_info.conf'


class ComputeError(exception.ServerError):
    message = 'The compute driver failed: %(reason)s'


Server = collections.namedtuple('Server', 'id addresses status')
Server.__doc__ = """What ``create_server`` made.

:param id: the driver's id of the server (``instances.compute_instance_id``).
:param addresses: ``[{'address': str, 'type': 'private'|'public'}]``.
:param status: one of ``states.SERVER_*``.
"""

Flavor = collections.namedtuple('Flavor', 'id name ram vcpus disk ephemeral')
Flavor.__doc__ = """A flavor as the driver knows it (Nova's, or the local
driver's ``flavors`` rows).

:param id: the flavor id (text).
:param ram: MB; :param vcpus: count; :param disk: GB of root disk;
:param ephemeral: GB of ephemeral disk.
"""

Volume = collections.namedtuple('Volume', 'id size status')
Volume.__doc__ = """What ``create_volume`` made.

:param id: the driver's id of the volume (``instances.volume_id``).
:param size: GB.
:param status: the driver's word for it ('available', 'in-use').
"""


@dataclasses.dataclass(frozen=True)
class VolumeSpec:
    """The data volume of a server.

    :param size: GB.
    :param volume_type: the block storage type; the driver's default when
        None.
    :param volume_id: an existing volume (made by ``create_volume``) that
        ``create_server`` attaches; None for a server without one made
        beforehand.
    """

    size: int
    volume_type: typing.Optional[str] = None
    volume_id: typing.Optional[str] = None


@dataclasses.dataclass(frozen=True)
class AccessSpec:
    """Who may reach the datastore of a server (``common.access``).

    :param is_public: reachable from outside the instance's private
        network (a Nova driver: a floating address on the public network;
        the local driver: from source addresses other than this host's
        private network, ``[local] private_cidrs``).
    :param allowed_cidrs: the source networks (normalized IPv4 network
        strings) that reach the service ports; empty: every one.
    :param ports: the TCP ports the datastore listens on, which the rules
        cover (``ServerSpec.service_ports``).
    """

    is_public: bool = False
    allowed_cidrs: tuple = ()
    ports: tuple = ()

    @classmethod
    def of(cls, access, ports):
        """The spec of an access dict as stored or requested (None: the
        default, private) for the datastore's ``ports``.
        """
        meant = access_module.effective(access)
        return cls(is_public=meant.is_public,
                   allowed_cidrs=meant.allowed_cidrs,
                   ports=tuple(int(port) for port in ports))


@dataclasses.dataclass(frozen=True)
class ServerSpec:
    """Everything ``create_server`` needs to know, decided by the caller.

    A Nova driver maps it one to one onto ``servers.create``: ``image_id``
    (or the newest image carrying all of ``image_tags``), ``flavor.id``,
    ``networks`` as ``nics``, ``security_groups``, ``availability_zone``,
    ``server_group_id`` as the ``group`` scheduler hint, ``volume`` as a
    block device mapping, ``files`` in the config drive, ``metadata`` and
    ``user_data``.

    :param name: the server's name (the instance's name or id).
    :param flavor: a ``Flavor``.
    :param image_id: the image to boot, or None to choose by tags.
    :param image_tags: tags the image must carry (the datastore version's
        ``image_tags``).
    :param networks: the tenant's networks (the create's ``nics``):
        ``[{'net_id', 'subnet_id'?, 'ip_address'?}]``, in order; the
        datastore is reached there.
    :param management_networks: ids of the deployment's networks every
        server is on too (``[DEFAULT] management_networks``), after the
        tenant's.
    :param security_groups: names or ids of the security groups of the
        management ports (``[DEFAULT] management_security_groups``).
    :param service_ports: TCP ports the datastore listens on (security
        group rules on a cloud; the local driver picks an address where
        they are free).
    :param availability_zone: None for the scheduler's choice.
    :param server_group_id: a group from ``create_server_group``, or None.
    :param volume: a ``VolumeSpec`` or None.
    :param files: ``{absolute path on the server: text}`` to inject; the
        guest's ``guest_info.conf`` is at ``GUEST_INFO_PATH``.
    :param metadata: ``{str: str}`` server metadata.
    :param user_data: cloud-init user data, or None.
    :param config_drive: whether the files go in a config drive (Nova);
        drivers that write files directly ignore it.
    :param access: an ``AccessSpec`` the server is made with (None:
        private, every source network).
    """

    name: str
    flavor: Flavor
    image_id: typing.Optional[str] = None
    image_tags: tuple = ()
    networks: tuple = ()
    management_networks: tuple = ()
    security_groups: tuple = ()
    service_ports: tuple = ()
    availability_zone: typing.Optional[str] = None
    server_group_id: typing.Optional[str] = None
    volume: typing.Optional[VolumeSpec] = None
    files: dict = dataclasses.field(default_factory=dict, repr=False)
    metadata: dict = dataclasses.field(default_factory=dict)
    user_data: typing.Optional[str] = None
    config_drive: bool = True
    access: typing.Optional[AccessSpec] = None


class ComputeDriver(abc.ABC):
    """Base of the compute drivers.

    Every method takes the request context first (for the infrastructure
    database and, for cloud drivers, the tenant's credentials). ``instance``
    is an ``instances`` row as the repository returns it.
    """

    #: Whether a guest on this driver's servers runs apart from the
    #: control plane and so needs broker options in its ``guest_info.conf``
    #: (every real server does; the local driver's agent threads do not).
    guest_needs_transport = True

    #: Whether ``list_flavors`` reads the infra database's ``flavors``
    #: table itself (local, fake): then nothing needs copying into it.
    flavors_in_infra_db = False

    @abc.abstractmethod
    def create_server(self, context, instance, spec):
        """Provide the instance's host as ``spec`` says and boot it.

        Places ``spec.files`` (the guest agent's ``guest_info.conf``
        among them), attaches ``spec.volume`` when it names a volume and
        starts the server, whose guest agent then reports through
        heartbeats. The driver adds nothing of its own to the files but
        what only it can know (the local driver: the instance directory
        and the address it allocated).

        :param spec: a ``ServerSpec``.
        :returns: a ``Server``.
        :raises: ComputeError (or a driver-specific error) when the host
            cannot be provided; whatever was made is left for
            ``delete_server`` to remove.
        """

    @abc.abstractmethod
    def delete_server(self, context, instance):
        """Remove the instance's host and everything of it.

        Stops the guest agent and every other process of the instance,
        removes every file and frees its address. Idempotent: deleting
        what is (partly or wholly) gone already is not an error, so that a
        failed create's revert, a delete flow and a retried delete can all
        call it. The volume is not the server's: ``delete_volume`` removes
        it.

        :raises: ComputeError when something could not be removed; a
            retry may succeed.
        """

    @abc.abstractmethod
    def server_status(self, context, instance):
        """The status of the instance's host.

        :returns: one of ``states.SERVER_*`` (``SERVER_DELETED`` when it
            has none).
        :raises: ComputeError when the status cannot be read.
        """

    @abc.abstractmethod
    def console_output(self, context, instance, max_chars=4000):
        """The last output of the instance's host, for a fault's details.

        What tells an administrator why a guest agent never answered (the
        agent's log on a local server, the console log of a Nova server).

        :param max_chars: at most this many characters, the newest ones.
        :returns: text; '' when there is none (or it cannot be read).
        """

    @abc.abstractmethod
    def apply_access(self, context, instance, access):
        """Make the instance's datastore reachable as ``access`` says,
        replacing what was applied before (at create, or by an earlier
        call).

        Sources outside ``access.allowed_cidrs`` (when it names any) no
        longer reach ``access.ports``; a server that is not
        ``is_public`` is reachable from its private network only. Safe to
        repeat: applying what is applied changes nothing, so a resumed
        workflow, and a revert that applies the old access again, may
        call it. ``delete_server`` removes what it made.

        :param access: an ``AccessSpec``.
        :returns: the server's addresses as they are now (``[{'address',
            'type'}]``: a public one appears or goes with ``is_public`` on
            a cloud), for the instance row.
        :raises: ComputeError when it cannot be applied; what was applied
            before stays in force.
        """

    @abc.abstractmethod
    def create_volume(self, context, instance, spec):
        """Make the instance's data volume (not yet attached).

        :param spec: a ``VolumeSpec`` (its ``volume_id`` is ignored).
        :returns: a ``Volume``.
        :raises: ComputeError when it cannot be made; whatever was made is
            left for ``delete_volume`` to remove.
        """

    @abc.abstractmethod
    def attach_volume(self, context, instance, volume_id):
        """Attach a volume to the instance's server (a volume made after
        the server: a restore, a replacement); ``create_server`` attaches
        the spec's own.

        :returns: the device or path the guest sees it at.
        :raises: ComputeError when it cannot be attached.
        """

    @abc.abstractmethod
    def extend_volume(self, context, instance, volume_id, new_size):
        """Grow a volume to ``new_size`` GB (what a volume resize needs;
        the guest grows its filesystem afterwards). A volume of that size
        already is not an error: a resize that is repeated, or resumed
        after its taskmanager died, asks again.

        :returns: the ``Volume`` as it is now.
        :raises: ComputeError when it cannot be extended (or
            ``new_size`` is smaller: a volume does not shrink).
        """

    @abc.abstractmethod
    def resize_server(self, context, instance, flavor):
        """Give the instance's server the resources of ``flavor`` (a
        ``Flavor``): a Nova resize, confirmed; the same call with the old
        flavor puts it back. Its data volume stays as it is; the guest
        re-tunes the datastore afterwards.

        :returns: the ``Server`` as it is now.
        :raises: ComputeError when it cannot be resized.
        """

    @abc.abstractmethod
    def delete_volume(self, context, instance, volume_id):
        """Detach (if attached) and delete a volume. Idempotent: a volume
        that is gone already is not an error.

        :raises: ComputeError when it could not be deleted; a retry may
            succeed.
        """

    @abc.abstractmethod
    def create_server_group(self, context, name, policy):
        """Make a server group, for the placement of related servers
        (a primary and its replicas, a cluster's members).

        :param name: the group's name (e.g. the cluster's id).
        :param policy: 'affinity' or 'anti-affinity' (Nova's policies).
        :returns: the group's id, for ``ServerSpec.server_group_id``.
        :raises: ComputeError when it cannot be made.
        """

    @abc.abstractmethod
    def delete_server_group(self, context, group_id):
        """Delete a server group. Idempotent.

        :raises: ComputeError when it could not be deleted.
        """

    @abc.abstractmethod
    def list_flavors(self, context):
        """Every flavor instances may be built with.

        :returns: a list of ``Flavor``.
        :raises: ComputeError when the flavors cannot be read.
        """

    @abc.abstractmethod
    def get_flavor(self, context, flavor_id):
        """One flavor.

        :returns: a ``Flavor``.
        :raises: FlavorNotFound: the driver has no such flavor.
        :raises: ComputeError when it cannot be read.
        """


def flavor_of(row):
    """The ``Flavor`` of a ``flavors`` row (what drivers that keep their
    flavors in the infra database return).
    """
    return Flavor(id=row.id, name=row.name, ram=row.ram, vcpus=row.vcpus,
                  disk=row.disk or 0, ephemeral=row.ephemeral or 0)


def load_driver(name=None, **kwargs):
    """The compute driver ``name`` (``[DEFAULT] compute_driver`` if None).

    :param kwargs: passed to the driver's constructor (e.g. ``launcher``
        for the local driver).
    :raises: plugins.PluginNotFound when no such driver is installed.
    """
    return plugins.load(NAMESPACE, name or cfg.CONF.compute_driver,
                        option='[DEFAULT] compute_driver', kwargs=kwargs)
