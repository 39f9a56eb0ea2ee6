"""Tasks that talk to the instance's guest agent."""

import functools
import time

from oslo_config import cfg
from oslo_log import log as logging
from taskflow import task

from trove_lite.common import exception
from trove_lite.common import rpc
from trove_lite.common import states
from trove_lite.common import status_events
from trove_lite.db import models
from trove_lite.db.repositories import configurations as config_repo
from trove_lite.db.repositories import instances
from trove_lite.guestagent import rpcapi as guest_rpcapi
from trove_lite.taskmanager.tasks import base

LOG = logging.getLogger(__name__)

READY = 'ready'
LOST = 'lost'
INTERRUPTED = 'interrupted'

_READY_STATUSES = frozenset([states.SVC_HEALTHY, states.SVC_RUNNING])
# Server statuses in which an agent that does not answer yet may still.
_AGENT_MAY_RUN = frozenset([states.SERVER_BUILD, states.SERVER_ACTIVE])


def guest_api(context, instance_id):
    """The client of an instance's agent, sealing with the instance's key.

    The row is read afresh: ``MakeInstanceKey`` writes the key after the
    flow loaded the instance.
    """
    return guest_rpcapi.for_instance(context,
                                     instances.get(context, instance_id))


def _past_deadline(row):
    if row.task_deadline is None:
        return False
    # NOTE(deadlines): the conductor's reconciler expires the task with the
    # right error (guest timeout); give it two rounds to do so.
    grace = 2 * cfg.CONF.reconcile_interval
    elapsed = (models.utcnow() - row.task_deadline).total_seconds()
    return elapsed > grace


def _still_ours(context, instance_id, holder):
    """The instance row while this flow holds it, else None.

    :raises GuestTimeout: the reconciler expired the task meanwhile.
    """
    try:
        row = instances.get(context, instance_id)
    except exception.InstanceNotFound:
        return None
    if row.lock_holder != holder:
        if states.task(row.task_id).is_error:
            raise base.GuestTimeout(uuid=instance_id,
                                    deadline=row.task_deadline)
        return None
    return row


# The guest API this flow needs (prepare arrived in 1.1), and ours.
NEEDED_GUEST_API = (1, 1)
OUR_GUEST_API = guest_rpcapi.GuestAgentAPI.RPC_API_VERSION


def check_contract(instance_id, ping_reply):
    """Refuse an agent whose guest API this control plane cannot speak.

    A different major version, or an older minor than ``NEEDED_GUEST_API``,
    would fail later in a way nobody could read; it fails here, with a
    fault that says why.

    :raises GuestIncompatible:
    """
    version = str((ping_reply or {}).get('rpc_api_version') or '')
    try:
        major, minor = (int(part) for part in version.split('.')[:2])
    except ValueError:
        major = minor = None
    if major != int(OUR_GUEST_API.split('.')[0]) or \
            minor < NEEDED_GUEST_API[1]:
        # NOTE(guest): the version goes into the instance's fault; the
        # agent is not trusted to send a version rather than a paragraph.
        raise _incompatible(instance_id, version if rpc.is_version(version)
                            else 'an unknown version')


def _incompatible(instance_id, version):
    return base.GuestIncompatible(
        uuid=instance_id, version=version,
        needed='%d.%d to %s' % (NEEDED_GUEST_API + (OUR_GUEST_API,)))


