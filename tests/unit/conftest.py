"""Unit-test fixtures: one SQLite infra DB per session, emptied per test.

oslo.config and oslo.db's enginefacade are process-wide, so the session
configures them once (noauth API, SQLite file in a temporary directory)
(as defaults) and tests change options with ``CONF.set_override`` through the
``override`` fixture, which undoes them afterwards.
"""

import pytest

from tests.functional import fixtures
from tests.unit import db_utils
from trove_lite.cmd import common
from trove_lite.common import context
from trove_lite.common import policy
from trove_lite.db import api as db_api
from trove_lite.db import models
from trove_lite.db.repositories import flavors
from trove_lite.db.repositories import instances

CONF = common.CONF


@pytest.fixture(scope='session', autouse=True)
def _configured(tmp_path_factory):
    state = tmp_path_factory.mktemp('state')
    CONF([], project='trove-lite', default_config_files=[])
    CONF.set_default('state_path', str(state))
    CONF.set_default('auth_strategy', 'noauth')
    # NOTE(firewall): a unit test never changes this host's packet
    # filter; the local driver's tests give it a fake nft.
    CONF.set_default('access_enforcement', 'none', group='local')
    CONF.set_default('connection', 'sqlite:///%s/unit.sqlite' % state,
                     group='database')
    # NOTE(volumes): unit tests run anywhere, root or not, and mount
    # nothing; the loop volumes' commands are tested with a fake runner.
    CONF.set_default('volume_backend', 'directory', group='local')
    db_api.configure()
    models.Base.metadata.create_all(db_api.get_engine())
    yield
    db_api.dispose()


@pytest.fixture(autouse=True)
def _empty_tables():
    yield
    engine = db_api.get_engine()
    with engine.begin() as conn:
        for table in reversed(models.Base.metadata.sorted_tables):
            conn.execute(table.delete())
    policy.reset()


@pytest.fixture
def override():
    """``override(name, value, group=None)``, undone after the test."""
    done = []

    def _override(name, value, group=None):
        CONF.set_override(name, value, group=group)
        done.append((name, group))

    yield _override
    for name, group in done:
        CONF.clear_override(name, group=group)


@pytest.fixture
def ctx():
    """An admin request context: the one fixture every unit test that
    needs a context (and is not about whose context it is) asks for.
    """
    return context.get_admin_context()


@pytest.fixture
def flavor(ctx):
    """Flavor ``1``, ``m1.tiny`` (512 MB)."""
    return flavors.create_flavor(ctx, '1', 'm1.tiny', 512, 1, 1)


@pytest.fixture
def new_instance(ctx, flavor):
    """``new_instance()``: a BUILDING row of ``flavor`` as the API makes
    it (no lock).
    """
    def _new():
        return instances.create(ctx, {'name': 'db', 'tenant_id': 'p1',
                                      'flavor_id': flavor.id,
                                      'volume_size': 1})
    return _new


@pytest.fixture
def cli_state():
    """Forget the parsed command line and the database facade before and
    after the test, for tests that run a command's ``main()`` or
    ``prepare()`` in-process.
    """
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
