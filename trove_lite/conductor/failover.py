"""Automatic failover: a lost replication source is replaced by itself.

Upstream Trove only has the manual verbs (promote, eject). Here a source
whose owner asked for failover (the instance's ``failover`` attribute, or
``[replication] failover_default``), whose guest agent has been silent
for ``[replication] failover_deadline`` seconds and does not answer a
ping either (a busy host delays heartbeats; a failover is for a source
that is gone), is ejected by the
conductor as a tenant's ``eject_replica_source`` would be: every member
of its group is locked for the change in one transaction, and the
recorded ``eject`` workflow promotes the most advanced replica and
re-points the others (``taskmanager/flows/replication.py``). The old
source is fenced when its agent speaks again (``fence_returning_source``):
it follows the new source, never writes as a second one.

Two conductors may look at the same moment: the group's lock is a
test-and-set, so one of them starts the change and the other finds the
group busy and leaves it.
"""

import threading

from oslo_config import cfg
from oslo_log import log as logging

from trove_lite.common import context as trove_context
from trove_lite.common import exception
from trove_lite.common import notifications
from trove_lite.common import service
from trove_lite.common import states
from trove_lite.db import api as db_api
from trove_lite.db import models
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import replication as topology
from trove_lite.db.repositories import resource_locks
from trove_lite.db.repositories import workflows as workflow_repo
from trove_lite.db import resource_kinds
from trove_lite.guestagent import rpcapi as guest_rpcapi
from trove_lite.taskmanager import rpcapi as taskmanager_rpcapi

LOG = logging.getLogger(__name__)

CONDUCTOR_ROLE = 'failover'


def wants_failover(row):
    """Whether ``row`` (a source) fails over automatically."""
    if row.failover is not None:
        return bool(row.failover)
    return cfg.CONF.replication.failover_default


def _fresh(heartbeat, now, deadline):
    return heartbeat is not None and (
        now - heartbeat.updated_at).total_seconds() < deadline


def _healthy_replica(context, replica, now, deadline):
    if states.task(replica.task_id) is not states.NONE or \
            replica.lock_holder:
        return False
    status, _ = instances.get_service_status(context, replica.id)
    heartbeat = instances.get_heartbeat(context, replica.id)
    LOG.debug('Replica %s: %s, heartbeat %s', replica.id, status,
              heartbeat and heartbeat.updated_at)
    return status is states.SVC_HEALTHY and _fresh(heartbeat, now, deadline)


@db_api.reader
def lost_sources(context, now=None):
    """``[(source row, silent seconds, member ids)]``: idle sources that
    want failover, whose agent has been silent past the deadline, with a
    healthy replica to take over.
    """
    now = now or models.utcnow()
    deadline = cfg.CONF.replication.failover_deadline
    sources = context.session.query(models.Instance).filter(
        models.Instance.deleted.is_(False),
        models.Instance.slave_of_id.is_(None),
        models.Instance.task_id == states.NONE.code,
        models.Instance.lock_holder.is_(None),
        models.Instance.id.in_(
            context.session.query(models.Instance.slave_of_id).filter(
                models.Instance.deleted.is_(False),
                models.Instance.slave_of_id.isnot(None)))).all()
    found = []
    for source in sources:
        if not wants_failover(source):
            continue
        heartbeat = instances.get_heartbeat(context, source.id)
        if heartbeat is None or _fresh(heartbeat, now, deadline):
            continue
        members = topology.group(context, source.id)
        if not any(_healthy_replica(context, member, now, deadline)
                   for member in members[1:]):
            LOG.debug('Replica source %s is silent but none of its '
                      'replicas is healthy: not failing over', source.id)
            continue
        silent = (now - heartbeat.updated_at).total_seconds()
        found.append((source, silent, [member.id for member in members]))
    return found


