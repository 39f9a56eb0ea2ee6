"""The statuses of instances, backups and clusters, and how the API shows
them.

Two statuses describe an instance, and they are kept apart on purpose:

* the **task** (``instances.task_id``): what the control plane is doing to
  the instance (building it, restarting it, deleting it) or that what it
  was doing failed. Only the control plane writes it, and only through
  ``state_machine``.
* the **service status** (``service_statuses``): what the guest agent last
  reported about the datastore (building, healthy, shut down, ...).

The API's ``status`` and ``operating_status`` are derived from both (and
the compute server's status) by ``api_status``/``operating_status`` below,
with upstream Trove's values, so that the CLI and dashboards read them
unchanged. Codes and descriptions are upstream's, so operators who query
the infrastructure database directly find familiar numbers.

Backups (``backups.state``) and clusters (``clusters.task_id``) have tasks
of their own, upstream's too; which change of task may follow which is
declared per resource kind in ``state_machine``.
"""

import collections

Task = collections.namedtuple('Task', 'code name action description is_error')

_TASKS = [
    Task(0x01, 'NONE', 'NONE', 'No tasks for the instance.', False),
    Task(0x02, 'DELETING', 'DELETING', 'Deleting the instance.', False),
    Task(0x03, 'REBOOTING', 'REBOOTING', 'Rebooting the instance.', False),
    Task(0x04, 'RESIZING', 'RESIZING', 'Resizing the instance.', False),
    Task(0x05, 'BUILDING', 'BUILDING', 'The instance is building.', False),
    Task(0x08, 'PROMOTING', 'PROMOTING',
         'Promoting the instance to replica source.', False),
    Task(0x09, 'EJECTING', 'EJECTING', 'Ejecting the replica source.',
         False),
    Task(0x0b, 'DETACHING', 'DETACHING',
         'Detaching the instance from replica source.', False),
    Task(0x0c, 'UPDATING', 'UPDATING', 'Updating the instance.', False),
    Task(0x59, 'UPGRADING', 'UPGRADING', 'Upgrading the instance.', False),
    # NOTE(compat): upstream's description of this code names a cluster.
    Task(0x5a, 'UPGRADING_ERROR', 'UPGRADING', 'Upgrading Cluster Error.',
         True),
    Task(0x55, 'PROMOTION_ERROR', 'PROMOTING', 'Replica Promotion Error.',
         True),
    Task(0x56, 'EJECTION_ERROR', 'EJECTING',
         'Replica Source Ejection Error.', True),
    Task(0x51, 'BUILDING_ERROR_SERVER', 'BUILDING', 'Build error: Server.',
         True),
    Task(0x5d, 'UPDATING_ERROR_ACCESS', 'UPDATING', 'Update error: Access.',
         True),
    Task(0x5b, 'BUILDING_ERROR_TIMEOUT_GA', 'ERROR',
         'Build error: guestagent timeout.', True),
    # NOTE(deadlines): trove_lite's own error tasks, so that every
    # transitional task has an error task to expire into.
    Task(0x60, 'BUILDING_ERROR_GUEST', 'BUILDING',
         'Build error: the datastore failed to start.', True),
    Task(0x61, 'REBOOTING_ERROR', 'REBOOTING', 'Restart error.', True),
    Task(0x62, 'DELETING_ERROR', 'DELETING', 'Delete error.', True),
    Task(0x63, 'RESIZING_ERROR', 'RESIZING', 'Resize error.', True),
    Task(0x64, 'DETACHING_ERROR', 'DETACHING', 'Detach error.', True),
]

TASKS = {task.name: task for task in _TASKS}
TASKS_BY_CODE = {task.code: task for task in _TASKS}

