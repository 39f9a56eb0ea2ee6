"""The process launcher with a dummy agent, and the agent mode."""

import os
import sys
import time

import pytest

from tests.unit import rpc_fixtures
from tests import waiting
from trove_lite.compute.local import launcher as agent_launcher
from trove_lite.compute.local import processes

DUMMY_AGENT = '''
import signal, sys, time
args = sys.argv[1:]
if 'ignore-term' in open(args[-1]).read():
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
print('agent', ' '.join(args), flush=True)
while True:
    time.sleep(0.1)
'''


@pytest.fixture
def instance_dir(tmp_path):
    path = tmp_path / 'instances' / 'inst-1'
    for sub in ('data', 'run', 'log'):
        (path / sub).mkdir(parents=True)
    (path / 'guest_info.conf').write_text('[DEFAULT]\nguest_id = inst-1\n')
    return path


@pytest.fixture
def launcher(tmp_path):
    script = tmp_path / 'agent.py'
    script.write_text(DUMMY_AGENT)
    return agent_launcher.ProcessAgentLauncher(
        instances_path=str(tmp_path / 'instances'),
        command=[sys.executable, str(script)], stop_timeout=1)


def test_start_running_stop(launcher, instance_dir):
    conf = str(instance_dir / 'guest_info.conf')
    launcher.start('inst-1', conf)
    pid = int((instance_dir / 'run' / 'agent.pid').read_text())
    assert launcher.running('inst-1')
    assert os.getsid(pid) == pid  # a session of its own
    log = instance_dir / 'log' / 'agent.log'
    assert waiting.wait_for(lambda: '--config-file %s' % conf in log.read_text())
    launcher.start('inst-1', conf)  # already running: no second agent
    assert int((instance_dir / 'run' / 'agent.pid').read_text()) == pid
    launcher.stop('inst-1')
    assert not processes.alive(pid)
    assert not launcher.running('inst-1')
    assert not (instance_dir / 'run' / 'agent.pid').exists()
    launcher.stop('inst-1')  # no error when stopped


def test_stop_kills_an_agent_that_ignores_sigterm(launcher, instance_dir):
    conf = instance_dir / 'guest_info.conf'
    conf.write_text('[DEFAULT]\n# ignore-term\n')
    launcher.start('inst-1', str(conf))
    pid = int((instance_dir / 'run' / 'agent.pid').read_text())
    assert waiting.wait_for(lambda: 'agent' in (
        instance_dir / 'log' / 'agent.log').read_text())
    started = time.monotonic()
    launcher.stop('inst-1')
    assert time.monotonic() - started >= 1
    assert not processes.alive(pid)


def test_a_new_launcher_adopts_a_running_agent(launcher, instance_dir,
                                               tmp_path):
    conf = str(instance_dir / 'guest_info.conf')
    launcher.start('inst-1', conf)
    other = agent_launcher.ProcessAgentLauncher(
        instances_path=str(tmp_path / 'instances'), stop_timeout=1)
    assert other.running('inst-1')
    other.stop('inst-1')
    assert not launcher.running('inst-1')


def test_a_stale_pid_file_is_not_an_agent(launcher, instance_dir):
    (instance_dir / 'run' / 'agent.pid').write_text('%d\n' % os.getppid())
    assert not launcher.running('inst-1')


def test_default_command_is_beside_the_interpreter():
    command = agent_launcher.ProcessAgentLauncher().command()
    assert command == [os.path.join(os.path.dirname(sys.executable),
                                    'trove-lite-guestagent')]


def test_configured_command_is_split_like_a_shell(override):
    override('agent_command', "/opt/agent --config-file '/etc/a b.conf'",
             group='local')
    assert agent_launcher.ProcessAgentLauncher().command() == [
        '/opt/agent', '--config-file', '/etc/a b.conf']


def test_an_explicit_command_wins_over_the_option(override):
    override('agent_command', '/opt/agent', group='local')
    launcher = agent_launcher.ProcessAgentLauncher(command=['/bin/agent'])
    assert launcher.command() == ['/bin/agent']


@pytest.mark.parametrize('mode,url,expected', [
    ('auto', 'kombu+memory:////', 'thread'),
    ('auto', 'fake://', 'thread'),
    ('auto', 'rabbit://u:p@h:5672/', 'process'),
    ('thread', 'rabbit://u:p@h:5672/', 'thread'),
    ('process', 'kombu+memory:////', 'process'),
])
def test_agent_mode(override, mode, url, expected):
    rpc_fixtures.register_messaging_opts()
    override('agent_mode', mode, group='local')
    override('transport_url', url)
    assert agent_launcher.agent_mode() == expected
