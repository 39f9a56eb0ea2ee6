"""Every change of a resource's task goes through its kind's machine.

A resource kind (instance, backup, cluster, ...) declares one ``Machine``:
its tasks, the transitions between them, and the deadlines of its
transitional tasks. A transition names where it may start, where it ends,
and, when the end is a transitional task (the control plane is in the
middle of something), how long that may take. The deadline is stored on
the row with the task; the conductor's reconciler turns an expired one
into the declared error task with a fault, so nothing stays in BUILD,
REBOOT or SHUTDOWN forever, even when the worker that set it died.

The machine is only the rules: which table holds the task, where faults go
and how a row is locked is the kind's storage
(``db/repositories/resource_locks.ResourceKind``), and the reconciler walks
every registered kind. A new kind is a declaration, not a new branch.

The repositories apply transitions as a single conditional UPDATE (the
"test" is the allowed sources, the "set" the target), which is what keeps
two workers from acting on one resource at once.
"""

import collections
import datetime

from oslo_config import cfg

from trove_lite.common import exception
from trove_lite.common import notifications
from trove_lite.common import states

Transition = collections.namedtuple('Transition', 'sources target')

# A transitional task's deadline: the error task it expires into, the
# option (seconds) of its deadline, and the fault message of its expiry
# (``%d``: the seconds it was given).
Deadline = collections.namedtuple('Deadline', 'error option message')


class Machine:
    """The state machine of one resource kind.

    :param name: the kind's name (``instance``), in logs and faults.
    :param tasks: every ``states.Task`` of the kind.
    :param transitions: ``{event: Transition}``; an ``expire_<task>``
        event is added for every deadline.
    :param deadlines: ``{transitional task: Deadline}``.
    :param default: the task an unknown stored code reads as.
    :param expiry_operations: ``{task: notification operation}``: the
        operation (``notifications.INSTANCE_CREATE``) whose ``error`` an
        expiry of that task sends, since its worker will not.
    :param not_available: the exception ``check`` raises (``task=``).
    :param takeovers: events that take the lock from whoever holds it
        (delete works in every state, even while a flow runs).
    :raises ValueError: the declaration contradicts itself (an error task
        that is not an error, a task that is not the kind's).
    """

    def __init__(self, name, tasks, transitions, deadlines, default,
                 expiry_operations=None,
                 not_available=exception.ResourceNotAvailable,
                 takeovers=()):
        self.name = name
        self.tasks = tuple(tasks)
        self.by_code = {t.code: t for t in self.tasks}
        self.default = default
        self.deadlines = dict(deadlines)
        self.expiry_operations = dict(expiry_operations or {})
        self.not_available = not_available
        self.takeovers = frozenset(takeovers)
        self.transitions = dict(transitions)
        for task, deadline in self.deadlines.items():
            self.transitions[self._expiry_name(task)] = Transition(
                frozenset([task]), deadline.error)
        self._validate()

    def _validate(self):
        known = set(self.tasks)
        for task, deadline in self.deadlines.items():
            if task not in known or deadline.error not in known:
                raise ValueError('%s: deadline of a task not declared: %s'
                                 % (self.name, task.name))
            if not deadline.error.is_error:
                raise ValueError('%s: %s expires into %s, not an error'
                                 % (self.name, task.name,
                                    deadline.error.name))
        if not self.takeovers <= set(self.transitions):
            raise ValueError('%s: take-over of an unknown event' % self.name)
        for event, transition in self.transitions.items():
            if not transition.sources <= known or \
                    transition.target not in known:
                raise ValueError('%s: event %s names a task not declared'
                                 % (self.name, event))

    def task(self, code):
        """The task stored as ``code`` (``default`` when unknown)."""
        return self.by_code.get(code, self.default)

    def transition(self, event):
        """The ``Transition`` for ``event``.

        :raises KeyError: an unknown event is a programming error.
        """
        return self.transitions[event]

    def deadline_for(self, target, now):
        """When ``target`` must be left by, or None for a resting task."""
        if target not in self.deadlines:
            return None
        seconds = getattr(cfg.CONF, self.deadlines[target].option)
        return now + datetime.timedelta(seconds=seconds)

    @staticmethod
    def _expiry_name(task):
        return 'expire_%s' % task.name.lower()

    def expiry_event(self, task):
        """The event that expires ``task``, or None if it has no deadline."""
        if task not in self.deadlines:
            return None
        return self._expiry_name(task)

    def allowed_seconds(self, task, start, deadline):
        """The time a task that started at ``start`` was given.

        NOTE(deadlines): the process that set the deadline may be
        configured differently from the one that reads it (or was, before
        a restart); the row says what the task was allowed.
        """
        if start is not None and deadline is not None:
            allowed = (deadline - start).total_seconds()
            if allowed > 0:
                return int(round(allowed))
        return getattr(cfg.CONF, self.deadlines[task].option)

    def expiry_message(self, task, seconds):
        """The fault message of ``task``'s expiry after ``seconds``."""
        return self.deadlines[task].message % seconds

    def check(self, event, current):
        """Raise unless ``event`` may happen in task ``current``.

        :raises: ``not_available`` (422), naming the current task.
        """
        if current not in self.transition(event).sources:
            raise self.not_available(task=current.name, kind=self.name)


