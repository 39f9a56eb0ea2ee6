"""The defaults of the embedded shape (``trove-lite-all``).

One process on one machine with no OpenStack: no authentication, RPC
through an in-process transport, the infrastructure database in a SQLite
file under ``state_path`` (that one is already every service's default).
A config file given with ``--config-file`` still overrides any of these.
"""

from oslo_messaging import opts as messaging_opts

EMBEDDED_TRANSPORT_URL = 'kombu+memory:////'

EMBEDDED_DEFAULTS = {
    'auth_strategy': 'noauth',
    'transport_url': EMBEDDED_TRANSPORT_URL,
}


def _register_messaging_opts(conf):
    # NOTE(embedded): oslo.messaging registers transport_url only when the
    # first transport is built; its default must change before parsing.
    for group, opts in messaging_opts.list_opts():
        # NOTE(embedded): oslo.messaging names the DEFAULT group None.
        if group in (None, 'DEFAULT'):
            conf.register_opts([opt for opt in opts
                                if opt.dest == 'transport_url'])


def apply(conf):
    """Make the embedded values the defaults (call before parsing)."""
    _register_messaging_opts(conf)
    for name, value in EMBEDDED_DEFAULTS.items():
        conf.set_default(name, value)
