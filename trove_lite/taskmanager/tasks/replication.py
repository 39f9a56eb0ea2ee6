"""Tasks of the replication workflows: seed a replica, promote, eject,
detach.

The guests carry out what the topology says (their strategy plugins,
``guestagent/strategies/replication``); the topology itself changes only
in ``db/repositories/replication`` with a compare-and-set, as the last
step of each flow. Every task is safe to repeat: a workflow resumed by
another taskmanager runs its flow again from the top.
"""

import time

from oslo_config import cfg
from oslo_log import log as logging
from taskflow import task

from trove_lite.common import backup_storage
from trove_lite.common import exception
from trove_lite.common import replication_reports
from trove_lite.conf import datastores as datastores_conf
from trove_lite.db.repositories import datastores as datastore_repo
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import replication as topology
from trove_lite.guestagent import storage as storage_plugins
from trove_lite.taskmanager.tasks import guest

LOG = logging.getLogger(__name__)

AUTOMATIC = ('Automatic failover: the guest agent of replica source '
             '%(old)s was silent for %(silent)d seconds; replica %(new)s is '
             'the source now.')

# Seconds between two looks at a replica that catches up with its
# source before a promote.
CATCH_UP_POLL = 0.2


def snapshot_id(replica_id):
    """The name a replica's seeding snapshot is stored under."""
    return 'replica-seed-%s' % replica_id


def snapshot_info(context, source, replica_id, auth_token=None):
    """How the source's guest stores the snapshot a new replica is seeded
    from: through the datastore's backup strategy into the backup
    storage, when it has one; None (the replica seeds from the source
    directly) otherwise.
    """
    version = datastore_repo.get_version_by_id(context,
                                               source.datastore_version_id)
    options = datastores_conf.options_for(cfg.CONF, version.manager)
    if options is None or not options.backup_strategy:
        return None
    if auth_token and not getattr(context, 'auth_token', None):
        values = context.to_dict()
        values['auth_token'] = auth_token
        context = type(context).from_dict(values)
    return {'id': snapshot_id(replica_id), 'instance_id': source.id,
            'backup_type': 'full', 'parent': None,
            'storage': backup_storage.describe(context)}


class LoadReplicaInfo(task.Task):
    """What a new replica's ``prepare`` is given: the source's
    ``source_info`` and the snapshot its guest made (None for an
    instance that is not a replica).

    :raises InstanceNotFound: the source was deleted since the create was
        accepted; the build fails with that reason and the source is left
        alone.
    """

    default_provides = 'replica_info'

    def execute(self, context, instance_id, replica_of=None,
                auth_token=None):
        if not replica_of:
            return None
        source = instances.get(context, replica_of)
        info = snapshot_info(context, source, instance_id, auth_token)
        LOG.info('Replica %s: asking source %s for a snapshot (%s)',
                 instance_id, source.id,
                 'through backup storage' if info else 'streamed directly')
        return guest.guest_api(context, source.id).get_replication_snapshot(
            info)

    def revert(self, instance_id, result=None, **kwargs):
        # NOTE(orphans): a build that fails after the snapshot was stored
        # (the replica's seeding or its server failed) leaves no backup
        # object in storage nobody knows of.
        if isinstance(result, dict):
            remove_snapshot(instance_id, result)


def remove_snapshot(instance_id, replica_info):
    """Delete the seeding snapshot of ``replica_info`` from storage, if
    it went through storage. Best effort: a snapshot that cannot be
    removed is logged, never a failed (or a failed revert of a) build.
    """
    backup = ((replica_info or {}).get('snapshot') or {}).get('backup')
    if not backup:
        return
    try:
        storage_plugins.load(backup['storage']).delete(backup['location'])
    except Exception as err:
        LOG.warning('Replica %s: cannot remove its seeding snapshot %s: '
                    '%s', instance_id, backup.get('location'), err)


