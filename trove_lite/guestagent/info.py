"""Who a guest agent is: its identity, read from ``guest_info.conf``.

The control plane writes ``guest_info.conf`` into the instance directory:
``[DEFAULT] guest_id`` and the ``[guest]`` section (datastore, tenant,
instance directory, address, port, per-instance key). Nothing else about
the control plane is in it: an agent knows only itself.

In the embedded shape every agent is a thread of ``trove-lite-all``, one
per instance, so an agent must never read its identity from the
process-wide ``cfg.CONF``: ``load()`` parses the file into a private
``cfg.ConfigOpts`` and returns a plain, immutable ``GuestInfo``. A
standalone ``trove-lite-guestagent --config-file .../guest_info.conf``
reads the same file the same way.
"""

import dataclasses
import os

from oslo_config import cfg

from trove_lite.conf import guest_agent

GUEST_INFO_FILE = 'guest_info.conf'
TRANSPORT_URL_OPT = cfg.StrOpt('transport_url', secret=True)
DEFAULT_PORTS = {'mysql': 3306, 'mariadb': 3306, 'postgresql': 5432,
                 'redis': 6379}


@dataclasses.dataclass(frozen=True)
class GuestInfo:
    """The identity of one guest agent.

    :param guest_id: the instance the agent serves (topic
        ``guestagent.<guest_id>``).
    :param datastore_manager: entry point name in
        ``trove_lite.guestagent.datastores`` (``mysql``, ``mariadb``, ...);
        None for an agent that only answers ``rpc_ping``.
    :param datastore_version: the datastore version number.
    :param server_path: the directories holding the version's server
        binaries, searched before PATH (empty: the host's own).
    :param tenant_id: the project that owns the instance.
    :param instance_dir: the instance's directory (data/, run/, log/).
    :param bind_host: the address the datastore listens on.
    :param port: the port the datastore listens on.
    :param instance_key: the per-instance key (sealing of the guest
        channel); never logged.
    :param transport_url: ``[DEFAULT] transport_url``: the broker identity
        of the guest's own; an agent thread connects with it instead of
        the process's transport. Never logged.
    """

    guest_id: str
    datastore_manager: str = None
    datastore_version: str = None
    server_path: tuple = ()
    tenant_id: str = None
    instance_dir: str = None
    bind_host: str = None
    port: int = None
    instance_key: str = dataclasses.field(default=None, repr=False)
    transport_url: str = dataclasses.field(default=None, repr=False)

    def path(self, *parts):
        """A path inside the instance directory.

        :raises: ValueError when the agent has no instance directory.
        """
        if not self.instance_dir:
            raise ValueError('guest %s has no [guest] instance_dir'
                             % self.guest_id)
        return os.path.join(self.instance_dir, *parts)


def new_conf():
    """A private ``ConfigOpts`` with the guest options registered."""
    conf = cfg.ConfigOpts()
    guest_agent.register_opts(conf)
    guest_agent.register_guest_opts(conf)
    # NOTE(guest_broker): oslo.messaging's own option, which a
    # trove-lite-guestagent process reads from the same file; registered
    # here so an agent thread finds its identity in the file too.
    conf.register_opt(TRANSPORT_URL_OPT)
    return conf


def load(paths):
    """Read a guest's identity from ``guest_info.conf``.

    :param paths: a file path, or a list of them (later files win, as with
        repeated ``--config-file``).
    :returns: a ``GuestInfo``.
    :raises: oslo_config.cfg.ConfigFilesNotFoundError if a file is missing;
        oslo_config.cfg.RequiredOptError('guest_id') if no file names the
        guest; oslo_config.cfg.ConfigFileValueError for a malformed value.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = [str(path) for path in paths]
    conf = new_conf()
    # NOTE(embedded): no command line, no environment, no default search
    # path: only the named files may shape this agent, whatever the
    # process it runs in was started with.
    conf(args=[], project='trove-lite', default_config_files=paths,
         default_config_dirs=[], use_env=False)
    if not conf.guest_id:
        raise cfg.RequiredOptError('guest_id')
    guest = conf.guest
    manager = guest.datastore_manager
    port = guest.port
    if port is None and manager:
        port = DEFAULT_PORTS.get(manager)
    return GuestInfo(guest_id=conf.guest_id, datastore_manager=manager,
                     datastore_version=guest.datastore_version,
                     server_path=tuple(guest.server_path or ()),
                     tenant_id=guest.tenant_id,
                     instance_dir=guest.instance_dir,
                     bind_host=guest.bind_host, port=port,
                     instance_key=guest.instance_key,
                     transport_url=conf.transport_url)
