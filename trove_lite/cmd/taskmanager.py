"""``trove-lite-taskmanager``: the workflow service.

Any number of taskmanagers may share the ``taskmanager_queue`` topic; each
also listens as ``[DEFAULT] host``, so a message can be pinned to one. On
start it ends the operations its previous life left locked
(``taskmanager/stale_locks.py``), adopts the local instances of its host
when its driver has ``adopt_servers`` (their agents are started again if
they are not running), and keeps a cloud driver's flavors copied into the
flavor catalogue (``taskmanager.flavor_sync``).
"""

from oslo_log import log as logging

from trove_lite.cmd import common
from trove_lite.cmd import launchers
from trove_lite.common import context
from trove_lite.common import rpc
from trove_lite.common import service
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


def build_services():
    """Everything a taskmanager runs, in launch order; fails the operations
    this host's previous life held and adopts this host's instances
    (``rpc.init()`` must have run).

    :returns: ``[launcher service, flavor sync, flow runner, workflow
        engine, RPC service]``: stopped in reverse, so no message arrives
        and no workflow is claimed for a stopped runner, and agents stop
        last.
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
    return [launchers.LauncherService(launcher),
            flavor_sync.FlavorSyncService(driver), runner, endpoint.engine,
            build_service(endpoint=endpoint)]


def main(argv=None):
    """Run the taskmanager until SIGTERM or SIGINT; returns the exit code."""
    common.init_process(argv)
    rpc.init(CONF)
    try:
        return service.serve(build_services())
    finally:
        rpc.cleanup()
