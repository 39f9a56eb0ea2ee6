"""The defaults of the embedded shape (``trove-lite-all``).

One process on one machine with no OpenStack: no authentication, RPC
through an in-process transport, the infrastructure database in a SQLite
file under ``state_path`` (that one is already every service's default),
and ``mysql`` as the datastore of a create that names none (as
upstream's devstack sets it, so that the book's ``openstack database
instance create db1 --flavor m1.tiny --size 1`` works). A config file
given with ``--config-file`` still overrides any of these.
"""

from oslo_messaging import opts as messaging_opts

# NOTE(embedded): common.memory_bus, registered by rpc.init.
EMBEDDED_TRANSPORT_URL = 'kombu+trove-lite-memory:////'

EMBEDDED_DEFAULTS = {
    'auth_strategy': 'noauth',
    'transport_url': EMBEDDED_TRANSPORT_URL,
    'default_datastore': 'mysql',
}

# The in-memory broker has no heartbeats; asking for them only logs noise.
EMBEDDED_RABBIT_DEFAULTS = {
    'heartbeat_timeout_threshold': 0,
}


def _register_messaging_opts(conf):
    # NOTE(embedded): oslo.messaging registers its options only when the
    # first transport is built; their defaults must change before parsing.
    # It names the DEFAULT group None.
    wanted = {None: {'transport_url'},
              'oslo_messaging_rabbit': set(EMBEDDED_RABBIT_DEFAULTS)}
    for group, opts in messaging_opts.list_opts():
        if group in wanted:
            conf.register_opts([opt for opt in opts
                                if opt.dest in wanted[group]], group=group)


def apply(conf):
    """Make the embedded values the defaults (call before parsing)."""
    _register_messaging_opts(conf)
    for name, value in EMBEDDED_DEFAULTS.items():
        conf.set_default(name, value)
    for name, value in EMBEDDED_RABBIT_DEFAULTS.items():
        conf.set_default(name, value, group='oslo_messaging_rabbit')
