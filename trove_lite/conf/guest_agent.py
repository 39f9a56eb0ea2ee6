"""Options of the guest agent: who this agent is and what it manages.

The control plane writes them into the instance's ``guest_info.conf``
(upstream's file name), so an agent only ever knows its own identity, its
own key and its own instance directory; never service credentials.

``[DEFAULT] guest_id`` names the agent of a ``trove-lite-guestagent``
process. Agents that run as threads inside ``trove-lite-all`` cannot use
the process-wide configuration (there is one agent per instance), so the
agent reads its ``[guest]`` section with a ``cfg.ConfigOpts`` of its own:
``guest_opts`` are registered there, and here only for the sample.
"""

from oslo_config import cfg

guest_agent_opts = [
    # NOTE(guest): not required=True, because the option is registered on
    # the global CONF of every trove_lite process and oslo.config checks
    # required options at parse time; trove-lite-guestagent checks it.
    cfg.StrOpt('guest_id',
               help='ID of the database instance this guest agent manages. '
                    'The agent listens on topic guestagent.<guest_id> and '
                    'refuses to start without it.'),
]

guest_opts = [
    cfg.StrOpt('datastore_manager',
               help='Datastore manager of the instance (mysql, mariadb, '
                    'postgresql, redis): the entry point of namespace '
                    'trove_lite.guestagent.datastores the agent loads.'),
    cfg.StrOpt('datastore_version',
               help='Datastore version (number) of the instance.'),
    cfg.StrOpt('tenant_id', help='Project that owns the instance.'),
    cfg.StrOpt('instance_dir',
               help='Directory of the instance: its data volume (data/), '
                    'runtime files (run/) and logs (log/).'),
    cfg.HostAddressOpt('bind_host',
                       help='Address the datastore listens on.'),
    cfg.PortOpt('port',
                help='Port the datastore listens on; the datastore\'s '
                     'standard port when unset.'),
    cfg.StrOpt('instance_key', secret=True,
               help='Per-instance key that seals what this agent reports '
                    'and what the control plane sends it.'),
]


def register_opts(conf):
    conf.register_opts(guest_agent_opts)


def register_guest_opts(conf):
    """Register ``[guest]`` on an agent's own ConfigOpts."""
    conf.register_opts(guest_opts, group='guest')


def list_opts():
    return {'DEFAULT': guest_agent_opts, 'guest': guest_opts}
