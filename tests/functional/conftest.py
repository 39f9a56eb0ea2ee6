"""Functional fixtures: real processes over real HTTP, RabbitMQ, MariaDB."""

import contextlib
import os
import pathlib
import shutil
import subprocess
import sys
import time

import pytest
import requests

from tests.functional import fixtures
from tests.functional import swift

BIN_DIR = os.path.dirname(sys.executable)
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
# Lines a test module wants in the session's terminal summary (printed
# with or without ``-s``): ``config.stash.setdefault(SUMMARY, [])``.
SUMMARY = pytest.StashKey[list]()


def pytest_terminal_summary(terminalreporter, config):
    for line in config.stash.get(SUMMARY, []):
        terminalreporter.write_line(line)


# NOTE(xdist): under ``pytest -n`` (tox's functional environment) the
# modules run in worker processes, whose terminal summary nobody sees:
# each worker hands its lines to the controller, which prints them.

def pytest_sessionfinish(session):
    output = getattr(session.config, 'workeroutput', None)
    if output is not None:
        output['summary'] = list(session.config.stash.get(SUMMARY, []))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    lines = getattr(node, 'workeroutput', {}).get('summary', [])
    node.config.stash.setdefault(SUMMARY, []).extend(lines)


def console_script(name):
    """Path of one of our console scripts in the running environment."""
    path = os.path.join(BIN_DIR, name)
    if not os.path.exists(path):
        raise RuntimeError('%s is not installed in %s; install trove_lite '
                           '(pip install -e .) first' % (name, BIN_DIR))
    return path


def run_script(name, *args, check=True, timeout=120):
    """Run a console script; returns the CompletedProcess."""
    result = subprocess.run([console_script(name)] + list(args),
                            capture_output=True, text=True, timeout=timeout,
                            stdin=subprocess.DEVNULL)
    if check and result.returncode != 0:
        raise AssertionError('%s %s exited %s:\n%s\n%s' % (
            name, ' '.join(args), result.returncode, result.stdout,
            result.stderr))
    return result


def register_fake_datastore(config):
    """Register the ``fake`` datastore with version ``1.0`` as its default
    (the fake compute driver's guests serve it) and its configuration
    parameters, as an operator would with ``trove-lite-manage``.
    """
    manage = ['--config-file', str(config)]
    run_script('trove-lite-manage', *manage, 'datastore_update', 'fake', '')
    run_script('trove-lite-manage', *manage, 'datastore_version_update',
               'fake', '1.0', 'fake', '', '', '1')
    run_script('trove-lite-manage', *manage, 'datastore_update', 'fake',
               '1.0')
    run_script('trove-lite-manage', *manage,
               'db_load_datastore_config_parameters', 'fake', '1.0',
               os.path.join(REPO_ROOT, 'etc', 'trove-lite', 'datastores',
                            'fake', 'validation-rules.json'))


class Process:
    """A service we started; stopped (and only it) at teardown.

    :param command: what runs it, when not our console script ``name``.
    :param cwd: its working directory (default: ours).
    """

    def __init__(self, name, args, log_path, command=None, cwd=None):
        self.name = name
        self.log_path = log_path
        self._log = open(log_path, 'w')
        command = command or [console_script(name)]
        self.popen = subprocess.Popen(
            list(command) + list(args), stdout=self._log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=cwd)

    def log(self):
        with open(self.log_path) as handle:
            return handle.read()

    def stop(self, timeout=20):
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._log.close()
        return self.popen.returncode


def wait_for_http(url, process, deadline=60):
    """Poll ``url`` until it answers; fail with the log if it never does."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if process.popen.poll() is not None:
            raise AssertionError('%s exited with %s:\n%s' % (
                process.name, process.popen.returncode, process.log()))
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise AssertionError('%s did not answer on %s within %ss:\n%s' % (
        process.name, url, deadline, process.log()))


def manage_setup(config, flavors=(('1', 'm1.tiny', '512', '1'),)):
    """What the README tells an operator to run first, with trove-lite-manage:
    the schema, a mysql datastore whose default version is 10.11, flavors.
    """
    manage = ['--config-file', config]
    run_script('trove-lite-manage', *manage, 'db_sync')
    run_script('trove-lite-manage', *manage, 'datastore_update', 'mysql', '')
    run_script('trove-lite-manage', *manage, 'datastore_version_update',
               'mysql', '10.11', 'mysql', '', '', '1')
    run_script('trove-lite-manage', *manage, 'datastore_update', 'mysql',
               '10.11')
    for flavor in flavors:
        run_script('trove-lite-manage', *manage, 'flavor_create', *flavor)


def wait_for_log(process, text, deadline=60):
    """Wait until ``text`` appears in the log of ``process``."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if text in process.log():
            return
        if process.popen.poll() is not None:
            break
        time.sleep(0.2)
    raise AssertionError('%s never logged %r:\n%s' % (process.name, text,
                                                      process.log()))


class SharedServices:
    """Services that several test modules share, each started once.

    What costs seconds to set up (Keystone) is started by the first
    module that asks and stopped when the session ends.
    """

    def __init__(self, stack):
        self._stack = stack
        self._started = {}

    def get(self, key, factory):
        """The service under ``key``; ``factory()`` makes its context
        manager the first time.
        """
        if key not in self._started:
            self._started[key] = self._stack.enter_context(factory())
        return self._started[key]


@pytest.fixture(scope='session')
def shared_services():
    with contextlib.ExitStack() as stack:
        yield SharedServices(stack)


@pytest.fixture(scope='session')
def swift_service(shared_services):
    """The session's real Swift (``tests/functional/swift.py``): a
    ``swift.Swift`` with ``auth_url``, ``user``, ``key``,
    ``storage_url`` and ``token()`` -> ``(storage_url, token)``.
    """
    return swift.shared(shared_services)


@pytest.fixture(scope='session')
def infra_db_url():
    """A scratch infrastructure database on the real MariaDB."""
    with fixtures.mariadb_database('trove_lite_func') as url:
        yield url


def remove_state(path):
    """Kill whatever still runs out of ``path``, then remove it.

    A failed test may leave datastore servers and agents running there.
    """
    found = subprocess.run(['pgrep', '-f', str(path)], capture_output=True,
                           text=True).stdout.split()
    for pid in found:
        try:
            os.kill(int(pid), 9)
        except (ProcessLookupError, ValueError):
            pass
    release_volumes(path)
    if os.environ.get('TROVE_LITE_KEEP_LOGS'):
        # Debugging a failure: the service's and the instances' logs stay.
        keep = pathlib.Path(os.environ['TROVE_LITE_KEEP_LOGS'])
        for log in pathlib.Path(path).rglob('*.log'):
            target = keep / log.relative_to(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(log, target)
    shutil.rmtree(path, ignore_errors=True)


def release_volumes(path):
    """Unmount the local driver's loop volumes a failed test left under
    ``path`` and detach their loop devices, so that nothing of ours stays
    mounted or attached on this host.
    """
    prefix = os.path.realpath(str(path)) + os.sep
    with open('/proc/mounts') as mounts:
        points = [line.split()[1] for line in mounts]
    for point in sorted(points, reverse=True):
        if point.startswith(prefix):
            subprocess.run(['umount', '-l', point], capture_output=True)
    for image in pathlib.Path(path).rglob('*.img'):
        attached = subprocess.run(['losetup', '-j', str(image)],
                                  capture_output=True, text=True).stdout
        for line in attached.splitlines():
            subprocess.run(['losetup', '-d', line.split(':')[0]],
                           capture_output=True)
