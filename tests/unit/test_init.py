"""Importing trove_lite selects oslo.service's threading backend."""

import subprocess
import sys

# oslo_messaging is imported before the backend can be looked at, which is
# exactly the order that selects eventlet when trove_lite does not act first.
PROBE = '''
import trove_lite.common.rpc
import oslo_messaging
from oslo_service import backend
print(backend.get_backend_type().value)
'''


def test_import_selects_threading_backend():
    result = subprocess.run([sys.executable, '-c', PROBE], check=True,
                            capture_output=True, text=True)
    assert result.stdout.strip() == 'threading'
