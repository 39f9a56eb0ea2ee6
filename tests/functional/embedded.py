"""Driving ``trove-lite-all`` in its embedded shape, as a new user does.

``start(...)`` runs it with its defaults (SQLite, in-process RPC, the local
compute driver, guest agents as threads) in a short state directory of its
own; ``start_fake(...)`` the same with the fake compute driver and the
``fake`` datastore registered. ``cli`` runs the real ``openstack`` CLI
against it with noauth; ``wait_for`` polls an instance's status.

This is the one place the functional tests start the embedded shape: a
module that needs its own service (its own options, or state no other
module may see) wraps ``start`` in a module-scoped fixture of its own.
"""

import contextlib
import json
import os
import pathlib
import subprocess
import tempfile

import requests

from tests.functional import conftest
from tests.functional import fixtures
from tests import waiting

PROJECT = '0d6f3c3ee52f4b7aa0d0f4a7c1a2b3c4'


class Embedded:
    """A running ``trove-lite-all`` (see ``start``)."""

    def __init__(self, endpoint, state, process, config, base=None):
        self.endpoint = endpoint
        self.state = state
        self.process = process
        self.config = config
        self.base = base
        self.lives = 1

    def crash_and_start(self):
        """``kill -9`` the service, then start it again on the same state
        and port, as a host's supervisor does after a crash.
        """
        self.process.popen.kill()
        self.process.popen.wait()
        self.process.stop()
        self.lives += 1
        self.process = conftest.Process(
            'trove-lite-all', ['--config-file', self.config],
            self.state / ('all-%d.log' % self.lives))
        conftest.wait_for_http(self.base + '/', self.process)

    def __getitem__(self, key):
        # NOTE(compat): tests written against the dict this used to be.
        return getattr(self, key)

    def instance_dir(self, instance_id):
        return self.state / 'state' / 'instances' / instance_id


@contextlib.contextmanager
def start(sections=None, **defaults):
    """Run ``trove-lite-all``; yields an ``Embedded``.

    :param sections: other sections of its config file, e.g.
        ``{'oslo_messaging_notifications': {...}}``.
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
    config = fixtures.write_config(
        state / 'trove-lite.conf',
        dict(fixtures.with_private_address_range(sections), DEFAULT=options))
    process = conftest.Process('trove-lite-all', ['--config-file', config],
                               state / 'all.log')
    base = 'http://127.0.0.1:%d' % port
    running = Embedded('%s/v1.0/%s' % (base, PROJECT), state, process,
                       config, base)
    try:
        conftest.wait_for_http(base + '/', process)
        yield running
        assert running.process.stop() == 0, running.process.log()
    finally:
        running.process.stop()
        conftest.remove_state(state)


@contextlib.contextmanager
def start_fake(sections=None, **defaults):
    """``start`` with the fake compute driver, whose guests keep databases
    and users in memory, and the ``fake`` datastore registered.
    """
    # NOTE(fake): fake guests send one heartbeat, at prepare; keep it
    # fresh for the whole module.
    defaults = dict({'compute_driver': 'fake',
                     'agent_heartbeat_expiry': 3600}, **defaults)
    with start(sections, **defaults) as running:
        conftest.register_fake_datastore(running.config)
        yield running


def run_cli(embedded, *args):
    """The real ``openstack`` CLI against ``embedded``; CompletedProcess."""
    return subprocess.run(
        [os.path.join(conftest.BIN_DIR, 'openstack'), '--os-auth-type',
         'none', '--os-endpoint', embedded.endpoint] + list(args),
        capture_output=True, text=True, timeout=120,
        stdin=subprocess.DEVNULL,
        env=dict(os.environ, OS_CLOUD='', OS_AUTH_URL=''))


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


def shown(embedded, instance_id):
    """The instance as the API shows it; None once it is gone."""
    resp = api_show(embedded, instance_id)
    if resp.status_code == 404:
        return None
    assert resp.status_code == 200, resp.text
    return resp.json()['instance']


def wait_for(embedded, instance_id, statuses, seen=None, deadline=180):
    """Poll until the status is one of ``statuses`` (and HEALTHY when
    ACTIVE); fail on ERROR (``tests.waiting.wait_for_status``).
    """
    return waiting.wait_for_status(
        lambda: shown(embedded, instance_id), statuses, timeout=deadline,
        seen=seen, describe=embedded.process.log)


def wait_until_gone(embedded, instance_id, deadline=120):
    waiting.wait_for_status(lambda: shown(embedded, instance_id),
                            waiting.GONE, timeout=deadline,
                            describe=embedded.process.log)


def processes_mentioning(text):
    found = subprocess.run(['pgrep', '-f', text], capture_output=True,
                           text=True)
    return found.stdout.split()
