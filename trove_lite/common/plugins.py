"""Plugins: which are installed, and loading one by name.

Plugins are stevedore entry points declared in setup.cfg. The API must
know, for instance, whether a guest agent can manage a datastore before
accepting a create request, but it must not import the guest agent's code
to find out: reading the entry-point names (``names``) is enough.

Everything that loads one plugin by a configured name (compute drivers,
datastore managers and manifests, reconcilers, and later backup and
replication strategies) goes through ``load``, so that a wrong name in a
configuration file always fails the same way: naming the namespace, the
name, the option it came from and the names that are installed.
"""

import functools
from importlib import metadata

from stevedore import driver

from trove_lite.common import exception

GUEST_DATASTORES = 'trove_lite.guestagent.datastores'
DATASTORE_MANIFESTS = 'trove_lite.datastore_manifests'


class PluginNotFound(exception.ServerError):
    """No plugin of that name is installed in the namespace."""

    message = ('No plugin %(name)r in namespace %(namespace)s%(source)s; '
               'installed: %(installed)s.')


class PluginLoadFailed(exception.ServerError):
    """A plugin is installed but cannot be imported or built."""

    message = ('Plugin %(name)r of namespace %(namespace)s%(source)s cannot '
               'be loaded: %(reason)s')


@functools.lru_cache(maxsize=None)
def names(namespace):
    """The names registered under ``namespace``, as a tuple.

    Read once per process: scanning every installed distribution's entry
    points took ~4 ms of each create request. A plugin installed later is
    seen after a restart, as it would only be loaded after one anyway.
    """
    return tuple(sorted({entry.name for entry in
                         metadata.entry_points(group=namespace)}))


def _source(option):
    return ' (from %s)' % option if option else ''


def load(namespace, name, option=None, invoke=True, args=(), kwargs=None):
    """The plugin ``name`` of ``namespace``, built when ``invoke``.

    :param option: where ``name`` came from (``'[DEFAULT] compute_driver'``),
        for the error message.
    :param invoke: build it as ``plugin(*args, **kwargs)``; otherwise
        return what the entry point names (a class, usually).
    :raises: PluginNotFound when nothing of that name is installed (the
        message lists what is); PluginLoadFailed when it cannot be
        imported or built. Errors of ours (``TroveLiteError``) that the
        plugin's constructor raises pass through unchanged, so that a
        plugin can refuse with its own message.
    """
    installed = names(namespace)
    if not name or name not in installed:
        raise PluginNotFound(name=name, namespace=namespace,
                             source=_source(option),
                             installed=', '.join(installed) or 'none')
    try:
        return driver.DriverManager(
            namespace, name, invoke_on_load=invoke, invoke_args=tuple(args),
            invoke_kwds=kwargs or {},
            on_load_failure_callback=_reraise).driver
    except exception.TroveLiteError:
        raise
    except Exception as err:
        raise PluginLoadFailed(name=name, namespace=namespace,
                               source=_source(option),
                               reason='%s: %s' % (type(err).__name__, err))


def _reraise(manager, entrypoint, err):
    raise err
