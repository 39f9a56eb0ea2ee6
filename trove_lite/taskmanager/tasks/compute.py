"""Tasks on the compute driver: the instance's volume, server and
access.
"""

from oslo_config import cfg
from oslo_log import log as logging
from taskflow import task

from trove_lite.common import access as access_module
from trove_lite.compute import base as compute_base
from trove_lite.db.repositories import datastores
from trove_lite.db.repositories import instances
from trove_lite.guestagent import info as guest_info_module
from trove_lite.taskmanager.tasks import base

LOG = logging.getLogger(__name__)


class CreateVolume(task.Task):
    """Make the instance's data volume (none without a ``volume_size``)
    and record it on the row.

    Revert deletes it.

    :param driver: the ``ComputeDriver``.
    """

    default_provides = 'volume'

    def __init__(self, driver, **kwargs):
        super().__init__(**kwargs)
        self.driver = driver

    def execute(self, context, instance_id, instance):
        if not instance.volume_size:
            return None
        volume = self.driver.create_volume(
            context, instance, compute_base.VolumeSpec(
                size=instance.volume_size,
                volume_type=cfg.CONF.cinder_volume_type))
        instances.update(context, instance_id, volume_id=volume.id)
        return volume

    def revert(self, context, instance_id, instance, result=None, **kwargs):
        if not isinstance(result, compute_base.Volume):
            return
        try:
            self.driver.delete_volume(context, instance, result.id)
            instances.update(context, instance_id, volume_id=None)
        except Exception:
            # NOTE(revert): see CreateServer.revert.
            LOG.exception('Could not delete volume %s of instance %s',
                          result.id, instance_id)


class EnsureServerGroup(task.Task):
    """The server group of the instance's locality: the one it was
    given (a replica joins its source's) or, for an instance created with
    a locality, one made now and recorded on the row, so that its replicas
    find it and a resumed create reuses it.

    Revert deletes a group this run made.

    :param driver: the ``ComputeDriver``.
    :returns: the group's id, or None for an instance without locality.
    """

    default_provides = 'server_group_id'

    def __init__(self, driver, **kwargs):
        super().__init__(**kwargs)
        self.driver = driver

    def execute(self, context, instance_id, instance):
        if instance.server_group_id or not instance.locality:
            return instance.server_group_id
        group_id = self.driver.create_server_group(
            context, instance.id, instance.locality)
        instances.update(context, instance_id, server_group_id=group_id)
        return group_id

    def revert(self, context, instance_id, instance, result=None, **kwargs):
        # NOTE(revert): only a group this run made (the row it loaded had
        # none); a source's group is its own and its other replicas'.
        if instance.server_group_id or not isinstance(result, str):
            return
        try:
            self.driver.delete_server_group(context, result)
            instances.update(context, instance_id, server_group_id=None)
        except Exception:
            # NOTE(revert): see CreateServer.revert.
            LOG.exception('Could not delete server group %s of instance '
                          '%s', result, instance_id)


class BuildServerSpec(task.Task):
    """Decide what the instance's server is: the ``ServerSpec`` every
    driver gets (what a Nova driver boots).

    The networks are the tenant's (its ``nics``), then the deployment's
    (``[DEFAULT] management_networks``, whose ports get
    ``management_security_groups``); the zone and server group are the
    instance's;
    the image is the datastore version's (its id, or its tags).
    """

    default_provides = 'server_spec'

    def execute(self, instance, flavor, guest_info, image, guest_files,
                volume=None, server_group_id=None):
        port = guest_info.get('port')
        ports = (port,) if port else ()
        return compute_base.ServerSpec(
            name=instance.name or instance.id,
            flavor=flavor,
            image_id=image.get('image_id'),
            image_tags=tuple(image.get('image_tags') or ()),
            networks=tuple(instances.networks_of(instance)),
            management_networks=tuple(cfg.CONF.management_networks),
            security_groups=tuple(cfg.CONF.management_security_groups),
            availability_zone=getattr(instance, 'availability_zone', None),
            server_group_id=(server_group_id or
                             getattr(instance, 'server_group_id', None)),
            service_ports=ports,
            access=compute_base.AccessSpec.of(
                access_module.load(instance.access), ports),
            volume=(compute_base.VolumeSpec(
                size=volume.size, volume_type=cfg.CONF.cinder_volume_type,
                volume_id=volume.id) if volume is not None else None),
            files=dict(guest_files),
            metadata={'trove_instance_id': instance.id,
                      'trove_project_id': instance.tenant_id or ''})