def start_failover(context, source, silent, members):
    """Lock the group for an eject and record its workflow; cast the
    wake-up.

    :returns: the workflow id, or None when the group was taken by
        someone else meanwhile (another conductor, a tenant's request).
    """
    holder = resource_locks.new_holder(role=CONDUCTOR_ROLE)
    notice = notifications.Operation.unrequested(
        context, notifications.INSTANCE_EJECT, notifications.CONDUCTOR,
        source.tenant_id, source.id, automatic=True,
        silent_seconds=int(silent))
    try:
        with db_api.writer.using(context):
            topology.start_group(context, members, 'eject', holder)
            workflow_id = workflow_repo.record(
                context, resource_kinds.INSTANCE.name, source.id, 'eject',
                holder=holder, arguments={
                    'source_id': source.id, 'members': members,
                    'automatic': True, 'silent_seconds': int(silent)},
                request_context=context, notification=notice.hand_off())
    except (exception.InstanceNotAvailable, exception.InstanceBusy,
            exception.InstanceNotFound) as err:
        LOG.info('Not failing over %s: %s', source.id, err)
        return None
    notice.start()
    LOG.warning('Replica source %s has been silent for %d s: failing over '
                '(workflow %s)', source.id, silent, workflow_id)
    try:
        taskmanager_rpcapi.TaskManagerAPI().eject_replica_source(
            context, source.id, workflow_id=workflow_id)
    except Exception:
        LOG.exception('Could not cast the failover of %s; a taskmanager '
                      'will claim workflow %s', source.id, workflow_id)
    return workflow_id


class FailoverService(service.PeriodicService):
    """Looks for lost sources every ``failover_check_interval`` seconds
    and fails them over.
    """

    def __init__(self, interval=None):
        super().__init__('failover')
        self._interval = interval

    def interval(self):
        return self._interval or cfg.CONF.replication.failover_check_interval

    def run_once(self):
        context = trove_context.get_admin_context()
        try:
            for source, silent, members in lost_sources(context):
                if answers(context, source):
                    LOG.warning('Replica source %s has sent no heartbeat '
                                'for %d s but its agent answers: not '
                                'failing over', source.id, silent)
                    continue
                start_failover(context, source, silent, members)
        except Exception:
            LOG.exception('Looking for replica sources to fail over failed')


def answers(context, source):
    """Whether the source's agent answers a ping within
    ``failover_ping_timeout``: one that does is late, not lost.
    """
    try:
        guest_rpcapi.for_instance(context, source).rpc_ping(
            timeout=cfg.CONF.replication.failover_ping_timeout)
    except Exception:
        return False
    return True


# -- fencing a source that comes back --------------------------------------

_fencing = set()
_fencing_lock = threading.Lock()


def fence_returning_source(context, instance_id, report):
    """A heartbeat says ``instance_id`` is a source, but the topology says
    it follows another (it was ejected while it was away): make it follow
    its source, on a thread of its own (guest calls take seconds; a
    heartbeat handler must not wait).

    :param report: the cleaned replication state of the heartbeat.
    :returns: whether fencing was started.
    """
    if (report or {}).get('role') != 'source':
        return False
    row = instances.get(context, instance_id)
    if not row.slave_of_id or states.task(row.task_id) is not states.NONE \
            or row.lock_holder:
        return False
    with _fencing_lock:
        if instance_id in _fencing:
            return False
        _fencing.add(instance_id)
    threading.Thread(target=_fence, name='fence-%s' % instance_id,
                     args=(context, row.id, row.slave_of_id),
                     daemon=True).start()
    return True


def _fence(context, instance_id, source_id):
    try:
        LOG.warning('Instance %s came back as a replica source, but %s is '
                    'the source of its group now: fencing it', instance_id,
                    source_id)
        returning = guest_rpcapi.for_instance(
            context, instances.get(context, instance_id))
        returning.fence_replica_source()
        source = guest_rpcapi.for_instance(context,
                                           instances.get(context, source_id))
        source_info = source.get_replication_snapshot(
            None, timeout=cfg.CONF.agent_call_high_timeout)['source']
        returning.attach_replica(source_info)
        LOG.info('Instance %s follows %s again', instance_id, source_id)
    except Exception:
        LOG.exception('Fencing %s failed; trying again at its next '
                      'heartbeat', instance_id)
    finally:
        with _fencing_lock:
            _fencing.discard(instance_id)
