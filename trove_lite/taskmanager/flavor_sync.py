"""Keeping the flavor catalogue in step with the compute driver.

The API lists flavors and the quotas count RAM from the infra database's
``flavors`` table (``db.repositories.flavors``), because a controller
never calls a compute driver. The taskmanager, which owns the driver,
copies a cloud driver's flavors there: once at start, then every
``[taskmanager] flavor_sync_interval`` seconds. A driver whose flavors are
that table already (``flavors_in_infra_db``: local, fake) is left alone.
"""

from oslo_config import cfg
from oslo_log import log as logging

from trove_lite.common import context as trove_context
from trove_lite.common import service
from trove_lite.db.repositories import flavors as flavor_repo

LOG = logging.getLogger(__name__)


def sync_flavors(context, driver):
    """Copy ``driver``'s flavors into the catalogue.

    :returns: ``(written, removed)`` as ``flavors.sync``; ``(0, 0)`` for a
        driver whose flavors are the catalogue.
    :raises: whatever the driver's ``list_flavors`` raises.
    """
    if driver.flavors_in_infra_db:
        return 0, 0
    written, removed = flavor_repo.sync(context, driver.list_flavors(context))
    if written or removed:
        LOG.info('Flavor catalogue: %d written, %d removed', written,
                 removed)
    return written, removed


class FlavorSyncService(service.PeriodicService):
    """Runs ``sync_flavors`` at start and then periodically on a thread.

    :param driver: the taskmanager's ``ComputeDriver``.
    :param interval: seconds (``[taskmanager] flavor_sync_interval`` when
        None); 0 syncs once, at start.
    """

    run_at_start = True

    def __init__(self, driver, interval=None):
        super().__init__('flavor-sync')
        self.driver = driver
        self._interval = interval

    def enabled(self):
        return not self.driver.flavors_in_infra_db

    def interval(self):
        return (self._interval if self._interval is not None
                else cfg.CONF.taskmanager.flavor_sync_interval)

    def run_once(self):
        """One copy; errors are logged, not raised (the next one may work)."""
        try:
            return sync_flavors(trove_context.get_admin_context(),
                                self.driver)
        except Exception:
            LOG.exception('Copying the flavors of the compute driver failed')
            return None
