"""The registered resource kinds: each a state machine bound to a table.

Whatever walks "every resource" (the conductor's ``expire_tasks``, a
taskmanager clearing its stale locks) walks ``registered()``; a kind that
registers here gets deadlines, expiry with a fault, and locks without any
of them changing. Instances, backups and clusters are declared below.
"""

import threading

from trove_lite.common import exception
from trove_lite.common import state_machine
from trove_lite.db import models
from trove_lite.db.repositories import resource_locks

INSTANCE = resource_locks.ResourceKind(
    state_machine.INSTANCE, models.Instance,
    description_column='task_description',
    faults=resource_locks.FaultStore(models.InstanceFault, 'instance_id'),
    not_found=exception.InstanceNotFound, busy=exception.InstanceBusy)

BACKUP = resource_locks.ResourceKind(
    state_machine.BACKUP, models.Backup, task_column='state')

CLUSTER = resource_locks.ResourceKind(state_machine.CLUSTER, models.Cluster)

_LOCK = threading.Lock()
_KINDS = {}


def register(kind):
    """Add ``kind`` to what the shared machinery walks.

    :raises ValueError: another kind has that name.
    """
    with _LOCK:
        if _KINDS.get(kind.name, kind) is not kind:
            raise ValueError('A resource kind %s is registered already'
                             % kind.name)
        _KINDS[kind.name] = kind


def unregister(name):
    """Forget the kind ``name`` (a test's throw-away kind)."""
    with _LOCK:
        _KINDS.pop(name, None)


def registered():
    """Every registered kind, in registration order."""
    with _LOCK:
        return list(_KINDS.values())


def get(name):
    """The kind ``name``.

    :raises KeyError: no such kind.
    """
    with _LOCK:
        return _KINDS[name]


for _kind in (INSTANCE, BACKUP, CLUSTER):
    register(_kind)
