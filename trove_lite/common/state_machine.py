"""Every change of an instance's task goes through this table.

A transition names where it may start, where it ends, and, when the end
is a transitional task (the control plane is in the middle of something),
how long that may take. The deadline is stored on the row with the task;
the conductor's reconciler turns an expired one into the matching error
task with a fault, so nothing stays in BUILD, REBOOT or SHUTDOWN forever,
even when the worker that set it died.

The repositories apply transitions as a single conditional UPDATE (the
"test" is the allowed sources, the "set" the target), which is what keeps
two workers from acting on one instance at once.
"""

import collections
import datetime

from oslo_config import cfg

from trove_lite.common import exception
from trove_lite.common import states

Transition = collections.namedtuple('Transition', 'sources target')

# Transitional task -> (error task it expires into, option of its deadline).
DEADLINES = {
    states.BUILDING: (states.BUILDING_ERROR_TIMEOUT_GA, 'build_timeout'),
    states.REBOOTING: (states.REBOOTING_ERROR, 'restart_timeout'),
    states.DELETING: (states.DELETING_ERROR, 'delete_timeout'),
    states.RESIZING: (states.RESIZING_ERROR, 'resize_timeout'),
}

_ANY = frozenset(states.TASKS.values())
_ERRORS = frozenset(t for t in _ANY if t.is_error)

# event name -> Transition
TRANSITIONS = {
    # The API creates rows directly in BUILDING; these finish or fail it.
    'build_done': Transition(frozenset([states.BUILDING]), states.NONE),
    'build_failed_server': Transition(frozenset([states.BUILDING]),
                                      states.BUILDING_ERROR_SERVER),
    'build_failed_guest': Transition(frozenset([states.BUILDING]),
                                     states.BUILDING_ERROR_GUEST),
    'restart': Transition(frozenset([states.NONE]), states.REBOOTING),
    'restart_done': Transition(frozenset([states.REBOOTING]), states.NONE),
    'restart_failed': Transition(frozenset([states.REBOOTING]),
                                 states.REBOOTING_ERROR),
    # Delete works from every state, including a delete that failed.
    'delete': Transition(_ANY, states.DELETING),
    'delete_failed': Transition(frozenset([states.DELETING]),
                                states.DELETING_ERROR),
    # An administrator's reset-status clears whatever was going on.
    'reset': Transition(_ANY, states.NONE),
}

# Expiry is a transition of its own for each transitional task.
for _task, (_error, _option) in DEADLINES.items():
    TRANSITIONS['expire_%s' % _task.name.lower()] = Transition(
        frozenset([_task]), _error)


def transition(event):
    """The ``Transition`` for ``event``.

    :raises KeyError: an unknown event is a programming error.
    """
    return TRANSITIONS[event]


def deadline_for(target, now):
    """When ``target`` must be left by, or None for a resting task."""
    if target not in DEADLINES:
        return None
    seconds = getattr(cfg.CONF, DEADLINES[target][1])
    return now + datetime.timedelta(seconds=seconds)


def expiry_event(task):
    """The event that expires ``task``, or None if it has no deadline."""
    if task not in DEADLINES:
        return None
    return 'expire_%s' % task.name.lower()


def check(event, current):
    """Raise unless ``event`` may happen to an instance in task ``current``.

    :raises InvalidInstanceState: with the task the instance is in.
    """
    if current not in transition(event).sources:
        raise exception.InstanceNotAvailable(task=current.name)