# -- Instances ----------------------------------------------------------------

_INSTANCE_ANY = frozenset(states.TASKS.values())
_INSTANCE_IDLE_OR_FAILED = frozenset(
    [states.NONE] + [t for t in states.TASKS.values() if t.is_error])

INSTANCE = Machine(
    'instance', states.TASKS.values(),
    transitions={
        # The API creates rows directly in BUILDING; these finish or fail
        # it.
        'build_done': Transition(frozenset([states.BUILDING]), states.NONE),
        'build_failed_server': Transition(frozenset([states.BUILDING]),
                                          states.BUILDING_ERROR_SERVER),
        'build_failed_guest': Transition(frozenset([states.BUILDING]),
                                         states.BUILDING_ERROR_GUEST),
        'restart': Transition(frozenset([states.NONE]), states.REBOOTING),
        'restart_done': Transition(frozenset([states.REBOOTING]),
                                   states.NONE),
        'restart_failed': Transition(frozenset([states.REBOOTING]),
                                     states.REBOOTING_ERROR),
        # A resize (volume or flavor) that fails is put back as it was
        # (``resize_reverted``, with a fault note); only one that cannot
        # be put back ends in error.
        'resize': Transition(frozenset([states.NONE]), states.RESIZING),
        'resize_done': Transition(frozenset([states.RESIZING]),
                                  states.NONE),
        'resize_reverted': Transition(frozenset([states.RESIZING]),
                                      states.NONE),
        'resize_failed': Transition(frozenset([states.RESIZING]),
                                    states.RESIZING_ERROR),
        # An administrator's reboot (management API) restarts the
        # datastore as restart does, and also from a failed task: it is
        # how a broken instance is brought back.
        'reboot': Transition(_INSTANCE_IDLE_OR_FAILED, states.REBOOTING),
        # A datastore version upgrade; one that fails is reverted (the old
        # version runs again, with a fault note) or, when even that
        # fails, ends in UPGRADING_ERROR.
        'upgrade': Transition(frozenset([states.NONE]), states.UPGRADING),
        'upgrade_done': Transition(frozenset([states.UPGRADING]),
                                   states.NONE),
        'upgrade_reverted': Transition(frozenset([states.UPGRADING]),
                                       states.NONE),
        'upgrade_failed': Transition(frozenset([states.UPGRADING]),
                                     states.UPGRADING_ERROR),
        # Replication: a promote or an eject changes every instance of
        # the group (each goes through these), a detach one replica.
        'promote': Transition(frozenset([states.NONE]), states.PROMOTING),
        'promote_done': Transition(frozenset([states.PROMOTING]),
                                   states.NONE),
        'promote_failed': Transition(frozenset([states.PROMOTING]),
                                     states.PROMOTION_ERROR),
        'eject': Transition(frozenset([states.NONE]), states.EJECTING),
        'eject_done': Transition(frozenset([states.EJECTING]), states.NONE),
        'eject_failed': Transition(frozenset([states.EJECTING]),
                                   states.EJECTION_ERROR),
        'detach': Transition(frozenset([states.NONE]), states.DETACHING),
        'detach_done': Transition(frozenset([states.DETACHING]),
                                  states.NONE),
        'detach_failed': Transition(frozenset([states.DETACHING]),
                                    states.DETACHING_ERROR),
        # A change of access (upstream's UPDATING); one that failed left
        # the old access in force, and may be tried again.
        'update_access': Transition(
            frozenset([states.NONE, states.UPDATING_ERROR_ACCESS]),
            states.UPDATING),
        'update_access_done': Transition(frozenset([states.UPDATING]),
                                         states.NONE),
        'update_access_failed': Transition(frozenset([states.UPDATING]),
                                           states.UPDATING_ERROR_ACCESS),
        # Delete works from every state, including a delete that failed.
        'delete': Transition(_INSTANCE_ANY, states.DELETING),
        'delete_failed': Transition(frozenset([states.DELETING]),
                                    states.DELETING_ERROR),
        # An administrator's reset-status clears whatever was going on.
        'reset': Transition(_INSTANCE_ANY, states.NONE),
    },
    deadlines={
        states.BUILDING: Deadline(
            states.BUILDING_ERROR_TIMEOUT_GA, 'build_timeout',
            'The instance did not become ready within %d seconds.'),
        states.REBOOTING: Deadline(
            states.REBOOTING_ERROR, 'restart_timeout',
            'The database did not restart within %d seconds.'),
        states.DELETING: Deadline(
            states.DELETING_ERROR, 'delete_timeout',
            'The instance was not deleted within %d seconds; try deleting '
            'it again.'),
        states.RESIZING: Deadline(
            states.RESIZING_ERROR, 'resize_timeout',
            'The resize did not finish within %d seconds.'),
        states.PROMOTING: Deadline(
            states.PROMOTION_ERROR, 'replication_change_timeout',
            'The promotion did not finish within %d seconds.'),
        states.EJECTING: Deadline(
            states.EJECTION_ERROR, 'replication_change_timeout',
            'The ejection of the replica source did not finish within %d '
            'seconds.'),
        states.DETACHING: Deadline(
            states.DETACHING_ERROR, 'replication_change_timeout',
            'The detach from the replica source did not finish within %d '
            'seconds.'),
        states.UPDATING: Deadline(
            states.UPDATING_ERROR_ACCESS, 'update_access_timeout',
            'The change of access did not finish within %d seconds; the '
            'access shown is the one in force; try the change again.'),
        states.UPGRADING: Deadline(
            states.UPGRADING_ERROR, 'upgrade_timeout',
            'The datastore upgrade did not finish within %d seconds.'),
    },
    default=states.NONE,
    expiry_operations={
        states.BUILDING: notifications.INSTANCE_CREATE,
        states.REBOOTING: notifications.INSTANCE_RESTART,
        states.DELETING: notifications.INSTANCE_DELETE,
        states.UPGRADING: notifications.INSTANCE_UPGRADE,
    },
    not_available=exception.InstanceNotAvailable,
    takeovers=['delete'])

