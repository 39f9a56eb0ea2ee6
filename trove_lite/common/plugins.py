"""Which plugins are installed, without loading them.

Plugins are stevedore entry points declared in setup.cfg. The API must
know, for instance, whether a guest agent can manage a datastore before
accepting a create request, but it must not import the guest agent's code
to find out: reading the entry-point names is enough.
"""

import functools
from importlib import metadata

GUEST_DATASTORES = 'trove_lite.guestagent.datastores'


@functools.lru_cache(maxsize=None)
def names(namespace):
    """The names registered under ``namespace``, as a tuple.

    Read once per process: scanning every installed distribution's entry
    points took ~4 ms of each create request. A plugin installed later is
    seen after a restart, as it would only be loaded after one anyway.
    """
    return tuple(sorted({entry.name for entry in
                         metadata.entry_points(group=namespace)}))
