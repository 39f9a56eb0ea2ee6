"""Tasks on the instance row: the lock holder's task changes and faults.

They also finish the operation notification the API handed off (the
``notice`` in the flow's store, a ``notifications.Operation``): the first
task's revert sends ``error``, the last task ``end``, and create and
delete send the ``trove.instance.*`` usage events.
"""

from oslo_log import log as logging
from taskflow import task

from trove_lite.common import access as access_module
from trove_lite.common import exception
from trove_lite.common import notifications
from trove_lite.common import states
from trove_lite.db import models
from trove_lite.db.repositories import datastores
from trove_lite.db.repositories import flavors
from trove_lite.db.repositories import instances
from trove_lite.guestagent import info as guest_info_module

LOG = logging.getLogger(__name__)

# Names of the create flow's tasks whose failure is the server's fault.
SERVER_TASKS = frozenset(['ResetPartialBuild', 'AdoptServer', 'LoadBuildInfo', 'MakeInstanceKey',
                          'CreateGuestIdentity', 'RenderGuestFiles',
                          'CreateVolume', 'BuildServerSpec', 'CreateServer',
                          'SaveServer'])

TAKEN_OVER = 'Another operation took the instance over.'
# The readiness of a wait that stopped because the taskmanager stops
# (tasks.guest.INTERRUPTED).
INTERRUPTED = 'interrupted'


def send_usage(context, action, instance, **extra):
    """Send ``trove.instance.<action>`` about ``instance`` (a row).

    Reads the flavor and datastore version only when notifications are
    on; never raises, since a flow must not fail (and revert) over a
    notification.
    """
    if not notifications.enabled():
        return
    try:
        try:
            flavor = flavors.get_flavor(context, instance.flavor_id)
        except exception.FlavorNotFound:
            flavor = None
        version = (datastores.get_version_by_id(
            context, instance.datastore_version_id)
            if instance.datastore_version_id else None)
        notifications.send_usage(
            context, notifications.TASKMANAGER, action,
            notifications.usage_payload(instance, flavor, version, **extra))
    except Exception:
        LOG.exception('Could not send the %s usage of instance %s', action,
                      instance.id)


class MarkFailedOnRevert(task.Task):
    """First task of a flow: on revert, end the task in ``failed_event``
    with a fault.

    Does nothing when this flow no longer holds the instance (a delete
    took it over, or the reconciler expired it): the new owner decides.

    :param failed_event: the state-machine event of the failure.
    :param message: the fault's message for the instance's owner, unless
        the error carries a ``tenant_message`` of its own.
    """

    def __init__(self, failed_event, message, **kwargs):
        super().__init__(**kwargs)
        self.failed_event = failed_event
        self.message = message

    def execute(self):
        pass

    def event_for(self, failed_task):
        return self.failed_event

    def message_for(self, failed_task):
        return self.message

    def outcome(self, flow_failures):
        """``(failed task's name, failure, message, details)`` of the
        failure that reverts the flow.
        """
        failed_task, failure = next(iter((flow_failures or {}).items()),
                                    (None, None))
        # Task names default to the class's dotted path.
        failed_task = failed_task and failed_task.rsplit('.', 1)[-1]
        message = self.message_for(failed_task)
        details = 'Task %s failed.' % failed_task
        if failure is not None:
            message = getattr(failure.exception, 'tenant_message',
                              None) or message
            details = 'Task %s failed: %s' % (
                failed_task, failure.pformat(traceback=True))
        return failed_task, failure, message, details

    def revert(self, context, instance_id, holder, flow_failures=None,
               notice=None, **kwargs):
        failed_task, failure, message, details = self.outcome(
            flow_failures)
        event = self.event_for(failed_task)
        if notice is not None:
            notice.error(message, failure.exception if failure else None)
        if instances.finish(context, instance_id, event, holder):
            instances.add_fault(context, instance_id, message, details)
            LOG.error('Instance %s: %s (%s)', instance_id, event, details)
        else:
            LOG.info('Instance %s was taken over; not marking it %s',
                     instance_id, event)