NONE = TASKS['NONE']
DELETING = TASKS['DELETING']
REBOOTING = TASKS['REBOOTING']
RESIZING = TASKS['RESIZING']
BUILDING = TASKS['BUILDING']
BUILDING_ERROR_SERVER = TASKS['BUILDING_ERROR_SERVER']
BUILDING_ERROR_TIMEOUT_GA = TASKS['BUILDING_ERROR_TIMEOUT_GA']
BUILDING_ERROR_GUEST = TASKS['BUILDING_ERROR_GUEST']
REBOOTING_ERROR = TASKS['REBOOTING_ERROR']
DELETING_ERROR = TASKS['DELETING_ERROR']
RESIZING_ERROR = TASKS['RESIZING_ERROR']
PROMOTING = TASKS['PROMOTING']
EJECTING = TASKS['EJECTING']
DETACHING = TASKS['DETACHING']
UPDATING = TASKS['UPDATING']
UPDATING_ERROR_ACCESS = TASKS['UPDATING_ERROR_ACCESS']
PROMOTION_ERROR = TASKS['PROMOTION_ERROR']
EJECTION_ERROR = TASKS['EJECTION_ERROR']
DETACHING_ERROR = TASKS['DETACHING_ERROR']
UPGRADING = TASKS['UPGRADING']
UPGRADING_ERROR = TASKS['UPGRADING_ERROR']


def task(code):
    """The ``Task`` with ``code``; unknown codes read as NONE."""
    return TASKS_BY_CODE.get(code, NONE)


# -- Backups (upstream's trove/backup/state.py) --------------------------------
# NOTE(backups): ``backups.state`` stores the state's name, so a backup
# state's ``code`` is its name.
_BACKUP_STATES = [
    Task('NEW', 'NEW', 'NEW', 'The backup was requested.', False),
    Task('BUILDING', 'BUILDING', 'BUILDING', 'The guest is taking the '
         'backup.', False),
    Task('SAVING', 'SAVING', 'SAVING', 'The backup is being stored.', False),
    Task('COMPLETED', 'COMPLETED', 'COMPLETED', 'The backup is stored.',
         False),
    Task('FAILED', 'FAILED', 'FAILED', 'The backup failed.', True),
    Task('RESTORED', 'RESTORED', 'RESTORED', 'The backup was registered '
         'from an existing location.', False),
    Task('DELETE_FAILED', 'DELETE_FAILED', 'DELETE_FAILED',
         'The backup could not be deleted.', True),
    # NOTE(deadlines): trove_lite's own: upstream deletes a backup with no
    # state of its own, so a worker that died mid-delete left no trace.
    Task('DELETING', 'DELETING', 'DELETING', 'The backup is being deleted.',
         False),
]

BACKUP_STATES = {state.name: state for state in _BACKUP_STATES}

BACKUP_NEW = BACKUP_STATES['NEW']
BACKUP_BUILDING = BACKUP_STATES['BUILDING']
BACKUP_SAVING = BACKUP_STATES['SAVING']
BACKUP_COMPLETED = BACKUP_STATES['COMPLETED']
BACKUP_FAILED = BACKUP_STATES['FAILED']
BACKUP_RESTORED = BACKUP_STATES['RESTORED']
BACKUP_DELETE_FAILED = BACKUP_STATES['DELETE_FAILED']
BACKUP_DELETING = BACKUP_STATES['DELETING']

# Upstream's running states: a backup in one of them makes its instance
# show BACKUP.
BACKUP_RUNNING = frozenset([BACKUP_NEW, BACKUP_BUILDING, BACKUP_SAVING])


def backup_state(code):
    """The backup state named ``code``; unknown names read as FAILED."""
    return BACKUP_STATES.get(code, BACKUP_FAILED)


# -- Clusters (upstream's trove/cluster/tasks.py) -----------------------------

_CLUSTER_TASKS = [
    Task(1, 'NONE', 'NONE', 'No tasks for the cluster.', False),
    Task(2, 'BUILDING', 'BUILDING', 'Building the initial cluster.', False),
    Task(3, 'DELETING', 'DELETING', 'Deleting the cluster.', False),
    Task(4, 'ADDING_SHARD', 'ADDING_SHARD', 'Adding a shard to the cluster.',
         False),
    Task(5, 'GROWING_CLUSTER', 'GROWING_CLUSTER',
         'Increasing the size of the cluster.', False),
    Task(6, 'SHRINKING_CLUSTER', 'SHRINKING_CLUSTER',
         'Decreasing the size of the cluster.', False),
    Task(7, 'UPGRADING_CLUSTER', 'UPGRADING_CLUSTER',
         'Upgrading the cluster to new version.', False),
    Task(8, 'RESTARTING_CLUSTER', 'RESTARTING_CLUSTER',
         'Restarting the cluster.', False),
    Task(9, 'UPDATING_CLUSTER', 'UPDATING_CLUSTER',
         'Updating cluster configuration.', False),
]
# NOTE(deadlines): trove_lite's own error tasks (0x60 | the task's code),
# so that every transitional cluster task has an error task to expire into;
# upstream puts a failed cluster back to NONE and leaves the error on its
# instances.
_CLUSTER_TASKS += [
    Task(0x60 | t.code, '%s_ERROR' % t.name, t.action,
         '%s failed.' % t.description.rstrip('.'), True)
    for t in _CLUSTER_TASKS if t.code != 1]

