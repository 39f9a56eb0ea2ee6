"""Datastore managers: what a guest agent knows about one database engine.

A manager drives the real server of one datastore family (``mysql`` and
``mariadb`` share the MySQL-family manager) for one instance: initialise
its data, start, stop, report its health, create databases and users. The
agent's endpoint (``guestagent.service``) is the same for every datastore
and delegates to the manager named by ``[guest] datastore_manager``, which
is loaded from the entry points of namespace ``NAMESPACE`` (setup.cfg), so
that a new datastore is a new plugin, never a new ``if``.
"""

from trove_lite.common import exception
from trove_lite.common import plugins

NAMESPACE = plugins.GUEST_DATASTORES


def load_manager(info):
    """The datastore manager of a guest, built for it.

    :param info: the agent's ``GuestInfo``; its ``datastore_manager`` names
        the entry point, and the manager is built as ``Manager(info)``.
    :returns: a ``base.DatastoreManager``.
    :raises: exception.GuestError if no plugin of that name is installed or
        it cannot be built (a start-up error of the agent).
    """
    try:
        return plugins.load(NAMESPACE, info.datastore_manager,
                            option='[guest] datastore_manager', args=(info,))
    except (plugins.PluginNotFound, plugins.PluginLoadFailed) as err:
        raise exception.GuestError(reason=str(err).rstrip('.'))