class RemoveSnapshot(task.Task):
    """Remove the snapshot a replica was seeded from once the build is
    over: the replica is healthy (it served its purpose), or a delete
    took the instance over (it is of no use any more). A flow
    interrupted by a stopping taskmanager keeps it: the flow resumes and
    comes here again.
    """

    def execute(self, instance_id, replica_info=None, readiness='ready'):
        if readiness in (guest.READY, guest.LOST):
            remove_snapshot(instance_id, replica_info)


def replication_state(context, instance_id):
    """The guest's own word on its replication, or None when it does not
    answer.
    """
    try:
        return replication_reports.clean(
            guest.guest_api(context, instance_id).get_replication_state())
    except Exception as err:
        LOG.info('Instance %s does not tell its replication state: %s',
                 instance_id, err)
        return None


class LoadGroup(task.Task):
    """The members of the group this change locked, the source it
    started from, and the replica it promotes (for a promote).
    """

    default_provides = ('members', 'old_source_id')

    def execute(self, context, holder, arguments):
        members = [row.id for row in topology.held_by(context, holder)]
        if not members:
            raise exception.TopologyChanged(
                uuid=arguments.get('source_id'),
                reason='none of its instances is held by this change')
        return members, arguments['source_id']


class FenceSource(task.Task):
    """Promote: the source refuses writes first, so that there are never
    two writable sources and the replica can catch up with everything.
    """

    def execute(self, context, old_source_id):
        guest.guest_api(context, old_source_id).fence_replica_source()

    def revert(self, context, old_source_id, **kwargs):
        # NOTE(promote): a promote that failed leaves the source as it
        # was: a writable source of its group.
        try:
            guest.guest_api(context, old_source_id).get_replication_snapshot(
                None, timeout=cfg.CONF.agent_call_high_timeout)
        except Exception as err:
            LOG.warning('Source %s stays fenced (read-only) after a failed '
                        'promote: %s', old_source_id, err)


class WaitForCatchUp(task.Task):
    """Promote: wait until the replica has everything the fenced source
    has: it streams from it now, and its position is at least the
    source's. (A position alone can mislead: a Redis source restarted
    counts its offsets from 0 again, while a replica that has not
    resynchronised yet still shows its old, larger one.)

    :raises GuestTimeout: it does not within ``[DEFAULT]
        replication_change_timeout``.
    """

    def execute(self, context, instance_id, old_source_id, stop_event=None):
        deadline = time.monotonic() + cfg.CONF.replication_change_timeout
        while True:
            source = replication_state(context, old_source_id)
            replica = replication_state(context, instance_id)
            # NOTE(resume): a promote resumed after its Promote step
            # finds the replica a source already; it streams no more.
            streams = replica is not None and (
                replica.get('running') or replica.get('role') == 'source')
            if source is not None and streams and \
                    replication_reports.position_key(replica) >= \
                    replication_reports.position_key(source):
                return
            if time.monotonic() > deadline or (
                    stop_event is not None and stop_event.is_set()):
                raise exception.GuestTimeout(
                    'Replica %s did not catch up with its source %s.'
                    % (instance_id, old_source_id))
            time.sleep(CATCH_UP_POLL)


class PickMostAdvanced(task.Task):
    """Eject: the replica whose data goes furthest (the greatest
    position among those whose guests answer) becomes the source.

    :raises ReplicationError: no replica answers.
    """

    default_provides = 'new_source_id'

    def execute(self, context, members, old_source_id):
        answered = []
        for member in members:
            if member == old_source_id:
                continue
            state = replication_state(context, member)
            if state is not None:
                answered.append((replication_reports.position_key(state),
                                 member))
        if not answered:
            raise exception.TopologyChanged(
                uuid=old_source_id, reason='no replica answers')
        answered.sort()
        LOG.info('Ejecting %s: replica %s goes furthest (%s)',
                 old_source_id, answered[-1][1], answered[-1][0])
        return answered[-1][1]


class Promote(task.Task):
    """The new source stops following and becomes writable."""

    default_provides = 'source_info'

    def execute(self, context, new_source_id):
        return guest.guest_api(context,
                               new_source_id).promote_to_replica_source()


