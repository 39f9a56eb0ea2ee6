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


# The services' own import chain, then what an eventlet import finds.
NO_EVENTLET = '''
import trove_lite.cmd.all
import sys
from futurist import _utils
print(sys.modules.get('eventlet', 'absent'), _utils.EVENTLET_AVAILABLE)
try:
    import eventlet
except ImportError:
    print('refused')
'''

TOOL_FIRST = '''
import eventlet
import trove_lite
import sys
print(sys.modules['eventlet'] is eventlet)
'''


def test_import_keeps_eventlet_out():
    result = subprocess.run([sys.executable, '-c', NO_EVENTLET], check=True,
                            capture_output=True, text=True)
    assert result.stdout.split() == ['None', 'False', 'refused']


def test_a_process_that_imported_eventlet_first_keeps_it():
    result = subprocess.run([sys.executable, '-W', 'ignore', '-c',
                             TOOL_FIRST], check=True, capture_output=True,
                            text=True)
    assert result.stdout.strip() == 'True'
