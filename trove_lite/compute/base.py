"""The compute driver interface: where an instance's host comes from.

The taskmanager's flows are the only callers; the API never touches a
driver. A driver provides the host of one instance (a Nova server, or a
directory and a loopback address on this machine), starts the instance's
guest agent on it, and removes all of it again. Drivers are stevedore
plugins of namespace ``trove_lite.compute.drivers``, chosen by
``[DEFAULT] compute_driver``; ``fake`` sits beside every real one.
"""

import abc
import collections

from oslo_config import cfg

from trove_lite.common import exception
from trove_lite.common import plugins

NAMESPACE = 'trove_lite.compute.drivers'

# One address of a server, as the API shows it: {'address', 'type'}.
ADDRESS_PRIVATE = 'private'


class ComputeError(exception.ServerError):
    message = 'The compute driver failed: %(reason)s'


Server = collections.namedtuple('Server', 'id addresses status')
Server.__doc__ = """What ``create_server`` made.

:param id: the driver's id of the server (``instances.compute_instance_id``).
:param addresses: ``[{'address': str, 'type': 'private'|'public'}]``.
:param status: one of ``states.SERVER_*``.
"""


class ComputeDriver(abc.ABC):
    """Base of the compute drivers.

    Every method takes the request context first (for the infrastructure
    database and, for cloud drivers, the tenant's credentials). ``instance``
    is an ``instances`` row as the repository returns it.
    """

    @abc.abstractmethod
    def create_server(self, context, instance, flavor, guest_info):
        """Provide the instance's host and start its guest agent there.

        Writes the agent's ``guest_info.conf`` (its identity, its
        per-instance key, its datastore) and starts the agent; the agent
        reports through heartbeats once it runs.

        :param flavor: the ``flavors`` row (``ram`` MB, ``vcpus``, ``disk``).
        :param guest_info: ``{'datastore_manager', 'datastore_version',
            'tenant_id'}`` and optionally ``'port'``: the ``[guest]``
            options the driver cannot know itself.
        :returns: a ``Server``.
        :raises: ComputeError (or a driver-specific error) when the host
            cannot be provided; whatever was made is left for
            ``delete_server`` to remove.
        """

    @abc.abstractmethod
    def delete_server(self, context, instance):
        """Remove the instance's host and everything of it.

        Stops the guest agent and every other process of the instance,
        removes every file and frees its address. Idempotent: deleting
        what is (partly or wholly) gone already is not an error, so that a
        failed create's revert, a delete flow and a retried delete can all
        call it.

        :raises: ComputeError when something could not be removed; a
            retry may succeed.
        """

    @abc.abstractmethod
    def server_status(self, context, instance):
        """The status of the instance's host.

        :returns: one of ``states.SERVER_*`` (``SERVER_DELETED`` when it
            has none).
        """

    @abc.abstractmethod
    def console_output(self, context, instance, max_chars=4000):
        """The last output of the instance's host, for a fault's details.

        What tells an administrator why a guest agent never answered (the
        agent's log on a local server, the console log of a Nova server).

        :param max_chars: at most this many characters, the newest ones.
        :returns: text; '' when there is none (or it cannot be read).
        """

    @abc.abstractmethod
    def adopt_servers(self, context):
        """Take over the servers of this host after a (re)start.

        Called once when a taskmanager starts: restarts the guest agents of
        live instances whose agent is not running, so that restarting
        trove_lite does not lose its instances.

        :returns: the ids of the instances whose agent was started.
        """


def load_driver(name=None, **kwargs):
    """The compute driver ``name`` (``[DEFAULT] compute_driver`` if None).

    :param kwargs: passed to the driver's constructor (e.g. ``launcher``
        for the local driver).
    :raises: plugins.PluginNotFound when no such driver is installed.
    """
    return plugins.load(NAMESPACE, name or cfg.CONF.compute_driver,
                        option='[DEFAULT] compute_driver', kwargs=kwargs)
