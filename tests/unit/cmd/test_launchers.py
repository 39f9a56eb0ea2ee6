"""Wiring the compute driver and the agent launcher."""

import uuid

import pytest

from tests.unit import rpc_fixtures
from tests.unit.rpc_fixtures import conf_overrides  # noqa: F401
from tests.unit.rpc_fixtures import memory_bus  # noqa: F401
from trove_lite.broker import memory as broker_memory
from trove_lite.cmd import launchers
from trove_lite.common import context
from trove_lite.common import rpc
from trove_lite.compute.fake import driver as fake_driver
from trove_lite.compute.fake import guest as fake_guest
from trove_lite.compute.local import driver as local_driver
from trove_lite.compute.local import launcher as local_launcher
from trove_lite.guestagent import rpcapi as guest_rpcapi
from trove_lite.taskmanager.tasks import broker as broker_tasks


class FakeAgent:
    def __init__(self, path):
        self.path = path
        self.events = []

    def start(self):
        self.events.append('start')

    def stop(self):
        self.events.append('stop')

    def wait(self):
        self.events.append('wait')


@pytest.fixture
def made():
    return []


@pytest.fixture
def thread_launcher(made):
    def factory(path):
        made.append(FakeAgent(path))
        return made[-1]
    return launchers.ThreadAgentLauncher(factory)


def test_thread_launcher(thread_launcher, made):
    thread_launcher.start('i1', '/x/i1/guest_info.conf')
    thread_launcher.start('i1', '/x/i1/guest_info.conf')
    assert len(made) == 1 and made[0].path == '/x/i1/guest_info.conf'
    assert thread_launcher.running('i1')
    assert not thread_launcher.separate_process
    thread_launcher.stop('i1')
    thread_launcher.stop('i1')
    assert made[0].events == ['start', 'stop', 'wait']
    assert not thread_launcher.running('i1')


def test_launcher_service_stops_every_agent(thread_launcher, made):
    thread_launcher.start('i1', 'a')
    thread_launcher.start('i2', 'b')
    svc = launchers.LauncherService(thread_launcher)
    svc.start()
    svc.stop()
    svc.wait()
    assert [agent.events for agent in made] == [['start', 'stop', 'wait']] * 2
    launchers.LauncherService(None).stop()


@pytest.mark.parametrize('url,kind', [
    ('kombu+memory:////', launchers.ThreadAgentLauncher),
    ('rabbit://u:p@h:5672/', local_launcher.ProcessAgentLauncher),
])
def test_build_local_driver(override, url, kind):
    rpc_fixtures.register_messaging_opts()
    override('transport_url', url)
    driver, launcher = launchers.build_compute_driver('local')
    assert isinstance(driver, local_driver.LocalDriver)
    assert isinstance(launcher, kind)
    assert driver.launcher is launcher


def test_build_fake_driver_with_fake_guests(override):
    override('compute_driver', 'fake')
    driver, launcher = launchers.build_compute_driver()
    assert isinstance(driver, fake_driver.FakeDriver)
    assert isinstance(launcher, fake_guest.FakeGuestLauncher)


def write_guest_info(path, instance_id, transport_url=None):
    lines = ['[DEFAULT]', 'guest_id = %s' % instance_id]
    if transport_url:
        lines.append('transport_url = %s' % transport_url)
    path.write_text('\n'.join(lines) + '\n')
    return str(path)


def test_agent_thread_without_identity_shares_the_transport(
        tmp_path, memory_bus):  # noqa: F811
    made = launchers.guest_agent_factory(
        write_guest_info(tmp_path / 'g.conf', 'a1'))
    assert made.transport is None


def test_agent_thread_gets_a_transport_of_its_own_identity(
        tmp_path, memory_bus):  # noqa: F811
    instance_id = str(uuid.uuid4())
    driver = broker_memory.MemoryDriver()
    identity = driver.create_identity(
        None, broker_tasks.grant_for(instance_id))
    # A restarted trove-lite-all: the bus forgot the identity.
    driver.delete_identity(None, instance_id)
    made = launchers.guest_agent_factory(write_guest_info(
        tmp_path / 'g.conf', instance_id, identity['transport_url']))
    try:
        assert made.transport is not None
        assert made.transport is not rpc.get_rpc_transport()
        made.start()
        client = guest_rpcapi.GuestAgentAPI(context.get_admin_context(),
                                            instance_id)
        assert client.rpc_ping()['service'] == 'guestagent'
    finally:
        made.stop()
        made.wait()
        driver.delete_identity(None, instance_id)
