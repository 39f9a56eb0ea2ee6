"""trove_lite: a Trove-compatible Database-as-a-Service control plane.

Importing the package selects oslo.service's threading backend. It has to
happen here, before any module of ours runs: ``import oslo_messaging``
imports ``oslo_service.service``, which picks the *eventlet* backend as a
side effect when none was chosen yet, and after that the choice cannot be
changed (``init_backend(THREADING)`` raises ``BackendAlreadySelected``).
Every trove_lite module is imported through this package, so none of them
can pull oslo.messaging in first.

Tools that import oslo.messaging before us (oslo-config-generator reading
our options, for one) have already chosen; that is fine for them, since
they run no services, and ``common.rpc.get_server`` refuses to run a
server on anything but native threads.

It also makes eventlet unimportable in a process that has not imported it
yet. Nothing here runs on eventlet, but futurist, oslo.utils and
oslo.messaging each import it when they find it installed (oslo.service
requires it), to offer green executors we never use; with it go
dnspython, pyOpenSSL and greenlet: 10 MB resident in every service. All of
them treat a missing eventlet as "not installed".
"""

import sys

# NOTE(memory): a None entry in sys.modules is the import system's own way
# of saying "no such module": ``import eventlet`` raises ImportError. A
# process that imported eventlet before us (a tool) keeps it.
sys.modules.setdefault('eventlet', None)

from oslo_service import backend as _service_backend  # noqa: E402
from oslo_service.backend import exceptions as _backend_exceptions  # noqa

try:
    _service_backend.init_backend(_service_backend.BackendType.THREADING)
except _backend_exceptions.BackendAlreadySelected:
    pass
