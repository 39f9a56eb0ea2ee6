"""Wiring the compute driver and the agent launcher."""

import pytest

from tests.unit import rpc_fixtures
from trove_lite.cmd import launchers
from trove_lite.compute.fake import driver as fake_driver
from trove_lite.compute.fake import guest as fake_guest
from trove_lite.compute.local import driver as local_driver
from trove_lite.compute.local import launcher as local_launcher


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