# NOTE(compat): the instance machine's tables and functions under the
# names they had before there were other kinds.
TRANSITIONS = INSTANCE.transitions
DEADLINES = {task: (d.error, d.option)
             for task, d in INSTANCE.deadlines.items()}
transition = INSTANCE.transition
deadline_for = INSTANCE.deadline_for
expiry_event = INSTANCE.expiry_event
check = INSTANCE.check


# -- Backups ------------------------------------------------------------------

BACKUP = Machine(
    'backup', states.BACKUP_STATES.values(),
    transitions={
        # The API creates rows in NEW; the guest takes, then stores it.
        'backup_started': Transition(frozenset([states.BACKUP_NEW]),
                                     states.BACKUP_BUILDING),
        'backup_saving': Transition(frozenset([states.BACKUP_BUILDING]),
                                    states.BACKUP_SAVING),
        # NOTE(reports): a guest's reports are casts that a conductor's
        # threads may handle out of order: COMPLETED may come before
        # BUILDING.
        'backup_done': Transition(
            frozenset([states.BACKUP_NEW, states.BACKUP_BUILDING,
                       states.BACKUP_SAVING]),
            states.BACKUP_COMPLETED),
        'backup_failed': Transition(states.BACKUP_RUNNING,
                                    states.BACKUP_FAILED),
        # NOTE(backups): the owner can always delete a backup, a running
        # one too (a take-over: its guest is told to stop, and whatever it
        # stored is removed).
        'delete': Transition(
            frozenset([states.BACKUP_COMPLETED, states.BACKUP_FAILED,
                       states.BACKUP_RESTORED, states.BACKUP_DELETE_FAILED])
            | states.BACKUP_RUNNING,
            states.BACKUP_DELETING),
        'delete_failed': Transition(frozenset([states.BACKUP_DELETING]),
                                    states.BACKUP_DELETE_FAILED),
    },
    deadlines={
        states.BACKUP_NEW: Deadline(
            states.BACKUP_FAILED, 'backup_timeout',
            'The backup did not start within %d seconds.'),
        states.BACKUP_BUILDING: Deadline(
            states.BACKUP_FAILED, 'backup_timeout',
            'The backup was not taken within %d seconds.'),
        states.BACKUP_SAVING: Deadline(
            states.BACKUP_FAILED, 'backup_timeout',
            'The backup was not stored within %d seconds.'),
        states.BACKUP_DELETING: Deadline(
            states.BACKUP_DELETE_FAILED, 'backup_delete_timeout',
            'The backup was not deleted within %d seconds; try deleting it '
            'again.'),
    },
    default=states.BACKUP_FAILED,
    takeovers=['delete'])


