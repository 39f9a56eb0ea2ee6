"""Fixtures for running our commands' ``main()`` in-process."""

import pytest

from tests.functional import fixtures
from tests.unit import db_utils
from trove_lite.db import api as db_api


@pytest.fixture(autouse=True)
def clean_process_state():
    """Each test parses its own command line against its own database."""
    db_utils.reset_cli()
    db_api.reset()
    yield
    db_utils.reset_cli()
    db_api.reset()


@pytest.fixture
def config_file(tmp_path):
    """A config file whose [database] is a SQLite file in ``tmp_path``."""
    return fixtures.write_config(tmp_path / 'trove-lite.conf', {
        'DEFAULT': {'state_path': tmp_path / 'state'},
        'database': {'connection': 'sqlite:///%s' % (tmp_path / 'db.sqlite')},
    })