class MarkBuildFailedOnRevert(MarkFailedOnRevert):
    """First task of the create flow: BUILD -> ERROR on revert.

    A failure of the server's tasks is ``build_failed_server``; anything
    later (the guest) is ``build_failed_guest``.
    """

    def __init__(self, **kwargs):
        super().__init__(
            'build_failed_guest',
            'The database could not be set up on the instance; delete it '
            'and create it again.', **kwargs)

    def event_for(self, failed_task):
        if failed_task in SERVER_TASKS:
            return 'build_failed_server'
        return 'build_failed_guest'

    def message_for(self, failed_task):
        if failed_task in SERVER_TASKS:
            return ('The server of the instance could not be created; '
                    'delete the instance and create it again.')
        return self.message


class LoadBuildInfo(task.Task):
    """Read what the build needs: the row, its flavor (from the compute
    driver, which owns flavors), its datastore and the image for it.

    :param driver: the ``ComputeDriver``.
    :returns: ``instance``, ``flavor`` (a ``compute.base.Flavor``),
        ``guest_info`` (what the guest is told: tenant, datastore, port)
        and ``image`` (``{'image_id', 'image_tags'}``).
    """

    default_provides = ('instance', 'flavor', 'guest_info', 'image')

    def __init__(self, driver, **kwargs):
        super().__init__(**kwargs)
        self.driver = driver

    def execute(self, context, instance_id):
        instance = instances.get(context, instance_id)
        flavor = self.driver.get_flavor(context, instance.flavor_id)
        guest_info = {'tenant_id': instance.tenant_id}
        image = {'image_id': None, 'image_tags': []}
        if instance.datastore_version_id:
            version = datastores.get_version_by_id(
                context, instance.datastore_version_id)
            guest_info['datastore_manager'] = version.manager
            guest_info['datastore_version'] = version.version or version.name
            port = guest_info_module.DEFAULT_PORTS.get(version.manager)
            if port:
                guest_info['port'] = port
            server_path = datastores.server_path_of(version)
            if server_path:
                guest_info['server_path'] = server_path
            image = {'image_id': version.image_id or None,
                     'image_tags': [tag.strip() for tag in
                                    (version.image_tags or '').split(',')
                                    if tag.strip()]}
        return instance, flavor, guest_info, image


class ResetPartialBuild(task.Task):
    """Remove what a create that died before saving its server may have
    left half made: the server (whatever part of it exists), the volume,
    the broker identity; the row forgets them. A resumed create then
    builds from the top.

    :param driver: the ``ComputeDriver``.
    :param broker: the ``BrokerDriver``.
    """

    def __init__(self, driver, broker, **kwargs):
        super().__init__(**kwargs)
        self.driver = driver
        self.broker = broker

    def execute(self, context, instance_id):
        instance = instances.get(context, instance_id)
        LOG.info('Instance %s: removing what the interrupted create left '
                 'before building again', instance_id)
        self.driver.delete_server(context, instance)
        if instance.volume_id:
            self.driver.delete_volume(context, instance, instance.volume_id)
        self.broker.delete_identity(context, instance_id)
        instances.update(context, instance_id, compute_instance_id=None,
                         volume_id=None, addresses=[],
                         server_status=states.SERVER_BUILD)


class SaveServer(task.Task):
    """Record the server on the instance row."""

    def execute(self, context, instance_id, server):
        instances.update(context, instance_id,
                         compute_instance_id=server.id,
                         addresses=server.addresses,
                         server_status=server.status)

    def revert(self, context, instance_id, **kwargs):
        # The server is deleted by CreateServer's revert, next.
        instances.update(context, instance_id, compute_instance_id=None,
                         addresses=[], server_status=states.SERVER_DELETED)


