"""One chaos run from start to table: scratch database, proxy, cloud,
driver, clean-up.

``run`` is what ``python -m tests.chaos`` and ``test_chaos.py`` call.
"""

import shutil
import urllib.parse

from tests.chaos import driver as driver_mod
from tests.chaos import harness
from tests.chaos import leftovers
from tests.chaos import proxy as proxy_mod
from tests.chaos import report
from tests.functional import fixtures
from tests import waiting


def _upstream():
    parsed = urllib.parse.urlsplit(fixtures.RABBIT_URL)
    return parsed.hostname or '127.0.0.1', parsed.port or 5672


def _finish(cloud, results):
    """Stop the services and look for what outlived them."""
    results.stop_codes = cloud.stop()
    # NOTE(api): an API's forked workers stop a moment after it.
    waiting.wait_for(lambda: not cloud.service_leftovers(), timeout=10,
                     interval=0.5)
    results.leftovers['service processes'] = [
        '%d %s' % (pid, args[:120])
        for pid, args in sorted(cloud.service_leftovers().items())]


def run(settings, log=print, keep_logs=None):
    """Run the chaos ``settings`` describe; returns ``(Results, table)``.

    :param keep_logs: a directory to copy the services' and guests' logs
        into before the run's directory is removed.
    """
    with fixtures.mariadb_database('trove_lite_chaos') as db_url:
        proxy = proxy_mod.SeverableProxy(_upstream()).start()
        options = {'DEFAULT': dict(settings.deadlines)}
        cloud = harness.Cloud(db_url, proxy, settings.taskmanagers, options)
        log('chaos run directory %s, API %s, broker proxy %s' % (
            cloud.root, cloud.base, proxy.url_host))
        ids = []
        try:
            cloud.start()
            chaos = driver_mod.Driver(cloud, settings, log)
            results = chaos.run()
            ids = chaos.monitor.ids()
            _finish(cloud, results)
        finally:
            cloud.stop()
            if keep_logs:
                shutil.copytree(cloud.root, keep_logs, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns(
                                    'data', '*.sock', '*.pid'))
            try:
                leftovers.remove_broker_objects(cloud.exchange, ids)
            finally:
                cloud.cleanup()
    return results, report.format_table(results)