# -- Clusters -----------------------------------------------------------------

_CLUSTER_ANY = frozenset(states.CLUSTER_TASKS.values())
_CLUSTER_ACTIONS = {
    'add_shard': states.CLUSTER_ADDING_SHARD,
    'grow': states.CLUSTER_GROWING,
    'shrink': states.CLUSTER_SHRINKING,
    'upgrade': states.CLUSTER_UPGRADING,
    'restart': states.CLUSTER_RESTARTING,
    'update': states.CLUSTER_UPDATING,
}


def _error_of(cluster_task):
    return states.CLUSTER_TASKS['%s_ERROR' % cluster_task.name]


def _cluster_transitions():
    idle = frozenset([states.CLUSTER_NONE])
    transitions = {
        'build_done': Transition(frozenset([states.CLUSTER_BUILDING]),
                                 states.CLUSTER_NONE),
        'build_failed': Transition(frozenset([states.CLUSTER_BUILDING]),
                                   _error_of(states.CLUSTER_BUILDING)),
        'delete': Transition(_CLUSTER_ANY, states.CLUSTER_DELETING),
        'delete_failed': Transition(frozenset([states.CLUSTER_DELETING]),
                                    _error_of(states.CLUSTER_DELETING)),
        # Upstream's management reset-task.
        'reset': Transition(_CLUSTER_ANY, states.CLUSTER_NONE),
    }
    for event, task in _CLUSTER_ACTIONS.items():
        transitions[event] = Transition(idle, task)
        transitions['%s_done' % event] = Transition(frozenset([task]),
                                                    states.CLUSTER_NONE)
        transitions['%s_failed' % event] = Transition(frozenset([task]),
                                                      _error_of(task))
    return transitions


def _cluster_deadline(task):
    if task is states.CLUSTER_BUILDING:
        return Deadline(_error_of(task), 'cluster_usage_timeout',
                        'The cluster did not become ready within %d '
                        'seconds.')
    if task is states.CLUSTER_DELETING:
        return Deadline(_error_of(task), 'cluster_delete_time_out',
                        'The cluster was not deleted within %d seconds; '
                        'try deleting it again.')
    return Deadline(_error_of(task), 'cluster_change_timeout',
                    '%s did not finish within %%d seconds.'
                    % task.description.rstrip('.'))


CLUSTER = Machine(
    'cluster', states.CLUSTER_TASKS.values(),
    transitions=_cluster_transitions(),
    deadlines={task: _cluster_deadline(task)
               for task in states.CLUSTER_TASKS.values()
               if task is not states.CLUSTER_NONE and not task.is_error},
    default=states.CLUSTER_NONE,
    takeovers=['delete'])