class CreateServer(task.Task):
    """Create the instance's server from the spec; its guest agent starts.

    Revert deletes the server (whatever part of it exists), so a failed
    create leaves nothing behind.

    :param driver: the ``ComputeDriver``.
    """

    default_provides = 'server'

    def __init__(self, driver, **kwargs):
        super().__init__(**kwargs)
        self.driver = driver

    def execute(self, context, instance_id, holder, instance, server_spec):
        if not instances.holds_lock(context, instance_id, holder):
            raise base.LockLost(uuid=instance_id)
        server = self.driver.create_server(context, instance, server_spec)
        # NOTE(locks): a delete that took the instance over while the
        # server was being made may have found nothing to delete; the
        # revert removes what we made.
        if not instances.holds_lock(context, instance_id, holder):
            raise base.LockLost(uuid=instance_id)
        return server

    def revert(self, context, instance, **kwargs):
        try:
            self.driver.delete_server(context, instance)
        except Exception:
            # NOTE(revert): a revert that raises stops the flow's revert
            # before the first task records the failure; log and go on.
            LOG.exception('Could not delete the server of instance %s',
                          instance.id)


class AdoptServer(task.Task):
    """Take over the server of a resumed create, when the driver must (a
    local driver's agents are processes of the taskmanager's host, and
    the one that started them may be gone); a cloud's server runs on
    without us, and its driver has nothing to do.

    :param driver: the ``ComputeDriver``.
    """

    def __init__(self, driver, **kwargs):
        super().__init__(**kwargs)
        self.driver = driver

    def execute(self, context, instance):
        adopt = getattr(self.driver, 'adopt_server', None)
        if adopt is not None:
            adopt(context, instance)


def service_ports(context, instance):
    """The TCP ports the instance's datastore listens on (what its access
    rules cover), as the create told its guest.
    """
    if not instance.datastore_version_id:
        return ()
    version = datastores.get_version_by_id(context,
                                           instance.datastore_version_id)
    port = guest_info_module.DEFAULT_PORTS.get(version.manager)
    return (port,) if port else ()


class ApplyAccess(task.Task):
    """Enforce the requested access on the instance's server (upstream's
    security group rules and floating address).

    Revert applies the access the instance records (the one in force
    before), so a failed change leaves what was.

    :param driver: the ``ComputeDriver``.
    :returns: the server's addresses as they are now.
    """

    default_provides = 'addresses'

    def __init__(self, driver, **kwargs):
        super().__init__(**kwargs)
        self.driver = driver

    def execute(self, context, instance_id, holder, instance, access):
        if not instances.holds_lock(context, instance_id, holder):
            raise base.LockLost(uuid=instance_id)
        return self.driver.apply_access(
            context, instance, compute_base.AccessSpec.of(
                access, service_ports(context, instance)))

    def revert(self, context, instance_id, holder, instance, **kwargs):
        if not instances.holds_lock(context, instance_id, holder):
            # A delete took the instance over: its server is going.
            return
        try:
            self.driver.apply_access(
                context, instance, compute_base.AccessSpec.of(
                    access_module.load(instance.access),
                    service_ports(context, instance)))
        except Exception:
            # NOTE(revert): see CreateServer.revert.
            LOG.exception('Could not apply the previous access of '
                          'instance %s again', instance.id)


class DeleteServer(task.Task):
    """Delete the instance's server, its processes, files and address."""

    def __init__(self, driver, **kwargs):
        super().__init__(**kwargs)
        self.driver = driver

    def execute(self, context, instance):
        self.driver.delete_server(context, instance)


class DeleteServerGroup(task.Task):
    """Delete the instance's server group when it is the last live
    instance in it (a source's group outlives it while replicas remain).
    """

    def __init__(self, driver, **kwargs):
        super().__init__(**kwargs)
        self.driver = driver

    def execute(self, context, instance):
        group_id = getattr(instance, 'server_group_id', None)
        if not group_id:
            return
        if instances.server_group_members(context, group_id,
                                          excluding=instance.id):
            return
        self.driver.delete_server_group(context, group_id)


class DeleteVolume(task.Task):
    """Delete the instance's data volume, if it has one (after its server,
    which had it attached).
    """

    def __init__(self, driver, **kwargs):
        super().__init__(**kwargs)
        self.driver = driver

    def execute(self, context, instance):
        if instance.volume_id:
            self.driver.delete_volume(context, instance, instance.volume_id)
