"""Tests for the Agent: the endpoint delegating to its datastore manager
and reporting to a conductor, over the in-process bus.
"""

import threading
import uuid

import pytest

from tests.unit.guestagent import fakes
from tests.unit import rpc_fixtures
from tests.unit.rpc_fixtures import conf_overrides  # noqa: F401
from tests.unit.rpc_fixtures import memory_bus  # noqa: F401
from tests.unit.rpc_fixtures import start_service  # noqa: F401
from trove_lite.common import context
from trove_lite.common import exception
from trove_lite.common import states
from trove_lite.guestagent import agent as guest_agent
from trove_lite.guestagent import info as guest_info
from trove_lite.guestagent import rpcapi
from trove_lite import version

BOUND = 10
LONG = 3600


@pytest.fixture
def conductor(memory_bus, start_service):  # noqa: F811
    topic = rpc_fixtures.unique_topic('conductor')
    memory_bus.set('conductor_queue', topic)
    fake = fakes.FakeConductor()
    start_service(topic, 'conductor-1', fake)
    return fake


@pytest.fixture
def info(tmp_path):
    return guest_info.GuestInfo(guest_id=str(uuid.uuid4()),
                                datastore_manager='fake', tenant_id='t-1',
                                instance_dir=str(tmp_path))


@pytest.fixture
def make_agent(conductor, info):
    started = []

    def _make(manager=None, report_interval=LONG):
        agent = guest_agent.Agent(info, manager=manager or fakes.FakeManager(),
                                  report_interval=report_interval)
        agent.start()
        started.append(agent)
        return agent

    yield _make
    for agent in started:
        agent.stop()
        agent.wait()


@pytest.fixture
def api(memory_bus, info):  # noqa: F811
    return rpcapi.GuestAgentAPI(context.get_admin_context(), info.guest_id)


def test_first_heartbeat_at_start(make_agent, conductor, info):
    make_agent()
    assert conductor.wait_for(lambda c: c.heartbeats, BOUND)
    beat = conductor.heartbeats[0]
    assert beat['instance_id'] == info.guest_id
    assert beat['payload'] == {
        'service_status': 'shutdown', 'agent_version': version.VERSION,
        'backups': [], 'volume': {'used': 0.5, 'total': 2.0}}
    assert isinstance(beat['sent'], float)
    # The guest reports for its tenant, never as an admin.
    assert beat['context'].project_id == 't-1'
    assert not beat['context'].is_admin


def test_prepare_delegates_and_reports_building_then_healthy(
        make_agent, conductor, api):
    manager = fakes.FakeManager()
    manager.release.clear()
    make_agent(manager)
    api.prepare(512, [{'name': 'app'}], [{'name': 'u', 'password': 'p'}],
                root_password='r', volume_size=3)
    assert conductor.wait_for_status('building', BOUND)
    manager.release.set()
    assert conductor.wait_for_status('healthy', BOUND)
    assert manager.calls == [('prepare', 512, [{'name': 'app'}],
                              [{'name': 'u', 'password': 'p'}], 'r', 3)]
    statuses = conductor.statuses()
    assert statuses.index('building') < statuses.index('healthy')
    assert not conductor.faults


def test_failed_prepare_reports_fault_and_failed(make_agent, conductor,
                                                 api, info):
    manager = fakes.FakeManager(fail_prepare=exception.GuestError(
        message='mariadbd exited with code 1 while starting.\nlog tail'))
    make_agent(manager)
    api.prepare(512, [], [])
    assert conductor.wait_for(lambda c: c.faults, BOUND)
    assert conductor.wait_for_status('failed to spawn', BOUND)
    fault = conductor.faults[0]
    assert fault['instance_id'] == info.guest_id
    assert 'mariadbd exited with code 1 while starting.' in fault['message']
    assert 'log tail' not in fault['message']
    assert 'log tail' in fault['details']
    assert 'GuestError' in fault['details']
    # The agent stops what a failed prepare may have started.
    assert ('stop_db',) in manager.calls


def test_failed_status_sticks_until_the_next_prepare(make_agent, conductor,
                                                     api):
    agent = make_agent(fakes.FakeManager(fail_prepare=ValueError('boom')))
    api.prepare(512, [], [])
    assert conductor.wait_for_status('failed to spawn', BOUND)
    assert agent.reporter.current_status() is states.SVC_FAILED
    agent.datastore.fail_prepare = None
    api.prepare(512, [], [])
    assert conductor.wait_for(
        lambda c: c.statuses()[-1] == 'healthy', BOUND)