class RepointMembers(task.Task):
    """Every other member follows the new source.

    :param require_all: a promote needs every member, the old source
        first among them (it must become a replica: two writable sources
        are never left behind). An eject leaves the lost source out (it
        is fenced when it speaks again; a call to it would only wait for
        its timeout) and goes on without the replicas that do not answer.
    """

    def __init__(self, require_all, **kwargs):
        super().__init__(**kwargs)
        self.require_all = require_all

    def execute(self, context, members, new_source_id, source_info,
                old_source_id):
        for member in members:
            if member == new_source_id or (
                    member == old_source_id and not self.require_all):
                continue
            try:
                guest.guest_api(context, member).attach_replica(source_info)
            except Exception as err:
                if self.require_all:
                    raise
                LOG.warning('Instance %s does not follow the new source %s '
                            'yet (%s); it is fenced when it answers again',
                            member, new_source_id, err)


class CommitNewSource(task.Task):
    """The topology's compare-and-set: the new source, every member
    following it, each member's task ended.
    """

    def __init__(self, done_event, **kwargs):
        super().__init__(name='Commit_%s' % done_event, **kwargs)
        self.done_event = done_event

    def execute(self, context, holder, members, new_source_id,
                old_source_id, notice=None, arguments=None):
        topology.commit_new_source(context, new_source_id, old_source_id,
                                   members, holder, self.done_event)
        LOG.info('Instance %s is the replica source of its group (was %s)',
                 new_source_id, old_source_id)
        if (arguments or {}).get('automatic'):
            # NOTE(failover): what the tenant did not ask for is written
            # down where the tenant looks (the instances' faults).
            message = AUTOMATIC % {
                'old': old_source_id, 'new': new_source_id,
                'silent': arguments.get('silent_seconds', 0)}
            for instance_id in (old_source_id, new_source_id):
                instances.add_fault(context, instance_id, message,
                                    'Ejected by the conductor.')
        if notice is not None:
            notice.end(new_source_id=new_source_id)


class MarkGroupFailedOnRevert(task.Task):
    """First task of a group change: on revert, every member it still
    holds ends in the error task with the fault.
    """

    def __init__(self, failed_event, message, **kwargs):
        super().__init__(**kwargs)
        self.failed_event = failed_event
        self.message = message

    def execute(self):
        pass

    def revert(self, context, holder, flow_failures=None, notice=None,
               **kwargs):
        failure = next(iter((flow_failures or {}).values()), None)
        details = failure.pformat(traceback=True) if failure else ''
        message = self.message
        if failure is not None:
            message = '%s: %s' % (self.message.rstrip('.'),
                                  failure.exception)
        if notice is not None:
            notice.error(message, failure.exception if failure else None)
        members = [row.id for row in topology.held_by(context, holder)]
        topology.fail_members(context, members, self.failed_event, holder,
                              message[:255], details)
        LOG.error('%s failed for %s: %s', self.failed_event, members,
                  details)


class DetachReplica(task.Task):
    """The replica stops following and becomes writable on its own."""

    def execute(self, context, instance_id):
        guest.guest_api(context, instance_id).detach_replica()


class LoadSourceId(task.Task):
    """Whom the instance follows, as the topology says (None: nobody)."""

    default_provides = 'source_id'

    def execute(self, context, instance_id):
        return instances.get(context, instance_id).slave_of_id


class ForgetReplica(task.Task):
    """The source forgets the replica (what it kept for it: a
    PostgreSQL slot holding WAL). Best effort: a source that does not
    answer is left as it is, and the replica is gone from the topology
    either way.
    """

    def execute(self, context, instance_id, source_id):
        if not source_id:
            return
        try:
            guest.guest_api(context, source_id).remove_replica(instance_id)
        except Exception as err:
            LOG.warning('Source %s did not forget replica %s: %s', source_id,
                        instance_id, err)


class CommitDetach(task.Task):
    """The topology forgets the replica's source; DETACHING ends."""

    def execute(self, context, instance_id, holder, notice=None):
        done = topology.commit_detach(context, instance_id, holder,
                                      'detach_done')
        if notice is not None:
            if done:
                notice.end()
            else:
                notice.error('The instance was taken over by another '
                             'request.')
        return done
