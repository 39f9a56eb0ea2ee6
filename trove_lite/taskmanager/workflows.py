"""Workflows that outlive the taskmanager running them.

Upstream Trove's flows live in the memory of the taskmanager that got the
cast: kill it, and its instances stay in BUILD until someone notices.
Octavia's answer is taskflow persistence with a job board; ours is the
same idea on the infra database the services already share
(``db.repositories.workflows``):

- the API records each workflow with the change that starts it, and its
  cast is only a wake-up: a taskmanager that gets it claims the record;
- ``WorkflowEngine`` runs what it claimed on the ``FlowRunner``, renews
  the lease of each running flow every third of ``[taskmanager]
  workflow_lease``, records each step a flow completes (``Job.checkpoint``)
  and forgets the record when the flow ends;
- every ``workflow_claim_interval`` it claims what nobody runs: records
  no cast reached (a taskmanager was down, RabbitMQ lost the message),
  and those whose owner's lease lapsed (the owner died); a starting
  taskmanager first takes back what its previous life owned, so a
  restart resumes its flows at once instead of after the lease;
- a flow run again is a *resumed* job (``Job.resumed``): each flow
  decides from its last completed step (``Job.step``) how to go on
  (``flows/create_instance.py``: past the server it waits for the guest;
  before it, it removes the partial build and builds again).

A graceful stop gives the records of interrupted flows back (``release``)
for the next taskmanager; a ``kill -9`` leaves them to lapse.
"""

import json
import threading
import uuid

from oslo_config import cfg
from oslo_log import log as logging

from trove_lite.common import context as context_module
from trove_lite.common import notifications
from trove_lite.common import service
from trove_lite.db import api as db_api
from trove_lite.db.repositories import resource_locks
from trove_lite.db.repositories import workflows as workflow_repo

LOG = logging.getLogger(__name__)


def new_owner(host=None):
    """The owner id of one taskmanager process: ``<host>:<uuid>``."""
    return '%s:%s' % (host or cfg.CONF.host, uuid.uuid4())


class Job:
    """One claimed workflow, as its flow sees it.

    :ivar context: the request context the API recorded (an admin
        context when none was).
    :ivar arguments: what the flow was asked (decrypted).
    :ivar step: the last step a previous run completed (None: none).
    :ivar resumed: a previous run started this workflow.
    :ivar lost: set when another taskmanager now owns it; the flow stops
        at its next step.
    :param notice: a ``notifications.Operation`` to end instead of the
        one the record carries (a flow run by ``flows.common.run_now``).
    """

    def __init__(self, row, owner, notice=None):
        self.id = row.id
        self.kind = row.resource_kind
        self.resource_id = row.resource_id
        self.operation = row.operation
        self.holder = row.holder
        self.step = row.step
        self.resumed = row.attempts > 1 or row.step is not None
        self.owner = owner
        self.arguments = workflow_repo.open_arguments(row.arguments)
        self.context = (
            context_module.RequestContext.from_dict(
                json.loads(row.request_context))
            if row.request_context else context_module.get_admin_context())
        self.notification = (json.loads(row.notification)
                             if row.notification else None)
        self.lost = threading.Event()
        self._notice = notice

    def notice(self, service=notifications.TASKMANAGER):
        """The operation notification to end: the one given to the job,
        else the one the API handed off.
        """
        if self._notice is not None:
            return self._notice
        return notifications.Operation.resume(self.context,
                                              self.notification, service)

    def checkpoint(self, step):
        """Record that ``step`` completed.

        :returns: False when the workflow is no longer ours.
        """
        if workflow_repo.set_step(self.context, self.id, self.owner, step):
            self.step = step
            return True
        self.lost.set()
        return False

    def take_lock(self, take, task):
        """Hold the resource's lock for this run; the holder, or None.

        A first run of a workflow without a holder claims the unheld row
        in ``task`` (a create); otherwise the holder the record names (the
        API's, or the previous run's) is handed over to this host. The
        take and its record commit together, so a crash between them
        cannot leave a lock that no record names.

        :param take: the kind's ``(claim, hand_over)`` functions, e.g.
            ``instances.claim`` and ``instances.hand_over``.
        """
        claim, hand_over = take
        with db_api.writer.using(self.context):
            if self.holder is None:
                holder = resource_locks.new_holder()
                taken = claim(self.context, self.resource_id, holder, task)
            else:
                holder = resource_locks.adopted(self.holder)
                taken = hand_over(self.context, self.resource_id,
                                  self.holder, holder)
            if not taken:
                return None
            if not workflow_repo.set_holder(self.context, self.id,
                                            self.owner, holder):
                raise LostWorkflow(self.id)
        self.holder = holder
        return holder


class LostWorkflow(Exception):
    """Another taskmanager owns the workflow now."""


