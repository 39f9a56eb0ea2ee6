"""Waiting, in tests, for what another thread or process does."""

import time


def wait_for(predicate, timeout=10, interval=0.05):
    """Whether ``predicate()`` became true within ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= end:
            return False
        time.sleep(interval)


GONE = 'gone'


def wait_for_status(show, wanted, timeout=180, interval=0.3, seen=None,
                    describe=None):
    """Poll an instance until its status is one of ``wanted``; returns the
    instance as ``show`` gave it (None when gone).

    The one "poll the instance status" of the functional tests, whatever
    shows the instance (REST, CLI, a persona's token).

    :param show: ``show()`` returns the instance's API view (a dict), or
        None once the instance is gone (404).
    :param wanted: a status or a collection of them; ``GONE`` waits for
        the 404.
    :param seen: a list each status seen is appended to.
    :param describe: ``describe()`` returns what a failure adds (e.g. the
        services' logs).
    :raises AssertionError: on ERROR (unless wanted) or at ``timeout``.
    """
    wanted = {wanted} if isinstance(wanted, str) else set(wanted)
    end = time.monotonic() + timeout
    while True:
        shown = show()
        status = GONE if shown is None else shown['status']
        if seen is not None:
            seen.append(status)
        # NOTE(race): a restart's flow ends (ACTIVE) before the conductor
        # stores the guest's healthy heartbeat, and until then databases
        # and users are refused (422): ACTIVE counts once the datastore is
        # HEALTHY too.
        if status in wanted and (status != 'ACTIVE' or
                                 shown.get('operating_status') == 'HEALTHY'):
            return shown
        if status == 'ERROR' and 'ERROR' not in wanted:
            raise AssertionError('instance is ERROR: %s\n%s' % (
                shown, describe() if describe else ''))
        if time.monotonic() >= end:
            raise AssertionError('instance never %s (last %s)\n%s' % (
                sorted(wanted), shown, describe() if describe else ''))
        time.sleep(interval)