CLUSTER_TASKS = {t.name: t for t in _CLUSTER_TASKS}
CLUSTER_TASKS_BY_CODE = {t.code: t for t in _CLUSTER_TASKS}

CLUSTER_NONE = CLUSTER_TASKS['NONE']
CLUSTER_BUILDING = CLUSTER_TASKS['BUILDING']
CLUSTER_DELETING = CLUSTER_TASKS['DELETING']
CLUSTER_ADDING_SHARD = CLUSTER_TASKS['ADDING_SHARD']
CLUSTER_GROWING = CLUSTER_TASKS['GROWING_CLUSTER']
CLUSTER_SHRINKING = CLUSTER_TASKS['SHRINKING_CLUSTER']
CLUSTER_UPGRADING = CLUSTER_TASKS['UPGRADING_CLUSTER']
CLUSTER_RESTARTING = CLUSTER_TASKS['RESTARTING_CLUSTER']
CLUSTER_UPDATING = CLUSTER_TASKS['UPDATING_CLUSTER']


def cluster_task(code):
    """The cluster ``Task`` with ``code``; unknown codes read as NONE."""
    return CLUSTER_TASKS_BY_CODE.get(code, CLUSTER_NONE)


ServiceStatus = collections.namedtuple('ServiceStatus',
                                       'code name description api_name')

_SERVICE_STATUSES = [
    ServiceStatus(0x01, 'RUNNING', 'running', 'ACTIVE'),
    ServiceStatus(0x02, 'BLOCKED', 'blocked', 'BLOCKED'),
    ServiceStatus(0x03, 'PAUSED', 'paused', 'SHUTDOWN'),
    ServiceStatus(0x04, 'SHUTDOWN', 'shutdown', 'SHUTDOWN'),
    ServiceStatus(0x05, 'DELETED', 'deleted', 'DELETED'),
    ServiceStatus(0x06, 'CRASHED', 'crashed', 'SHUTDOWN'),
    ServiceStatus(0x08, 'FAILED', 'failed to spawn', 'FAILED'),
    ServiceStatus(0x09, 'BUILDING', 'building', 'BUILD'),
    ServiceStatus(0x16, 'UNKNOWN', 'unknown', 'ERROR'),
    ServiceStatus(0x17, 'NEW', 'new', 'NEW'),
    ServiceStatus(0x18, 'FAILED_TIMEOUT_GUESTAGENT', 'guestagent error',
                  'ERROR'),
    ServiceStatus(0x19, 'INSTANCE_READY', 'instance ready', 'BUILD'),
    ServiceStatus(0x20, 'RESTART_REQUIRED', 'restart required',
                  'RESTART_REQUIRED'),
    ServiceStatus(0x21, 'HEALTHY', 'healthy', 'HEALTHY'),
    ServiceStatus(0x22, 'RESTARTING', 'restarting', 'RESTARTING'),
]

SERVICE_STATUSES = {status.name: status for status in _SERVICE_STATUSES}
SERVICE_BY_CODE = {status.code: status for status in _SERVICE_STATUSES}
SERVICE_BY_DESCRIPTION = {status.description: status
                          for status in _SERVICE_STATUSES}

