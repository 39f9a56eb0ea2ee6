"""Tasks on the instance row: the lock holder's task changes and faults."""

from oslo_log import log as logging
from taskflow import task

from trove_lite.common import states
from trove_lite.db.repositories import datastores
from trove_lite.db.repositories import flavors
from trove_lite.db.repositories import instances
from trove_lite.guestagent import info as guest_info_module

LOG = logging.getLogger(__name__)

# Names of the create flow's tasks whose failure is the server's fault.
SERVER_TASKS = frozenset(['LoadBuildInfo', 'CreateServer', 'SaveServer'])


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

    def revert(self, context, instance_id, holder, flow_failures=None,
               **kwargs):
        failed_task, failure = next(iter((flow_failures or {}).items()),
                                    (None, None))
        # Task names default to the class's dotted path.
        failed_task = failed_task and failed_task.rsplit('.', 1)[-1]
        event = self.event_for(failed_task)
        message = self.message_for(failed_task)
        details = 'Task %s failed.' % failed_task
        if failure is not None:
            message = getattr(failure.exception, 'tenant_message',
                              None) or message
            details = 'Task %s failed: %s' % (
                failed_task, failure.pformat(traceback=True))
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
    """Read what the build needs: the row, its flavor, its datastore."""

    default_provides = ('instance', 'flavor', 'guest_info')

    def execute(self, context, instance_id):
        instance = instances.get(context, instance_id)
        flavor = flavors.get_flavor(context, instance.flavor_id)
        guest_info = {'tenant_id': instance.tenant_id}
        if instance.datastore_version_id:
            version = datastores.get_version_by_id(
                context, instance.datastore_version_id)
            guest_info['datastore_manager'] = version.manager
            guest_info['datastore_version'] = version.version or version.name
            port = guest_info_module.DEFAULT_PORTS.get(version.manager)
            if port:
                guest_info['port'] = port
        return instance, flavor, guest_info


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
    """Apply ``event`` (e.g. ``restart_done``) and release the lock.

    :returns: whether it applied (False: the instance was taken over).
    """

    def __init__(self, event, **kwargs):
        super().__init__(name='Finish_%s' % event, **kwargs)
        self.event = event

    def execute(self, context, instance_id, holder):
        done = instances.finish(context, instance_id, self.event, holder)
        if done:
            LOG.info('Instance %s: %s', instance_id, self.event)
        else:
            LOG.info('Instance %s was taken over before %s', instance_id,
                     self.event)
        return done


class FinishBuild(FinishTask):
    """``build_done`` once the guest is ready; nothing if the flow lost the
    instance while waiting.
    """

    def __init__(self, **kwargs):
        super().__init__('build_done', **kwargs)

    def execute(self, context, instance_id, holder, readiness):
        if readiness != 'ready':
            LOG.info('Create of instance %s stopped: %s', instance_id,
                     readiness)
            return False
        return super().execute(context, instance_id, holder)


class SetServiceStatus(task.Task):
    """Set the service status (e.g. RESTARTING while a restart runs)."""

    def __init__(self, status, **kwargs):
        super().__init__(name='SetServiceStatus_%s' % status.name, **kwargs)
        self.status = status

    def execute(self, context, instance_id):
        instances.set_service_status(context, instance_id, self.status)


class MarkDeleted(task.Task):
    """Soft-delete the instance row: the last step of a delete."""

    def execute(self, context, instance_id):
        instances.mark_deleted(context, instance_id)
        LOG.info('Instance %s deleted', instance_id)


class LoadInstance(task.Task):
    """Read the instance row."""

    default_provides = 'instance'

    def execute(self, context, instance_id):
        return instances.get(context, instance_id)
