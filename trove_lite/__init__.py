"""trove_lite: a Trove-compatible Database-as-a-Service control plane.

Importing the package selects oslo.service's threading backend. It has to
happen here, before any module of ours runs: ``import oslo_messaging``
imports ``oslo_service.service``, which picks the *eventlet* backend as a
side effect when none was chosen yet, and after that the choice cannot be
changed (``init_backend(THREADING)`` raises ``BackendAlreadySelected``).
Every trove_lite module is imported through this package, so none of them
can pull oslo.messaging in first.
"""

from oslo_service import backend as _service_backend

_service_backend.init_backend(_service_backend.BackendType.THREADING)
