"""The embedded shape's driver: agent threads need no broker options."""

from trove_lite.broker import base
from trove_lite.broker import memory


def test_agent_thread_gets_no_options():
    driver = memory.MemoryDriver()
    grant = base.Grant('a1', 'guestagent.a1', 'a1', 'c', 'e')
    assert driver.create_identity(None, grant) is None
    assert driver.delete_identity(None, 'a1') is None
