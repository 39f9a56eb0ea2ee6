"""The bounded chaos run of CI (see ``tests/chaos/__init__.py``).

The table is printed whether or not pytest captures output, so that it
is in every CI log; the assertions are the suite's aim: nothing stuck,
nothing left behind.
"""

import os

from tests.chaos import driver
from tests.chaos import run

ENV = 'TROVE_LITE_TEST_CHAOS_'


def _env(name, default, cast=int):
    value = os.environ.get(ENV + name)
    return default if value in (None, '') else cast(value)


def settings():
    """The CI budget: 30 operations (at most 2.5 minutes of them), 90 s
    to settle, deadlines of 60 s: shorter than the settle bound, so that
    an operation that died ends in ERROR by its deadline before the
    bound, and *stuck* means that not even its deadline ended it.
    """
    deadline = _env('DEADLINE', 60)
    settle = _env('SETTLE', 90, float)
    return driver.Settings(
        operations=_env('OPERATIONS', 30), seed=_env('SEED', None),
        taskmanagers=_env('TASKMANAGERS', 1), minutes=2.5, settle=settle,
        # A delete that failed by its deadline is sent again: room for it.
        delete_settle=max(settle, deadline + 45),
        deadlines={'build_timeout': deadline, 'restart_timeout': deadline,
                   'delete_timeout': deadline})


def test_chaos(capsys):
    results, table = run.run(settings(),
                             keep_logs=os.environ.get(ENV + 'LOGS'))
    with capsys.disabled():
        print('\n' + table)
    found = results.leftovers
    assert not results.stuck, table
    assert not results.undeleted, table
    for key in ('processes', 'directories', 'instances', 'local_servers',
                'locks', 'service processes'):
        assert not found[key], '%s left: %s\n%s' % (key, found[key], table)
