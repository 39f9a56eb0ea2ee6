"""Options of the guest agent: who this agent is and what it manages.

The control plane writes them into the instance's ``guest_info.conf``
(upstream's file name), so an agent only ever knows its own identity, its
own key and its own instance directory; never service credentials.

``[DEFAULT] guest_id`` names the agent of a ``trove-lite-guestagent``
process. Agents that run as threads inside ``trove-lite-all`` cannot use
the process-wide configuration (there is one agent per instance), so the
agent reads its ``[guest]`` section with a ``cfg.ConfigOpts`` of its own:
``guest_opts`` are registered there, and here only for the sample.

``[guest_agent]`` is how every agent of the process behaves, not who it
is: how its supervisor (``guestagent/supervisor.py``) restarts a datastore
server that died on its own, and when it gives up on one that keeps
dying. Agents that run as threads read it from ``trove-lite-all``'s
configuration; an agent process from its ``guest_info.conf``, where the
taskmanager copies the control plane's ``[guest_agent]`` (with ``[DEFAULT]
report_interval`` and the datastore's ``[<manager>]``) when it creates the
instance (``taskmanager/guest_files.py``).
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
    cfg.ListOpt('server_path', default=[],
                help='Directories holding the server binaries of the '
                     'datastore version (the absolute paths among the '
                     "version's packages), searched before PATH; empty: "
                     "the host's own binaries."),
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


supervisor_opts = [
    cfg.BoolOpt('server_restart_enabled', default=True,
                help='Whether the guest agent starts its datastore server '
                     'again when it dies on its own (killed, crashed, shut '
                     'down by someone else). A server the agent stopped '
                     'itself (restart, delete, stop_db) is never started '
                     'again by it.'),
    cfg.IntOpt('server_crash_limit', default=5, min=1,
               help='How many crashes within server_crash_window seconds '
                    'make the agent give up (a running server dying and a '
                    'start after a crash failing both count): the crash '
                    'that reaches this number is not restarted, and the '
                    'instance shows ERROR, with the last lines of the '
                    'server\'s log as its fault, until it is restarted.'),
    cfg.IntOpt('server_crash_window', default=300, min=1,
               help='Seconds over which crashes are counted against '
                    'server_crash_limit.'),
    cfg.FloatOpt('server_restart_backoff', default=1.0, min=0,
                 help='Seconds the agent waits before it starts a server '
                      'that died; doubled with every further crash within '
                      'server_crash_window, up to '
                      'server_restart_backoff_max.'),
    cfg.FloatOpt('server_restart_backoff_max', default=60.0, min=0,
                 help='The longest wait before a restart, however many '
                      'crashes came before.'),
    cfg.FloatOpt('server_check_interval', default=1.0, min=0.05,
                 help='Seconds between two looks of the agent at its '
                      'server\'s process (a look reads its pid file and '
                      '/proc, and never connects to it).'),
]


def register_opts(conf):
    conf.register_opts(guest_agent_opts)
    conf.register_opts(supervisor_opts, group='guest_agent')


def register_guest_opts(conf):
    """Register ``[guest]`` on an agent's own ConfigOpts."""
    conf.register_opts(guest_opts, group='guest')


def list_opts():
    return {'DEFAULT': guest_agent_opts, 'guest': guest_opts,
            'guest_agent': supervisor_opts}
