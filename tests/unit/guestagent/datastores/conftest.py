"""Fixtures shared by the tests of the datastore managers."""

import os
import shutil
import tempfile

import pytest


@pytest.fixture
def open_dir():
    """A directory everyone may enter, in /tmp (pytest's own is private)."""
    path = tempfile.mkdtemp(prefix='trove-lite-unit-')
    os.chmod(path, 0o755)
    yield path
    for root, dirs, _ in os.walk(path):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o755)
    shutil.rmtree(path)