SVC_RUNNING = SERVICE_STATUSES['RUNNING']
SVC_SHUTDOWN = SERVICE_STATUSES['SHUTDOWN']
SVC_CRASHED = SERVICE_STATUSES['CRASHED']
SVC_BLOCKED = SERVICE_STATUSES['BLOCKED']
SVC_DELETED = SERVICE_STATUSES['DELETED']
SVC_FAILED = SERVICE_STATUSES['FAILED']
SVC_BUILDING = SERVICE_STATUSES['BUILDING']
SVC_UNKNOWN = SERVICE_STATUSES['UNKNOWN']
SVC_NEW = SERVICE_STATUSES['NEW']
SVC_FAILED_TIMEOUT_GUESTAGENT = SERVICE_STATUSES['FAILED_TIMEOUT_GUESTAGENT']
SVC_HEALTHY = SERVICE_STATUSES['HEALTHY']
SVC_RESTARTING = SERVICE_STATUSES['RESTARTING']
SVC_RESTART_REQUIRED = SERVICE_STATUSES['RESTART_REQUIRED']


def service_status(code):
    """The ``ServiceStatus`` with ``code``; unknown codes read as UNKNOWN."""
    return SERVICE_BY_CODE.get(code, SVC_UNKNOWN)


# Service statuses in which the datastore may be acted upon.
ACTIONABLE_SERVICE = frozenset([SVC_RUNNING, SVC_SHUTDOWN, SVC_CRASHED,
                                SERVICE_STATUSES['BLOCKED'], SVC_HEALTHY,
                                SVC_RESTART_REQUIRED])

# Statuses of the compute server (Nova's vocabulary; the local driver
# reports the same words).
SERVER_BUILD = 'BUILD'
SERVER_ACTIVE = 'ACTIVE'
SERVER_SHUTDOWN = 'SHUTDOWN'
SERVER_ERROR = 'ERROR'
SERVER_DELETED = 'DELETED'
_SHOWN_SERVER_STATUSES = frozenset(['BUILD', 'ERROR', 'REBOOT', 'RESIZE',
                                    'ACTIVE', 'SHUTDOWN'])

_ACTION_STATUS = {
    'REBOOTING': 'REBOOT',
    'RESIZING': 'RESIZE',
    'RESTART_REQUIRED': 'RESTART_REQUIRED',
    'PROMOTING': 'PROMOTE',
    'EJECTING': 'EJECT',
    'DETACHING': 'DETACH',
    'UPGRADING': 'UPGRADE',
}


def api_status(task_code, server_status, backing_up=False,
               service_status=None):
    """The API's ``status`` of an instance (upstream's rules, in order,
    and one of trove_lite's).

    :param task_code: ``instances.task_id``.
    :param server_status: the compute server's status, None if it has none.
    :param backing_up: a backup of the instance is running (NEW, BUILDING
        or SAVING); the backup's deadline and the conductor's reconcilers
        end it, so BACKUP never outlasts it.
    :param service_status: the ``ServiceStatus`` as it stands, or None
        when the caller does not know it (then it plays no part).
    """
    current = task(task_code)
    if current.is_error:
        return 'ERROR'
    if current is BUILDING:
        return 'ERROR' if server_status == SERVER_ERROR else 'BUILD'
    if current.action in _ACTION_STATUS:
        return _ACTION_STATUS[current.action]
    if current is DELETING:
        # NOTE(compat): upstream shows ERROR for a server still building;
        # here delete works in BUILD too, and that is a shutdown.
        return 'ERROR' if server_status == SERVER_ERROR else 'SHUTDOWN'
    if service_status is SVC_FAILED and server_status == SERVER_ACTIVE:
        # NOTE(supervision): no task failed, but the guest agent gave up
        # on a server that kept crashing (guestagent/supervisor.py) and
        # reported why as a fault; upstream would show ACTIVE with an
        # operating_status of FAILED, and nobody would look at the fault.
        return 'ERROR'
    if service_status is SVC_RESTART_REQUIRED and \
            server_status == SERVER_ACTIVE:
        # A configuration change waits for a restart (as upstream).
        return 'RESTART_REQUIRED'
    if backing_up:
        return 'BACKUP'
    if server_status in _SHOWN_SERVER_STATUSES:
        return server_status
    return 'UNKNOWN'


def operating_status(task_code, server_status, status):
    """The API's ``operating_status``: the datastore's health, shown only
    once the control plane is done and the server runs.

    :param status: the ``ServiceStatus`` as it stands (after heartbeat
        expiry was applied by the caller).
    """
    if task(task_code) is not NONE or server_status != SERVER_ACTIVE:
        return ''
    return status.api_name
