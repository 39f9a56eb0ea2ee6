"""Fixtures of the taskmanager tests: the fake compute driver with fake
guests, a conductor on the in-memory bus and the guest client stand-in
(``guest_client``). Contexts, flavors and instance rows come from
``tests/unit/conftest.py``.
"""

from unittest import mock

import oslo_messaging
import pytest

from tests.unit import rpc_fixtures
from tests.unit.rpc_fixtures import conf_overrides  # noqa: F401
from tests.unit.rpc_fixtures import memory_bus  # noqa: F401
from tests.unit.rpc_fixtures import start_service  # noqa: F401
from trove_lite.broker import base as broker_base
from trove_lite.common import sealing
from trove_lite.compute.fake import driver as fake_driver
from trove_lite.compute.fake import guest as fake_guest
from trove_lite.conductor import manager as conductor_manager
from trove_lite.db.repositories import datastores
from trove_lite.db.repositories import instances
from trove_lite.guestagent.datastores import fake as fake_datastore
from trove_lite.guestagent import info as guest_info
from trove_lite.guestagent import rpcapi as guest_rpcapi
from trove_lite.taskmanager.flows import common as flows_common
from trove_lite.taskmanager.flows import create_instance
from trove_lite.taskmanager.tasks import guest as guest_tasks

CONF = rpc_fixtures.CONF


@pytest.fixture
def conductor(memory_bus, start_service):  # noqa: F811
    return start_service(
        CONF.conductor_queue, 'conductor-1', conductor_manager.Manager(),
        sealing.ConductorSerializer(conductor_manager.instance_key))


@pytest.fixture
def guests():
    launcher = fake_guest.FakeGuestLauncher()
    yield launcher
    launcher.stop_all()


@pytest.fixture
def driver(guests):
    return fake_driver.FakeDriver(launcher=guests)


def _fake_datastore(instance_id):
    return fake_datastore.Manager(guest_info.GuestInfo(
        guest_id=instance_id, datastore_manager='fake'))


@pytest.fixture
def datastore_guests():
    """Fake guests with in-memory ``fake`` datastores: they keep
    databases and users, and replicate (strategy ``fake``).
    """
    launcher = fake_guest.FakeGuestLauncher(
        datastore_factory=_fake_datastore)
    yield launcher
    launcher.stop_all()


@pytest.fixture
def datastore_driver(datastore_guests):
    return fake_driver.FakeDriver(launcher=datastore_guests)


@pytest.fixture
def build_fake(ctx, flavor, datastore_driver, conductor):
    """``build_fake(replica_of=None, expect=True)``: an instance of the
    ``fake`` datastore built by the create flow (a replica of
    ``replica_of``, seeded from it; else with a database ``app``);
    returns its id once the flow returned ``expect``.
    """
    datastores.update_datastore(ctx, 'fake')
    version = datastores.upsert_version(ctx, 'fake', '1.0', 'fake')

    def _build(replica_of=None, expect=True):
        row = instances.create(ctx, {
            'name': 'db', 'tenant_id': 'p1', 'flavor_id': flavor.id,
            'volume_size': 1, 'datastore_version_id': version.id,
            'slave_of_id': replica_of})
        broker = broker_base.load_driver()
        arguments = {'databases': [] if replica_of else [{'name': 'app'}],
                     'users': [], 'root_password': None,
                     'replica_of': replica_of}
        built = flows_common.run_now(
            ctx, 'create', row.id,
            lambda job: create_instance.run_job(job, datastore_driver,
                                                broker),
            arguments=arguments)
        assert built is expect
        return row.id

    return _build


@pytest.fixture(autouse=True)
def fast_polls(monkeypatch):
    monkeypatch.setattr(guest_tasks.WaitForHealthy, 'poll_interval', 0.05)


@pytest.fixture
def guest_client(monkeypatch):
    """The guest agent client the tasks build, as an autospec of the real
    ``GuestAgentAPI``: a method it lacks or arguments it would refuse fail
    the test. Returns the client; ``guest_rpcapi.GuestAgentAPI`` is its
    (recording) class while the test runs.
    """
    client_class = mock.create_autospec(guest_rpcapi.GuestAgentAPI)
    client = client_class.return_value
    # NOTE(autospec): set in __init__, so the class does not declare it.
    client.client = mock.create_autospec(oslo_messaging.RPCClient,
                                         instance=True)
    monkeypatch.setattr(guest_rpcapi, 'GuestAgentAPI', client_class)
    return client
