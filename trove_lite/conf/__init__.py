"""Configuration for every trove_lite process.

Each option group lives in a module of its own and registers itself on the
global ``cfg.CONF`` here, so ``from trove_lite import conf; CONF = conf.CONF``
is all a module needs. ``opts.list_opts`` feeds oslo-config-generator.
"""

from oslo_config import cfg

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

CONF = cfg.CONF

default.register_opts(CONF)
api.register_opts(CONF)
backup.register_opts(CONF)
compute.register_opts(CONF)
conductor.register_opts(CONF)
database.register_opts(CONF)
datastores.register_opts(CONF)
deadlines.register_opts(CONF)
guest_agent.register_opts(CONF)
guest_broker.register_opts(CONF)
guest_logs.register_opts(CONF)
instances.register_opts(CONF)
messaging.register_opts(CONF)
notifications.register_opts(CONF)
nova.register_opts(CONF)
quota.register_opts(CONF)
replication.register_opts(CONF)
taskmanager.register_opts(CONF)
upgrade_levels.register_opts(CONF)
