"""Upgrade the datastore version of an instance (the API set UPGRADING,
took the lock and recorded the new version with the workflow).

::

    UndoUpgradeOnRevert          revert: the old version runs again, the
                                 row names it, NONE + a fault note
                                 (upgrade_reverted); when even that fails,
                                 UPGRADING_ERROR + fault (upgrade_failed)
    LoadVersions                 the versions from and to (their binaries'
                                 directories, ``server_path_of``)
    UpgradeDatastore             guest call: stop the server, switch to the
                                 new version's binaries, start it on the
                                 same data, run the datastore's own upgrade
                                 step; returns when it answers
    SaveVersion                  the row names the new version
    WaitForHealthy               until the guest's healthy report is stored
    FinishTask(upgrade_done)     UPGRADING -> NONE, lock released

The data is never copied: the new server runs on the instance's volume,
so a datastore whose newer server reads the older one's files (Redis,
MariaDB with ``mariadb-upgrade``, PostgreSQL within a major version) is
upgraded in place. Every step is safe to repeat, so a resumed upgrade
runs from the top.
"""

from oslo_log import log as logging
from taskflow import task

from trove_lite.common import states
from trove_lite.db.repositories import datastores
from trove_lite.db.repositories import instances
from trove_lite.taskmanager.flows import common
from trove_lite.taskmanager.tasks import guest
from trove_lite.taskmanager.tasks import instances as instance_tasks

LOG = logging.getLogger(__name__)

REVERTED = 'The upgrade to datastore version %s failed and was undone: ' \
    'the instance runs version %s again.'
FAILED = 'The upgrade to datastore version %s failed, and version %s ' \
    'could not be started again; restart the instance, or delete it.'


def _running(version):
    """What a guest is told of ``version``: its number and binaries."""
    return {'id': version.id, 'name': version.name,
            'number': version.version or version.name,
            'server_path': datastores.server_path_of(version)}


class UndoUpgradeOnRevert(task.Task):
    """First task: on revert, run the old version again and record it.

    Does nothing when this flow no longer holds the instance (a delete
    took it over, or the reconciler expired it).
    """

    def execute(self):
        pass

    def revert(self, context, instance_id, holder, arguments,
               flow_failures=None, notice=None, **kwargs):
        failure = next(iter((flow_failures or {}).values()), None)
        details = failure.pformat(traceback=True) if failure else ''
        if not instances.holds_lock(context, instance_id, holder):
            LOG.info('Instance %s was taken over; not undoing its upgrade',
                     instance_id)
            return
        old = _running(datastores.get_version_by_id(
            context, arguments['old_version_id']))
        new_name = arguments.get('version_name')
        try:
            guest.guest_api(context, instance_id).upgrade(
                old['number'], old['server_path'])
            instances.update(context, instance_id,
                             datastore_version_id=old['id'])
        except Exception as err:
            LOG.exception('Instance %s: the old version %s could not be '
                          'started again', instance_id, old['name'])
            message = FAILED % (new_name, old['name'])
            event = 'upgrade_failed'
            details = '%s\nUndo: %s' % (details, err)
        else:
            message = REVERTED % (new_name, old['name'])
            event = 'upgrade_reverted'
        if notice is not None:
            notice.error(message, failure.exception if failure else None)
        if instances.finish(context, instance_id, event, holder):
            # NOTE(upgrade): a reverted upgrade leaves a fault note on a
            # running instance, as a failover does.
            instances.add_fault(context, instance_id, message, details)
            LOG.warning('Instance %s: %s', instance_id, message)


class LoadVersions(task.Task):
    """The versions the upgrade goes from and to."""

    default_provides = ('new_version', 'old_version')

    def execute(self, context, arguments):
        return (_running(datastores.get_version_by_id(
                    context, arguments['version_id'])),
                _running(datastores.get_version_by_id(
                    context, arguments['old_version_id'])))


class UpgradeDatastore(task.Task):
    """Ask the guest to run the new version on the same data (a call
    that returns once the server answers).
    """

    def execute(self, context, instance_id, new_version):
        LOG.info('Instance %s: upgrading its datastore to version %s',
                 instance_id, new_version['name'])
        guest.guest_api(context, instance_id).upgrade(
            new_version['number'], new_version['server_path'])


class SaveVersion(task.Task):
    """The instance row names the new version."""

    def execute(self, context, instance_id, new_version):
        instances.update(context, instance_id,
                         datastore_version_id=new_version['id'])


def get_flow():
    flow = common.linear_flow('upgrade-instance')
    flow.add(UndoUpgradeOnRevert(),
             LoadVersions(),
             UpgradeDatastore(),
             SaveVersion(),
             guest.WaitForHealthy(),
             instance_tasks.FinishTask('upgrade_done'))
    return flow


def run_job(job, stop_event=None):
    """Upgrade the instance of a recorded workflow (first run or resumed:
    every step is safe to repeat, so a resumed upgrade runs from the top).

    :param job: the ``workflows.Job``; its arguments name the versions
        (``version_id``, ``version_name``, ``old_version_id``).
    :returns: True when it completed; False when it failed (and was
        undone) or did not run.
    """
    return common.run_held_job(
        job, states.UPGRADING, 'Upgrade', get_flow(),
        store={'arguments': job.arguments, 'stop_event': stop_event})
