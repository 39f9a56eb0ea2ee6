"""Running a flow: what its outcome says in the log."""

import logging

from taskflow import task

from trove_lite.taskmanager.flows import common
from trove_lite.taskmanager.tasks import base


class _Raises(task.Task):
    def __init__(self, error, **kwargs):
        super().__init__(**kwargs)
        self.error = error

    def execute(self):
        raise self.error


def _run(error):
    flow = common.linear_flow('f').add(_Raises(error))
    return common.run_flow(flow, {}, 'Create', 'i-1')


def test_a_take_over_is_no_error_in_the_log(caplog):
    caplog.set_level(logging.INFO)
    assert _run(base.LockLost(uuid='i-1')) is False
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert 'Create of instance i-1 stopped' in caplog.text


def test_a_failure_is(caplog):
    assert _run(RuntimeError('boom')) is False
    assert [r.getMessage() for r in caplog.records
            if r.levelno >= logging.ERROR] == [
        'Create of instance i-1 failed']
