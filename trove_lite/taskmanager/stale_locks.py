"""A starting taskmanager ends what its previous life left locked.

Every flow holds its resource's lock as ``<host>:<uuid>``, the host being
the taskmanager that runs it (``resource_locks``). A taskmanager that
starts runs no flow yet, so a lock that names its host belongs to a flow
of a process that is gone (it crashed or was restarted mid-operation), as
Ironic's conductor clears its own node reservations when it starts.

What such a row becomes: its operation is failed at once, the way its
deadline would have failed it (the kind's declared error task, a fault,
the operation's ``error`` notification), and the lock is released. Not
left to the deadline, because:

- nothing will ever finish it: the flow's state lived in that process
  (taskflow runs in memory here, with no job board to resume from), so
  waiting only keeps the user looking at BUILD or REBOOT for up to the
  whole deadline (an hour for a backup) for an outcome that is known now;
- the fault can say what happened ("the taskmanager restarted") instead
  of a timeout that suggests a slow guest;
- the error tasks are where a user acts (delete again, restart again);
  releasing the lock alone would leave a transitional task without a
  holder, which no new request may start from.

Locks the API took and has not handed over yet (``api@<host>:...``) are
not this host's flows: a cast for them may still be queued, and it is
left to arrive (or the deadline to end the task).

A lock that a workflow record names is not stale either: the workflow
engine resumes that flow (``taskmanager.workflows``). What is left here
are the locks of flows that had no record (a taskmanager older than
workflows ran them).
"""

from oslo_config import cfg
from oslo_log import log as logging

from trove_lite.common import notifications
from trove_lite.db.repositories import resource_locks
from trove_lite.db.repositories import workflows as workflow_repo
from trove_lite.db import resource_kinds

LOG = logging.getLogger(__name__)

MESSAGE = ('The service restarted while the operation was running; it was '
           'stopped. Try it again (or delete the %s).')


def fail_stale_locks(context, host=None):
    """End every operation a flow on ``host`` (this one if None) held
    that no workflow record will resume.

    :returns: how many rows went to an error task.
    """
    host = host or cfg.CONF.host
    count = 0
    for kind in resource_kinds.registered():
        message = MESSAGE % kind.name
        resumable = workflow_repo.holders(context, kind.name)
        for row, task in resource_locks.fail_host_locks(
                context, kind, host, message, spare=resumable):
            LOG.warning('%s %s: %s was held by a flow of this taskmanager '
                        'before it started again; it is now in error',
                        kind.name.capitalize(), row.id, task.name)
            kind.end_operation(context, row, task, message,
                               notifications.TASKMANAGER)
            count += 1
    return count