def test_restart_stop_and_stats_delegate(make_agent, conductor, api):
    agent = make_agent()
    agent.datastore.release.clear()
    restarted = threading.Thread(target=api.restart)
    restarted.start()
    assert conductor.wait_for_status('restarting', BOUND)
    agent.datastore.release.set()
    restarted.join(BOUND)
    assert agent.datastore.calls == [('restart',)]
    assert conductor.wait_for(lambda c: c.statuses()[-1] == 'healthy',
                              BOUND)
    api.stop_db()
    assert agent.datastore.calls[-1] == ('stop_db',)
    assert conductor.wait_for(lambda c: c.statuses()[-1] == 'shutdown',
                              BOUND)
    assert api.get_filesystem_stats() == {'total': 2.0, 'used': 0.5,
                                          'free': 1.5}


def test_restart_error_crosses_the_bus(make_agent, conductor, api):
    agent = make_agent()
    agent.datastore.restart = _raise(exception.GuestError(message='nope'))
    with pytest.raises(exception.GuestError) as caught:
        api.restart()
    assert str(caught.value) == 'nope'
    # The agent no longer claims to be restarting.
    assert agent.reporter.current_status() is states.SVC_SHUTDOWN


def test_agent_without_datastore_answers_ping_only(conductor, info,
                                                   api):
    agent = guest_agent.Agent(guest_info.GuestInfo(guest_id=info.guest_id),
                              report_interval=LONG)
    agent.start()
    try:
        assert api.rpc_ping()['instance_id'] == info.guest_id
        with pytest.raises(exception.GuestError):
            api.stop_db()
        assert conductor.wait_for_status('new', BOUND)
    finally:
        agent.stop()
        agent.wait()


def test_stop_is_prompt_and_leaves_the_datastore(make_agent, conductor):
    agent = make_agent()
    agent.datastore.running = True
    done = threading.Event()

    def stop():
        agent.stop()
        agent.wait()
        done.set()

    threading.Thread(target=stop).start()
    assert done.wait(BOUND)
    assert ('stop_db',) not in agent.datastore.calls


# -- the supervisor ------------------------------------------------------------

def test_a_server_that_dies_is_started_again_and_reported(
        make_agent, conductor, info, override):
    override('server_check_interval', 0.05, group='guest_agent')
    override('server_restart_backoff', 0, group='guest_agent')
    manager = fakes.SupervisedManager(info)
    agent = make_agent(manager)
    assert agent.supervisor is not None
    assert conductor.wait_for_status('healthy', BOUND)
    manager.crash()
    assert manager.started.wait(BOUND)
    assert manager.calls == [('start_db',)]
    assert conductor.wait_for(lambda c: c.statuses()[-1] == 'healthy',
                              BOUND)
    assert not conductor.faults


def test_a_server_that_keeps_dying_makes_the_agent_report_failed(
        make_agent, conductor, info, override):
    override('server_check_interval', 0.05, group='guest_agent')
    override('server_restart_backoff', 0, group='guest_agent')
    override('server_crash_limit', 2, group='guest_agent')
    manager = fakes.SupervisedManager(info, fail_starts=5,
                                      log='bad option (ERROR 1)\nAborting')
    make_agent(manager)
    manager.crash()
    assert conductor.wait_for_status('failed to spawn', BOUND)
    [fault] = conductor.faults
    assert 'Its log says: bad option (ERROR 1).' in fault['message']
    assert 'bad option (ERROR 1)\nAborting' in fault['details']
    # One start, after the first crash; the second was the limit.
    assert manager.calls == [('start_db',)]


def test_no_supervisor_when_disabled_or_nothing_to_supervise(
        conductor, info, override):
    override('server_restart_enabled', False, group='guest_agent')
    agent = guest_agent.Agent(info, manager=fakes.SupervisedManager(info),
                              report_interval=LONG)
    assert agent.supervisor is None
    override('server_restart_enabled', True, group='guest_agent')
    agent = guest_agent.Agent(info, manager=fakes.FakeManager(),
                              report_interval=LONG)
    assert agent.supervisor is None


def test_from_guest_info_loads_the_manager_by_entry_point(memory_bus,  # noqa: F811,E501
                                                          tmp_path):
    path = tmp_path / 'guest_info.conf'
    path.write_text('[DEFAULT]\nguest_id = inst-9\n[guest]\n'
                    'datastore_manager = mariadb\ninstance_dir = %s\n'
                    'bind_host = 127.77.0.9\n' % tmp_path)
    serializer = object()
    agent = guest_agent.from_guest_info(str(path), serializer=serializer)
    assert type(agent.datastore).__name__ == 'Manager'
    assert agent.datastore.info.bind_host == '127.77.0.9'
    assert agent.rpc_service.topic == 'guestagent.inst-9'
    assert agent.rpc_service.serializer is serializer


def test_unknown_datastore_is_a_start_error(memory_bus):  # noqa: F811
    info = guest_info.GuestInfo(guest_id='a', datastore_manager='nosuch')
    with pytest.raises(exception.GuestError) as caught:
        guest_agent.Agent(info)
    assert 'nosuch' in str(caught.value)


def _raise(err):
    def _fail(*args, **kwargs):
        raise err
    return _fail
