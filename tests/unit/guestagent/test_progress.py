"""A guest reports the progress of a long operation, without flooding."""

from unittest import mock

import pytest

from tests.unit.guestagent import fakes
from tests.unit import rpc_fixtures
from tests.unit.rpc_fixtures import conf_overrides  # noqa: F401
from tests.unit.rpc_fixtures import memory_bus  # noqa: F401
from tests.unit.rpc_fixtures import start_service  # noqa: F401
from trove_lite.conductor import rpcapi as conductor_rpcapi
from trove_lite.guestagent import progress
from trove_lite.guestagent import status


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.fixture
def sent():
    reporter = mock.Mock(spec=status.StatusReporter)
    reporter.report_progress.return_value = True
    return reporter


def _reports(reporter):
    return [c.args for c in reporter.report_progress.call_args_list]


def test_percent_is_worked_out_from_the_bytes(sent):
    reporter = progress.ProgressReporter(sent, 'backup', 'b1', 'backup')
    assert reporter.update(step='copy', bytes_done=25, bytes_total=100)
    assert _reports(sent) == [('backup', 'b1', 'backup', {
        'step': 'copy', 'percent': 25.0, 'bytes_done': 25,
        'bytes_total': 100})]


def test_reports_within_the_interval_are_held_back(sent):
    clock = Clock()
    reporter = progress.ProgressReporter(sent, 'backup', 'b1', 'backup',
                                         min_interval=5, clock=clock)
    assert reporter.update(step='copy', percent=1)
    clock.now += 1
    assert not reporter.update(step='copy', percent=2)
    # A new step always goes, as does a forced update and done().
    assert reporter.update(step='verify', percent=3)
    assert reporter.update(step='verify', percent=4, force=True)
    clock.now += 5
    assert reporter.update(step='verify', percent=5)
    assert reporter.done(message='finished')
    assert [args[3].get('percent') for args in _reports(sent)] == [
        1, 3, 4, 5, 100.0]
    assert reporter.sent == 5


def test_progress_reaches_the_conductor(memory_bus, start_service):  # noqa
    topic = rpc_fixtures.unique_topic('conductor')
    memory_bus.set('conductor_queue', topic)
    conductor = fakes.FakeConductor()
    start_service(topic, 'conductor-1', conductor)
    reporter = status.StatusReporter('i1', conductor_rpcapi.ConductorAPI(),
                                     tenant_id='t')
    assert progress.ProgressReporter(reporter, 'instance', 'i1',
                                     'prepare').update(step='init',
                                                       percent=10)
    assert conductor.wait_for(lambda c: c.progress)
    [report] = conductor.progress
    assert (report['resource'], report['operation'], report['progress']) == (
        ('instance', 'i1'), 'prepare', {'step': 'init', 'percent': 10})


def test_an_older_conductor_gets_no_progress_and_nothing_fails(
        memory_bus):  # noqa: F811
    memory_bus.set('conductor', '1.1', group='upgrade_levels')
    reporter = status.StatusReporter('i1', conductor_rpcapi.ConductorAPI())
    assert not progress.ProgressReporter(reporter, 'instance', 'i1',
                                         'prepare').update(percent=10)


def test_a_failing_conductor_client_is_no_error():
    conductor = mock.Mock(spec=conductor_rpcapi.ConductorAPI)
    conductor.report_progress.side_effect = RuntimeError('broker gone')
    reporter = status.StatusReporter('i1', conductor)
    assert reporter.report_progress('instance', 'i1', 'prepare', {}) is False
