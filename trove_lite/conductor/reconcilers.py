"""Reconcilers: periodic repairs of what the database says.

Each reconciler is a named stevedore plugin (namespace
``trove_lite.conductor.reconcilers``) that ``[conductor] reconcilers``
switches on; ``ReconcilerService`` runs them all every
``reconcile_interval`` seconds on a native thread of the conductor. Each
must be safe to run in many conductors at once: they act through the
repositories' conditional updates, so only one of them wins.

``expire_tasks`` enforces the deadlines of transitional tasks of every
registered resource kind (``db/resource_kinds.py``): an instance, backup
or cluster whose task is past its deadline (its worker died, or a guest
never answered) goes to the task's error state with a fault, and the
operation's ``dbaas.<operation>.error`` notification is sent, since its
worker will not send the end.

``orphaned_backups`` fails, before their deadline, the running backups
that nobody can finish any more: their instance was deleted, or its guest
agent stopped sending heartbeats while it streamed the backup.
"""

import abc

from oslo_config import cfg
from oslo_log import log as logging

from trove_lite.common import context as trove_context
from trove_lite.common import notifications
from trove_lite.common import plugins
from trove_lite.common import service
from trove_lite.db import models
from trove_lite.db.repositories import backup_reports
from trove_lite.db.repositories import resource_locks
from trove_lite.db import resource_kinds

LOG = logging.getLogger(__name__)

NAMESPACE = 'trove_lite.conductor.reconcilers'


class Reconciler(abc.ABC):
    """One periodic repair."""

    @abc.abstractmethod
    def run(self, context, now=None):
        """Do one round.

        :param now: naive UTC; now when omitted.
        :returns: how many things it repaired.
        """


class ExpireTasks(Reconciler):
    """Move rows of every registered resource kind past their task's
    deadline to the task's error, with a fault.

    What a kind's expiry means (error task, message, the operation it
    ends) is its declaration (``state_machine.Machine``); this walks
    ``resource_kinds.registered()`` and knows no kind by name.
    """

    def run(self, context, now=None):
        now = now or models.utcnow()
        return sum(self._expire_kind(context, kind, now)
                   for kind in resource_kinds.registered())

    @staticmethod
    def _expire_kind(context, kind, now):
        machine = kind.machine
        count = 0
        for row in resource_locks.expired(context, kind, now):
            task = kind.task_of(row)
            if task not in machine.deadlines:
                continue
            message = machine.expiry_message(task, machine.allowed_seconds(
                task, row.task_start_time, row.task_deadline))
            details = ('Task %s started at %s passed its deadline %s '
                       '(checked at %s; lock holder %s).'
                       % (task.name, row.task_start_time, row.task_deadline,
                          now, row.lock_holder))
            if not resource_locks.expire(context, kind, row.id,
                                         getattr(row, kind.task_column),
                                         message, details):
                continue
            LOG.warning('%s %s: %s', machine.name.capitalize(), row.id,
                        details)
            count += 1
            kind.end_operation(context, row, task, message,
                               notifications.CONDUCTOR)
        return count


class OrphanedBackups(Reconciler):
    """Fail running backups whose guest can no longer report: the
    instance is gone, or its agent has been silent for longer than
    ``agent_heartbeat_expiry`` since the backup started.
    """

    def run(self, context, now=None):
        count = 0
        for row, reason in backup_reports.orphaned(
                context, cfg.CONF.agent_heartbeat_expiry, now):
            if backup_reports.record_failed(
                    context, row.id, reason,
                    'Backup %s was %s since %s; failed by the conductor.'
                    % (row.id, row.state, row.task_start_time)):
                LOG.warning('Backup %s: %s', row.id, reason)
                count += 1
        return count


def load(names=None):
    """The reconcilers named (``[conductor] reconcilers`` if None), in
    order; unknown names are logged and skipped.
    """
    names = cfg.CONF.conductor.reconcilers if names is None else names
    loaded = []
    for name in names:
        try:
            loaded.append((name, plugins.load(
                NAMESPACE, name, option='[conductor] reconcilers')))
        except plugins.PluginNotFound as err:
            LOG.error('Reconciler not run: %s', err)
    return loaded


class ReconcilerService(service.PeriodicService):
    """Runs reconcilers every ``interval`` seconds on a thread.

    :param reconcilers: ``[(name, Reconciler)]``; ``load()`` when None.
    :param interval: seconds (``reconcile_interval`` when None).
    """

    def __init__(self, reconcilers=None, interval=None):
        super().__init__('reconcilers')
        self.reconcilers = load() if reconcilers is None else reconcilers
        self._interval = interval

    def interval(self):
        return self._interval or cfg.CONF.reconcile_interval

    def run_once(self):
        """One round of every reconciler; errors are logged, not raised."""
        context = trove_context.get_admin_context()
        for name, reconciler in self.reconcilers:
            try:
                reconciler.run(context)
            except Exception:
                LOG.exception('Reconciler %s failed', name)

    def start(self):
        super().start()
        LOG.info('Reconcilers %s every %ss',
                 ', '.join(n for n, _ in self.reconcilers) or '(none)',
                 self.interval())