class FinishTask(task.Task):
    """Apply ``event`` (e.g. ``restart_done``) and release the lock, once
    the wait before it (``readiness``, when the flow has one) is READY.

    A flow that lost the instance while waiting (LOST: a delete or an
    administrator took it over) or was interrupted stops here without
    marking anything: the new owner, or the task's deadline, decides.

    :returns: whether it applied (False: the instance was taken over).
    """

    def __init__(self, event, **kwargs):
        super().__init__(name='Finish_%s' % event, **kwargs)
        self.event = event

    def execute(self, context, instance_id, holder, readiness='ready',
                notice=None):
        if readiness != 'ready':
            LOG.info('Instance %s: %s stopped: %s', instance_id,
                     self.event, readiness)
            # NOTE(workflows): an interrupted flow is resumed by the next
            # taskmanager, which ends the notification.
            if notice is not None and readiness != INTERRUPTED:
                notice.error(TAKEN_OVER if readiness == 'lost'
                             else 'The operation stopped: %s.' % readiness)
            return False
        done = instances.finish(context, instance_id, self.event, holder)
        if done:
            LOG.info('Instance %s: %s', instance_id, self.event)
        else:
            LOG.info('Instance %s was taken over before %s', instance_id,
                     self.event)
        end_notice(notice, done)
        return done


def end_notice(notice, done):
    """End an operation's notification as its last task went: done, or
    taken over by someone else (a delete) before it could finish.
    """
    if notice is None:
        return
    if done:
        notice.end()
    else:
        notice.error(TAKEN_OVER)


class FinishBuild(FinishTask):
    """``build_done`` once the guest is ready; nothing if the flow lost the
    instance while waiting.
    """

    def __init__(self, **kwargs):
        super().__init__('build_done', **kwargs)

    def execute(self, context, instance_id, holder, readiness,
                notice=None):
        if readiness != 'ready':
            LOG.info('Create of instance %s stopped: %s', instance_id,
                     readiness)
            if notice is not None and readiness != INTERRUPTED:
                notice.error('The create stopped: %s.' % readiness)
            return False
        done = super().execute(context, instance_id, holder, readiness,
                               notice)
        if done:
            # NOTE(usage): build_done happens once per instance: the
            # first time it is ACTIVE.
            send_usage(context, notifications.USAGE_CREATE,
                       instances.get(context, instance_id), state='active')
        return done


class FinishAccess(task.Task):
    """End a change of access: the row records the access now enforced
    (as the request gave it, which the view shows) and the server's
    addresses, and the task ends; nothing once the instance was taken
    over.

    :returns: whether it applied.
    """

    def execute(self, context, instance_id, holder, access, addresses,
                notice=None):
        done = instances.finish_access(context, instance_id, holder,
                                       access_module.dump(access),
                                       addresses)
        if done:
            LOG.info('Instance %s: access changed to %s', instance_id,
                     access)
        else:
            LOG.info('Instance %s was taken over before its access was '
                     'recorded', instance_id)
        end_notice(notice, done)
        return done


class SetServiceStatus(task.Task):
    """Set the service status (e.g. RESTARTING while a restart runs)."""

    def __init__(self, status, **kwargs):
        super().__init__(name='SetServiceStatus_%s' % status.name, **kwargs)
        self.status = status

    def execute(self, context, instance_id):
        instances.set_service_status(context, instance_id, self.status)


class MarkDeleted(task.Task):
    """Soft-delete the instance row: the last step of a delete.

    :param instance: the row as it was before the delete (for the usage
        event), when the flow loaded it.
    """

    def execute(self, context, instance_id, instance=None, notice=None):
        instances.mark_deleted(context, instance_id)
        LOG.info('Instance %s deleted', instance_id)
        if notice is not None:
            notice.end()
        if instance is not None:
            send_usage(context, notifications.USAGE_DELETE, instance,
                       state='deleted',
                       deleted_at=notifications.isotime(models.utcnow()))


class LoadInstance(task.Task):
    """Read the instance row."""

    default_provides = 'instance'

    def execute(self, context, instance_id):
        return instances.get(context, instance_id)
