"""Which plugins are installed, without loading them.

Plugins are stevedore entry points declared in setup.cfg. The API must
know, for instance, whether a guest agent can manage a datastore before
accepting a create request, but it must not import the guest agent's code
to find out: reading the entry-point names is enough.
"""

from importlib import metadata

GUEST_DATASTORES = 'trove_lite.guestagent.datastores'


def names(namespace):
    """The names registered under ``namespace``."""
    return sorted({entry.name for entry in
                   metadata.entry_points(group=namespace)})
