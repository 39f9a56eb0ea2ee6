# NOTE(threading): pytest imports this package before any test module, and
# a test module may import oslo_messaging before trove_lite; importing
# trove_lite first selects oslo.service's threading backend (see
# trove_lite/__init__.py).
import trove_lite  # noqa: F401
