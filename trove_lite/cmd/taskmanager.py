"""``trove-lite-taskmanager``: the workflow service.

Any number of taskmanagers may share the ``taskmanager_queue`` topic; each
also listens as ``[DEFAULT] host``, so a message can be pinned to one. On
start it ends the operations its previous life left locked
(``taskmanager/stale_locks.py``), adopts the local instances of its host
when its driver has ``adopt_servers`` (their agents are started again if
they are not running), and keeps a cloud driver's flavors copied into the
flavor catalogue (``taskmanager.flavor_sync``). Every taskmanager also
looks for due backup schedules (``taskmanager.backup_schedules``); one
wins each run and starts its backup on its own workflow engine.
"""

from oslo_log import log as logging

from trove_lite.cmd import common
from trove_lite.cmd import launchers
from trove_lite.common import context
from trove_lite.common import rpc
from trove_lite.common import service
from trove_lite.db.repositories import backups as backup_repo
from trove_lite.taskmanager import backup_schedules
from trove_lite.taskmanager import flavor_sync
from trove_lite.taskmanager import manager
from trove_lite.taskmanager import stale_locks

CONF = common.CONF
LOG = logging.getLogger(__name__)


def build_service(driver=None, runner=None, endpoint=None):
    """The taskmanager's RPC service, not yet started.

    :param endpoint: the ``manager.Manager`` (made from ``driver`` and
        ``runner`` when omitted).
    """
    return service.RPCService(CONF.taskmanager_queue, CONF.host,
                              endpoint or manager.Manager(driver, runner))


def scheduled_backup_actions(begin, begin_delete, run_workflow):
    """The ``start_backup`` and ``start_delete`` of a ``ScheduleRunner``.

    Each does what the backup API does (``begin`` or ``begin_delete``
    records the change and its workflow in one transaction), then runs
    the workflow on this taskmanager instead of casting a wake-up: the
    taskmanager that won the run is a fine one to take the backup.

    :param begin: ``begin(context, instance_id, name, description=None,
        parent_id=None, incremental=False, swift_container=None,
        schedule_id=None) -> (row, workflow_id, holder)``.
    :param begin_delete: ``begin_delete(context, backup_id) -> (ids,
        holder, workflow_id)``.
    :param run_workflow: ``run_workflow(workflow_id)``, the engine's
        ``run``.
    """
    def start_backup(context, schedule, name, parent_id):
        row, workflow_id, _holder = begin(
            context, schedule.instance_id, name,
            description=schedule.description, parent_id=parent_id,
            incremental=parent_id is not None, schedule_id=schedule.id)
        run_workflow(workflow_id)
        return row.id

    def start_delete(context, backup_id):
        ids, _holder, workflow_id = begin_delete(context, backup_id)
        run_workflow(workflow_id)
        return ids

    return start_backup, start_delete


def build_schedule_runner(endpoint, begin, begin_delete):
    """The ``ScheduleRunner`` of this taskmanager, not yet started."""
    start_backup, start_delete = scheduled_backup_actions(
        begin, begin_delete, endpoint.engine.run)
    return backup_schedules.ScheduleRunner(start_backup, start_delete)


def build_services():
    """Everything a taskmanager runs, in launch order; fails the operations
    this host's previous life held and adopts this host's instances
    (``rpc.init()`` must have run).

    :returns: ``[launcher service, flavor sync, flow runner, workflow
        engine, backup schedule runner, RPC service]``: stopped in
        reverse, so no message arrives, no schedule runs and no workflow
        is claimed for a stopped runner, and agents stop last.
    """
    # NOTE(locks): before this taskmanager runs any flow, so that every
    # lock naming this host is a dead flow's (taskmanager/stale_locks.py).
    try:
        stale_locks.fail_stale_locks(context.get_admin_context())
    except Exception:
        # NOTE(locks): their deadlines end them instead, later.
        LOG.exception('Ending the operations this host left locked failed')
    driver, launcher = launchers.build_compute_driver()
    adopt_servers = getattr(driver, 'adopt_servers', None)
    if adopt_servers is not None:
        # NOTE(local): a driver whose servers are this host's processes
        # re-adopts them; a cloud's servers run on without us.
        try:
            adopt_servers(context.get_admin_context())
        except Exception:
            LOG.exception('Adopting the instances of this host failed')
    runner = manager.FlowRunner()
    endpoint = manager.Manager(driver, runner)
    services = [launchers.LauncherService(launcher),
                flavor_sync.FlavorSyncService(driver), runner,
                endpoint.engine]
    services.append(build_schedule_runner(endpoint, backup_repo.begin,
                                          backup_repo.begin_delete))
    return services + [build_service(endpoint=endpoint)]


def main(argv=None):
    """Run the taskmanager until SIGTERM or SIGINT; returns the exit code."""
    common.init_process(argv)
    rpc.init(CONF)
    try:
        return service.serve(build_services())
    finally:
        rpc.cleanup()
