"""Driving ``trove-lite-all`` in its embedded shape, as a new user does.

``start(...)`` runs it with its defaults (SQLite, in-process RPC, the local
compute driver, guest agents as threads) in a short state directory of its
own; ``cli`` runs the real ``openstack`` CLI against it with noauth.
"""

import contextlib
import json
import os
import pathlib
import subprocess
import tempfile
import time

import requests

from tests.functional import conftest
from tests.functional import fixtures

PROJECT = '0d6f3c3ee52f4b7aa0d0f4a7c1a2b3c4'


class Embedded:
    """A running ``trove-lite-all`` (see ``start``)."""

    def __init__(self, endpoint, state, process):
        self.endpoint = endpoint
        self.state = state
        self.process = process

    def __getitem__(self, key):
        # NOTE(compat): tests written against the dict this used to be.
        return getattr(self, key)

    def instance_dir(self, instance_id):
        return self.state / 'state' / 'instances' / instance_id


@contextlib.contextmanager
def start(**defaults):
    """Run ``trove-lite-all``; yields an ``Embedded``.

    :param defaults: extra ``[DEFAULT]`` options.
    """
    # NOTE(local): a short directory the datastore users may enter:
    # pytest's temporary root is private, and a unix socket path has at
    # most 107 characters.
    state = pathlib.Path(tempfile.mkdtemp(prefix='tl-', dir='/tmp'))
    os.chmod(state, 0o755)
    port = fixtures.free_port()
    options = {'bind_host': '127.0.0.1', 'bind_port': port,
               'state_path': state / 'state', 'report_interval': 2}
    options.update(defaults)
    config = fixtures.write_config(state / 'trove-lite.conf',
                                   {'DEFAULT': options})
    process = conftest.Process('trove-lite-all', ['--config-file', config],
                               state / 'all.log')
    base = 'http://127.0.0.1:%d' % port
    try:
        conftest.wait_for_http(base + '/', process)
        yield Embedded('%s/v1.0/%s' % (base, PROJECT), state, process)
        assert process.stop() == 0, process.log()
    finally:
        process.stop()
        conftest.remove_state(state)


def run_cli(embedded, *args):
    """The real ``openstack`` CLI against ``embedded``; CompletedProcess."""
    return subprocess.run(
        [os.path.join(conftest.BIN_DIR, 'openstack'), '--os-auth-type',
         'none', '--os-endpoint', embedded.endpoint] + list(args),
        capture_output=True, text=True, timeout=120,
        stdin=subprocess.DEVNULL)


def cli(embedded, *args, parse=True):
    """``run_cli`` that must succeed; its JSON output parsed when ``parse``.
    """
    result = run_cli(embedded, *(list(args) + (['-f', 'json'] if parse
                                               else [])))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if parse else result.stdout


def api_show(embedded, instance_id):
    return requests.get('%s/instances/%s' % (embedded.endpoint,
                                             instance_id), timeout=10)


def wait_for(embedded, instance_id, statuses, seen=None, deadline=180):
    """Poll until the status is one of ``statuses`` (and HEALTHY when
    ACTIVE); fail on ERROR.
    """
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        shown = api_show(embedded, instance_id).json()['instance']
        if seen is not None:
            seen.append(shown['status'])
        if shown['status'] in statuses and (
                shown['status'] != 'ACTIVE' or
                shown['operating_status'] == 'HEALTHY'):
            return shown
        assert shown['status'] != 'ERROR', (shown, embedded.process.log())
        time.sleep(0.5)
    raise AssertionError('%s never reached %s:\n%s' % (
        instance_id, statuses, embedded.process.log()))


def wait_until_gone(embedded, instance_id, deadline=120):
    end = time.monotonic() + deadline
    while api_show(embedded, instance_id).status_code != 404:
        assert time.monotonic() < end, embedded.process.log()
        time.sleep(0.5)


def processes_mentioning(text):
    found = subprocess.run(['pgrep', '-f', text], capture_output=True,
                           text=True)
    return found.stdout.split()
