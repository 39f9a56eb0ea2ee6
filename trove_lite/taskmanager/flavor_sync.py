"""Keeping the flavor catalogue in step with the compute driver.

The API lists flavors and the quotas count RAM from the infra database's
``flavors`` table (``db.repositories.flavors``), because a controller
never calls a compute driver. The taskmanager, which owns the driver,
copies a cloud driver's flavors there: once at start, then every
``[taskmanager] flavor_sync_interval`` seconds. A driver whose flavors are
that table already (``flavors_in_infra_db``: local, fake) is left alone.
"""

import threading

from oslo_config import cfg
from oslo_log import log as logging
from oslo_service.backend import base as service_base

from trove_lite.common import context as trove_context
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


class FlavorSyncService(service_base.ServiceBase):
    """Runs ``sync_flavors`` at start and then periodically on a thread.

    :param driver: the taskmanager's ``ComputeDriver``.
    :param interval: seconds (``[taskmanager] flavor_sync_interval`` when
        None); 0 syncs once, at start.
    """

    def __init__(self, driver, interval=None):
        self.driver = driver
        self.interval = interval
        self._stop = threading.Event()
        self._thread = None

    def run_once(self):
        """One copy; errors are logged, not raised (the next one may work)."""
        try:
            return sync_flavors(trove_context.get_admin_context(),
                                self.driver)
        except Exception:
            LOG.exception('Copying the flavors of the compute driver failed')
            return None

    def _loop(self, interval):
        self.run_once()
        while interval and not self._stop.wait(interval):
            self.run_once()

    def start(self):
        if self._thread is not None or self.driver.flavors_in_infra_db:
            return
        interval = (self.interval if self.interval is not None
                    else cfg.CONF.taskmanager.flavor_sync_interval)
        self._thread = threading.Thread(target=self._loop, args=(interval,),
                                        name='flavor-sync', daemon=True)
        self._thread.start()

    def stop(self):
        self._stop.set()

    def wait(self):
        if self._thread is not None:
            self._thread.join()

    def reset(self):
        """Nothing to reset."""
