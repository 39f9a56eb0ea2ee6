"""Our commands' ``main()`` run in-process: each test starts clean."""

import pytest


@pytest.fixture(autouse=True)
def clean_process_state(cli_state):
    """Each test parses its own command line against its own database."""
    yield