class WorkflowEngine(service.PeriodicService):
    """Claims recorded workflows and runs them on a ``FlowRunner``.

    :param runner: the ``FlowRunner``.
    :param handlers: ``{(kind name, operation): handler}``;
        ``handler(job, stop_event)`` runs the flow and returns when it
        ended (or stopped).
    :param host: the host this taskmanager runs as (``[DEFAULT] host``
        when None).
    """

    #: The first round takes back this host's leftovers (``run_once``).
    run_at_start = True

    def __init__(self, runner, handlers, host=None):
        super().__init__('workflows')
        self._resumed = False
        self.runner = runner
        self.handlers = handlers
        self.host = host or cfg.CONF.host
        self.owner = new_owner(self.host)
        self._running = {}
        self._lock = threading.Lock()

    # -- running one workflow ----------------------------------------------

    def run(self, workflow_id, steal_from=None):
        """Claim ``workflow_id`` and run it on the runner.

        :returns: True when this process now runs it.
        """
        with self._lock:
            if workflow_id in self._running:
                return False
        ctx = context_module.get_admin_context()
        row = workflow_repo.claim(ctx, workflow_id, self.owner,
                                  cfg.CONF.taskmanager.workflow_lease,
                                  steal_from=steal_from)
        if row is None:
            return False
        job = Job(row, self.owner)
        handler = self.handlers.get((job.kind, job.operation))
        if handler is None:
            LOG.error('Workflow %s: no handler for %s of a %s; giving it '
                      'back', job.id, job.operation, job.kind)
            workflow_repo.release(ctx, job.id, self.owner)
            return False
        with self._lock:
            self._running[job.id] = job
        LOG.info('Workflow %s (%s of %s %s) claimed%s', job.id,
                 job.operation, job.kind, job.resource_id,
                 ', resuming after %s' % (job.step or 'no step')
                 if job.resumed else '')
        future = self.runner.submit(
            '%s of %s' % (job.operation, job.resource_id), self._execute,
            job, handler)
        if future is None:
            self._forget(job)
            workflow_repo.release(ctx, job.id, self.owner)
            return False
        return True

    def _execute(self, job, handler):
        try:
            handler(job, self.runner.stop_event)
        except LostWorkflow:
            LOG.info('Workflow %s: another taskmanager took it over',
                     job.id)
        except Exception:
            LOG.exception('Workflow %s (%s of %s) failed', job.id,
                          job.operation, job.resource_id)
        finally:
            self._forget(job)
            self._settle(job)

    def _settle(self, job):
        ctx = context_module.get_admin_context()
        try:
            if job.lost.is_set():
                return
            if self.runner.stop_event.is_set():
                # NOTE(shutdown): the flow stopped waiting because this
                # taskmanager stops; the next one resumes it.
                workflow_repo.release(ctx, job.id, self.owner)
            else:
                workflow_repo.finish(ctx, job.id, self.owner)
        except Exception:
            # NOTE(workflows): the lease lapses and someone resumes it,
            # finding nothing left to do.
            LOG.exception('Workflow %s: could not record its end', job.id)

    def _forget(self, job):
        with self._lock:
            self._running.pop(job.id, None)

    def running(self):
        with self._lock:
            return dict(self._running)

    # -- the leases and the claims ------------------------------------------

    def renew_leases(self):
        """Renew what this process runs; mark what it lost."""
        jobs = self.running()
        if not jobs:
            return
        lost = workflow_repo.renew(context_module.get_admin_context(),
                                   self.owner, set(jobs),
                                   cfg.CONF.taskmanager.workflow_lease)
        for workflow_id in lost:
            LOG.warning('Workflow %s: its lease lapsed and another '
                        'taskmanager took it; stopping here', workflow_id)
            jobs[workflow_id].lost.set()

    def claim_waiting(self):
        """Run what nobody runs: unowned past the grace, or lapsed.

        :returns: how many this process claimed.
        """
        ids = workflow_repo.claimable(
            context_module.get_admin_context(),
            cfg.CONF.taskmanager.workflow_claim_grace)
        return sum(1 for workflow_id in ids if self.run(workflow_id))

    def resume_leftovers(self):
        """Take back at once what a previous life of this host owned.

        :returns: how many were resumed.
        """
        leftovers = workflow_repo.own_leftovers(
            context_module.get_admin_context(),
            resource_locks.host_prefix(self.host), self.owner)
        count = 0
        for workflow_id, previous in leftovers:
            if self.run(workflow_id, steal_from=previous):
                count += 1
        if count:
            LOG.warning('Resumed %d workflow(s) this taskmanager was '
                        'running before it stopped', count)
        return count

    def run_once(self):
        """The first round resumes this host's leftovers; each later one
        renews the leases and claims what nobody runs.
        """
        if not self._resumed:
            self._resumed = True
            try:
                self.resume_leftovers()
            except Exception:
                LOG.exception('Resuming the workflows of this host failed')
            return
        for action in (self.renew_leases, self.claim_waiting):
            try:
                action()
            except Exception:
                # NOTE(workflows): a database hiccup; the next round tries
                # again, well within the lease.
                LOG.exception('Workflow %s failed', action.__name__)

    def interval(self):
        options = cfg.CONF.taskmanager
        return min(options.workflow_claim_interval,
                   options.workflow_lease / 3.0)
