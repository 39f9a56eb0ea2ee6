"""Tasks of a resize: the volume grown, or the flavor changed, and put
back when the resize fails.

What a revert could not put back is named in the flow's ``unreverted``
list (a list in the store, shared by every task of the flow), so that the
first task knows whether the instance is as it was (``resize_reverted``:
ACTIVE, with a fault note) or not (``resize_failed``: ERROR).
"""

from oslo_log import log as logging
from taskflow import task

from trove_lite.common import notifications
from trove_lite.db import models
from trove_lite.db.repositories import instances
from trove_lite.taskmanager.tasks import guest
from trove_lite.taskmanager.tasks import instances as instance_tasks

LOG = logging.getLogger(__name__)

# Usage events (``trove.instance.<action>``), upstream's names.
USAGE_MODIFY_VOLUME = 'modify_volume'
USAGE_MODIFY_FLAVOR = 'modify_flavor'


class PutBackOnRevert(instance_tasks.MarkFailedOnRevert):
    """First task of a resize: on revert, the instance is back in NONE
    with a fault note that says why the resize did not happen
    (``resize_reverted``), or in RESIZING_ERROR with a fault when a
    revert could not put something back (``resize_failed``).

    :param message: the note's message ("the resize was undone").
    :param failed_message: the fault's message when it was not.
    """

    def __init__(self, message, failed_message, **kwargs):
        super().__init__('resize_failed', failed_message, **kwargs)
        self.note = message

    def revert(self, context, instance_id, holder, unreverted=(),
               flow_failures=None, notice=None, **kwargs):
        if unreverted:
            LOG.error('Instance %s: the failed resize could not put back '
                      '%s', instance_id, ', '.join(unreverted))
            return super().revert(context, instance_id, holder,
                                  flow_failures=flow_failures,
                                  notice=notice, **kwargs)
        _, failure, reason, details = self.outcome(flow_failures)
        message = '%s %s' % (self.note, reason) if reason != self.message \
            else self.note
        if notice is not None:
            notice.error(message, failure.exception if failure else None)
        if instances.finish(context, instance_id, 'resize_reverted', holder,
                            note=(message, details)):
            LOG.warning('Instance %s: the resize was undone (%s)',
                        instance_id, details)
        else:
            LOG.info('Instance %s was taken over; not marking its resize '
                     'undone', instance_id)


class LoadFlavors(task.Task):
    """The instance's flavor and the one it is resized to, from the
    compute driver (which owns flavors).

    :param driver: the ``ComputeDriver``.
    """

    default_provides = ('old_flavor', 'new_flavor')

    def __init__(self, driver, **kwargs):
        super().__init__(**kwargs)
        self.driver = driver

    def execute(self, context, arguments):
        return (self.driver.get_flavor(context, arguments['old_flavor_id']),
                self.driver.get_flavor(context, arguments['new_flavor_id']))


class ResizeServer(task.Task):
    """Give the server the new flavor's resources; revert gives it the
    old flavor's.

    :param driver: the ``ComputeDriver``.
    """

    def __init__(self, driver, **kwargs):
        super().__init__(**kwargs)
        self.driver = driver

    def execute(self, context, instance, new_flavor):
        self.driver.resize_server(context, instance, new_flavor)

    def revert(self, context, instance, old_flavor, unreverted, **kwargs):
        try:
            self.driver.resize_server(context, instance, old_flavor)
        except Exception:
            LOG.exception('Instance %s: could not give the server flavor %s '
                          'back', instance.id, old_flavor.id)
            unreverted.append('the server\'s flavor')


class RetuneDatastore(task.Task):
    """Guest: the datastore's configuration follows the new flavor's
    memory, and the server restarts on it; revert (of this task too,
    when it failed half-way) does the same with the old flavor's.
    """

    def execute(self, context, instance_id, new_flavor):
        guest.guest_api(context, instance_id).resize_flavor(new_flavor.ram)

    def revert(self, context, instance_id, old_flavor, unreverted,
               **kwargs):
        try:
            guest.guest_api(context, instance_id).resize_flavor(
                old_flavor.ram)
        except Exception:
            LOG.exception('Instance %s: could not start the datastore '
                          'again with the settings of flavor %s',
                          instance_id, old_flavor.id)
            unreverted.append('the datastore\'s settings')


class SaveFlavor(task.Task):
    """Record the new flavor on the row; revert records the old one."""

    def execute(self, context, instance_id, new_flavor):
        instances.update(context, instance_id, flavor_id=new_flavor.id)

    def revert(self, context, instance_id, old_flavor, **kwargs):
        instances.update(context, instance_id, flavor_id=old_flavor.id)


class ExtendVolume(task.Task):
    """Grow the instance's volume (the device) to the new size.

    A volume does not shrink: revert leaves it grown, and the row keeps
    the old size (a grown device under a filesystem of the old size is
    harmless, and a repeated resize grows it again to whatever it asks).

    :param driver: the ``ComputeDriver``.
    """

    def __init__(self, driver, **kwargs):
        super().__init__(**kwargs)
        self.driver = driver

    def execute(self, context, instance, arguments):
        self.driver.extend_volume(context, instance,
                                  instance.volume_id or instance.id,
                                  arguments['new_size'])


class GrowFilesystem(task.Task):
    """Guest: the volume's filesystem spans the grown device (the
    datastore is stopped meanwhile when it cannot grow mounted).

    Revert makes sure the datastore runs again (a restart: the guest
    starts it on whatever filesystem is there).
    """

    def execute(self, context, instance_id, arguments):
        guest.guest_api(context, instance_id).resize_fs(
            arguments['new_size'])

    def revert(self, context, instance_id, unreverted, **kwargs):
        try:
            guest.guest_api(context, instance_id).restart()
        except Exception:
            LOG.exception('Instance %s: could not start the datastore '
                          'again after a failed volume resize', instance_id)
            unreverted.append('the datastore')


class SaveVolumeSize(task.Task):
    """Record the new volume size; revert records the old one."""

    def execute(self, context, instance_id, arguments):
        instances.update(context, instance_id,
                         volume_size=arguments['new_size'])

    def revert(self, context, instance_id, arguments, **kwargs):
        instances.update(context, instance_id,
                         volume_size=arguments['old_size'])


class FinishResize(instance_tasks.FinishTask):
    """``resize_done`` once the guest is healthy again, then upstream's
    usage event (``trove.instance.modify_volume`` or ``modify_flavor``).

    :param action: the usage event's action.
    """

    def __init__(self, action, **kwargs):
        super().__init__('resize_done', **kwargs)
        self.action = action

    def execute(self, context, instance_id, holder, readiness='ready',
                notice=None, arguments=None, old_flavor=None,
                new_flavor=None):
        done = super().execute(context, instance_id, holder, readiness,
                               notice)
        if done:
            extra = {'modify_at': notifications.isotime(models.utcnow())}
            if self.action == USAGE_MODIFY_VOLUME:
                extra['old_volume_size'] = arguments['old_size']
            elif old_flavor is not None:
                extra['old_instance_size'] = old_flavor.ram
            instance_tasks.send_usage(context, self.action,
                                      instances.get(context, instance_id),
                                      **extra)
        return done