class WaitForAgent(task.Task):
    """Wait until the guest agent answers a ping.

    The prepare that follows is a cast, and a cast to a topic whose queue
    the agent has not declared yet is dropped by RabbitMQ: an agent
    process needs a moment after ``create_server`` before it listens.
    Between two pings the driver is asked whether the server still runs
    it: an agent that died (or never could start) fails the build at once
    instead of at the build deadline.

    :param driver: the ``ComputeDriver`` that made the server.
    :returns: READY; LOST or INTERRUPTED as ``WaitForHealthy``.
    :raises AgentFailed: the server's agent is not running.
    :raises GuestIncompatible: the agent speaks a guest API this control
        plane cannot (it answers the ping naming one, or refuses the ping
        of guest API 1.0).
    :raises GuestTimeout: past the task's deadline (see WaitForHealthy).
    """

    default_provides = 'agent_state'
    ping_timeout = 2

    def __init__(self, driver, **kwargs):
        super().__init__(**kwargs)
        self.driver = driver

    def execute(self, context, instance_id, holder, stop_event=None):
        api = guest_api(context, instance_id)
        while True:
            # NOTE(ping): GuestAgentAPI.rpc_ping waits agent_call_low_timeout;
            # a short ping retried gets prepare out sooner.
            cctxt = rpc.prepare(api.client, '1.0', timeout=self.ping_timeout)
            try:
                reply = rpc.call(cctxt, context, 'rpc_ping',
                                 'the guest agent of instance %s'
                                 % instance_id)
            except exception.RPCTimeout:
                pass
            except exception.IncompatibleService:
                # NOTE(upgrade): every agent of guest API 1.x answers the
                # 1.0 ping; one that refuses it speaks another major
                # version only.
                raise _incompatible(instance_id, 'other than 1.x')
            else:
                check_contract(instance_id, reply)
                return READY
            row = _still_ours(context, instance_id, holder)
            if row is None:
                return LOST
            self._check_server(context, row)
            if _past_deadline(row):
                raise base.GuestTimeout(uuid=instance_id,
                                        deadline=row.task_deadline)
            if stop_event is not None and stop_event.is_set():
                return INTERRUPTED

    def _check_server(self, context, row):
        """:raises AgentFailed: the server no longer runs the agent."""
        status = self.driver.server_status(context, row)
        if status in _AGENT_MAY_RUN:
            return
        try:
            output = self.driver.console_output(context, row)
        except Exception as err:
            output = '(cannot read it: %s)' % err
        raise base.AgentFailed(uuid=row.id, server_status=status,
                               output=output.strip() or '(none)')


def send_prepare(context, instance_id, instance, flavor, databases, users,
                 root_password, restore_info=None, replica_info=None):
    """Cast ``prepare`` to the instance's guest, with the values of the
    configuration group attached to it (read now: a resent prepare
    carries what the group says then).
    """
    extra = {'restore_info': restore_info} if restore_info else {}
    if replica_info:
        extra['replica_info'] = replica_info
    if instance.configuration_id:
        extra['overrides'] = config_repo.values(context,
                                                instance.configuration_id)
    guest_api(context, instance_id).prepare(
        memory_mb=flavor.ram, databases=databases or [],
        users=users or [], root_password=root_password,
        volume_size=instance.volume_size, **extra)


class Prepare(task.Task):
    """Ask the guest to set up the datastore (a cast; ``WaitForHealthy``
    watches the outcome); skipped unless ``WaitForAgent`` reached it.
    """

    def execute(self, context, instance_id, instance, flavor, databases,
                users, root_password, agent_state=READY, restore_info=None,
                replica_info=None):
        if agent_state != READY:
            return
        send_prepare(context, instance_id, instance, flavor, databases,
                     users, root_password, restore_info, replica_info)


