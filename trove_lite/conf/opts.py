"""Entry points for oslo-config-generator (``oslo.config.opts``)."""

import collections

from oslo_config import cfg
from oslo_db import options as db_options

from trove_lite.conf import api
from trove_lite.conf import backup
from trove_lite.conf import compute
from trove_lite.conf import conductor
from trove_lite.conf import database
from trove_lite.conf import datastores
from trove_lite.conf import deadlines
from trove_lite.conf import default
from trove_lite.conf import guest_agent
from trove_lite.conf import guest_broker
from trove_lite.conf import guest_logs
from trove_lite.conf import instances
from trove_lite.conf import messaging
from trove_lite.conf import notifications
from trove_lite.conf import nova
from trove_lite.conf import quota
from trove_lite.conf import replication
from trove_lite.conf import taskmanager
from trove_lite.conf import upgrade_levels

_MODULES = (default, api, instances, deadlines, messaging, notifications,
            quota, database, upgrade_levels, guest_agent, guest_broker,
            compute, taskmanager, conductor, datastores, backup,
            replication, guest_logs, nova)


def list_opts():
    """Return [(group, [opts])] for every option trove_lite registers."""
    grouped = collections.OrderedDict()
    for module in _MODULES:
        for group, opts in module.list_opts().items():
            grouped.setdefault(group, []).extend(opts)
    return list(grouped.items())


def set_lib_defaults():
    """Apply trove_lite's defaults to library options before sampling."""
    db_options.set_defaults(cfg.CONF,
                            connection=database.DEFAULT_CONNECTION)
    # NOTE(genconfig): ConfigOpts.set_default keeps the override inside
    # cfg.CONF, while the generator reads Opt.default from oslo.db's own
    # option list; set it there too so the sample shows the SQLite default.
    cfg.set_defaults(db_options.database_opts,
                     connection=database.DEFAULT_CONNECTION)
