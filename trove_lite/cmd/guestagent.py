"""``trove-lite-guestagent``: the agent of one database instance.

Started as ``trove-lite-guestagent --config-file <instance_dir>/guest_info.conf``
(plus, usually, a config file with the bus settings). The agent's identity
(``[DEFAULT] guest_id`` and the ``[guest]`` section) is read from those
files into its own ``GuestInfo`` (guestagent/info.py), exactly as the
agents that ``trove-lite-all`` runs as threads read theirs; the bus
(``transport_url``) comes from the process configuration as usual. The
agent listens on topic ``guestagent.<guest_id>`` as server
``<guest_id>``. Without an identity there is nothing it could answer for,
so it refuses to start.
"""

import dataclasses
import sys

from oslo_config import cfg
from oslo_log import log as logging

from trove_lite.cmd import common
from trove_lite.common import exception
from trove_lite.common import rpc
from trove_lite.common import service
from trove_lite.guestagent import agent as guest_agent
from trove_lite.guestagent import info as guest_info

CONF = common.CONF
LOG = logging.getLogger(__name__)

# Exit code when the configuration cannot run an agent.
EXIT_CONFIG_ERROR = 2


def config_files():
    """The ``--config-file`` files this process was started with."""
    try:
        return list(CONF.config_file or [])
    except cfg.NoSuchOptError:  # the command line was never parsed
        return []


def load_info(guest_id=None):
    """This process's ``GuestInfo``, from its ``--config-file`` files.

    :param guest_id: overrides the files' ``[DEFAULT] guest_id``.
    :raises: oslo_config.cfg.RequiredOptError when no guest_id is known.
    """
    files = config_files()
    if files:
        try:
            info = guest_info.load(files)
        except cfg.RequiredOptError:
            if not guest_id:
                raise
            info = guest_info.GuestInfo(guest_id=guest_id)
    else:
        if not (guest_id or CONF.guest_id):
            raise cfg.RequiredOptError('guest_id')
        info = guest_info.GuestInfo(guest_id=guest_id or CONF.guest_id)
    if guest_id:
        info = dataclasses.replace(info, guest_id=guest_id)
    return info


def build_service(guest_id=None, serializer=None):
    """The guest agent (an ``agent.Agent``), not yet started.

    :param guest_id: the instance to serve; ``[DEFAULT] guest_id`` of the
        config files when omitted.
    :param serializer: the guest channel's serializer, if any.
    :raises: oslo_config.cfg.RequiredOptError when no guest_id is known;
        exception.GuestError when the datastore manager cannot be loaded.
    """
    return guest_agent.Agent(load_info(guest_id), serializer=serializer)


def main(argv=None):
    """Run the agent until SIGTERM or SIGINT; returns the exit code."""
    common.init_process(argv, infra_db=False)
    rpc.init(CONF)
    try:
        try:
            agent = build_service()
        except cfg.RequiredOptError:
            return _config_error(
                'trove-lite-guestagent: [DEFAULT] guest_id is not set; it '
                'names the instance this agent serves (the control plane '
                'writes it into guest_info.conf).')
        except (cfg.Error, exception.GuestError) as err:
            return _config_error('trove-lite-guestagent: %s' % err)
        return service.serve([agent])
    finally:
        rpc.cleanup()


def _config_error(message):
    LOG.error(message)
    print(message, file=sys.stderr)
    return EXIT_CONFIG_ERROR