class WaitForHealthy(task.Task):
    """Wait until the guest reports the datastore healthy.

    Looks at the service status the conductor stores from heartbeats
    whenever the conductor says it changed (``status_events``: directly
    when the conductor runs in this process, else through its fanout cast
    ``status_changed`` to the taskmanagers), and every
    ``[taskmanager] status_poll_interval`` seconds in case such a word was
    lost or nobody reports the change (a take-over by a delete).

    :returns: READY; LOST when the flow no longer holds the instance (a
        delete or an administrator took it over: stop without failing);
        INTERRUPTED when the taskmanager is stopping (the task's deadline
        then settles the instance).
    :raises GuestFailed: the guest reported FAILED (with its fault).
    :raises GuestTimeout: the reconciler expired the build, or the
        deadline passed long enough ago that no reconciler runs.
    """

    default_provides = 'readiness'
    # NOTE(latency): the fallback poll, seconds; None reads
    # [taskmanager] status_poll_interval. It used to be the only way to
    # learn of a report in another process: 0.1 s made ~320 queries/s for
    # 16 parallel builds.
    poll_interval = None
    # Seconds a FAILED status waits for the guest's fault report.
    fault_grace = 2.0

    def execute(self, context, instance_id, holder, stop_event=None,
                instance=None, flavor=None, databases=None, users=None,
                root_password=None, restore_info=None, replica_info=None):
        resend = None
        if flavor is not None and instance is not None:
            # NOTE(messages): a create's prepare is a cast; if it was lost
            # (the broker restarted, a connection dropped) the guest never
            # leaves NEW. The agent ignores a prepare while one runs, so
            # sending it again is safe.
            resend = functools.partial(
                send_prepare, context, instance_id, instance, flavor,
                databases, users, root_password, restore_info, replica_info)
        with status_events.watching(instance_id) as changed:
            return self._wait(context, instance_id, holder, stop_event,
                              changed, resend)

    def _wait(self, context, instance_id, holder, stop_event, changed,
              resend=None):
        fault_due = None
        interval = (self.poll_interval if self.poll_interval is not None
                    else cfg.CONF.taskmanager.status_poll_interval)
        resend_every = cfg.CONF.taskmanager.prepare_resend_interval
        resend_due = time.monotonic() + resend_every
        while True:
            changed.clear()
            row = _still_ours(context, instance_id, holder)
            if row is None:
                return LOST
            status, _ = instances.get_service_status(context, instance_id)
            if status in _READY_STATUSES:
                return READY
            if (resend is not None and status is states.SVC_NEW
                    and time.monotonic() >= resend_due):
                LOG.warning('Instance %s: the guest has not started '
                            'preparing %.0f s after prepare was sent; '
                            'sending it again', instance_id, resend_every)
                try:
                    resend()
                except Exception as err:
                    LOG.warning('Instance %s: could not send prepare '
                                'again (%s)', instance_id, err)
                resend_due = time.monotonic() + resend_every
            if resend is not None and status is states.SVC_NEW:
                interval_now = min(interval, max(
                    0.05, resend_due - time.monotonic()))
            else:
                interval_now = interval
            if status is states.SVC_FAILED:
                fault = instances.get_fault(context, instance_id)
                # NOTE(race): the guest's fault report and its FAILED
                # heartbeat are separate casts; the conductor may store the
                # status first. Wait a moment for the reason.
                if fault is None:
                    now = time.monotonic()
                    fault_due = fault_due or now + self.fault_grace
                    if now < fault_due:
                        changed.wait(min(interval, fault_due - now))
                        continue
                raise base.GuestFailed(
                    uuid=instance_id,
                    fault=fault.details if fault else 'no details',
                    tenant_message=fault.message if fault else None)
            if _past_deadline(row):
                raise base.GuestTimeout(uuid=instance_id,
                                        deadline=row.task_deadline)
            changed.wait(interval_now)
            if stop_event is not None and stop_event.is_set():
                return INTERRUPTED


class StopDatabase(task.Task):
    """Stop the datastore cleanly before its server goes (best effort)."""

    def execute(self, context, instance_id, instance):
        if not instance.compute_instance_id:
            return
        try:
            guest_api(context, instance_id).stop_db()
        except Exception as err:
            # NOTE(delete): delete works in every state, including a guest
            # that is gone or wedged; the driver kills what is left.
            LOG.warning('Instance %s: stop_db failed (%s); deleting anyway',
                        instance_id, err)


class RestartDatabase(task.Task):
    """Restart the datastore; returns when the guest says it is up."""

    def execute(self, context, instance_id):
        guest_api(context, instance_id).restart()
