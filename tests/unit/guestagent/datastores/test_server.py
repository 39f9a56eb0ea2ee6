"""Tests for the skeleton of managers that run a server process."""

import os
import pwd
import subprocess
import sys
import threading

import pytest

from tests.unit.guestagent import fakes
from trove_lite.common import exception
from trove_lite.common import states
from trove_lite.guestagent import backups
from trove_lite.guestagent.datastores.mysql import manager as mysql_manager
from trove_lite.guestagent.datastores.postgresql import (
    manager as postgresql_manager)
from trove_lite.guestagent.datastores.redis import manager as redis_manager
from trove_lite.guestagent.datastores import server
from trove_lite.guestagent import info as guest_info
from trove_lite.guestagent.strategies.backup import base as strategy_base


class Info:
    guest_id = 'i-1'


class Managed(server.ServerManager):
    SERVER_NAME = 'sleeper'
    poll_interval = 0.01

    def __init__(self, script, answers=lambda: False, start_timeout=30):
        self.info = Info()
        self.start_timeout = start_timeout
        self._answer = answers
        self.stopped = False
        self._process = subprocess.Popen([sys.executable, '-c', script])

    def _answers(self):
        return self._answer()

    def _error(self, reason):
        return exception.GuestError(message=reason)

    def _stop_server(self):
        self.stopped = True
        self._process.kill()
        self._process.wait()

    stop_db = _stop_server


def test_ready_when_it_answers():
    managed = Managed('import time; time.sleep(30)', answers=lambda: True)
    try:
        assert managed._wait_until_ready(managed._process.pid) is None
        assert managed._process.poll() is None and not managed.stopped
    finally:
        managed.stop_db()


def test_a_server_that_exits_while_starting_is_an_error():
    managed = Managed('raise SystemExit(3)')
    with pytest.raises(exception.GuestError) as caught:
        managed._wait_until_ready(managed._process.pid)
    assert str(caught.value) == 'sleeper exited with code 3 while starting'
    assert managed._process is None


def test_a_server_that_never_answers_is_stopped():
    # Stopped without the mark of a stop on purpose (``_stop_server``):
    # a start that failed is a crash to the supervisor.
    managed = Managed('import time; time.sleep(30)', start_timeout=0)
    with pytest.raises(exception.GuestError) as caught:
        managed._wait_until_ready(managed._process.pid)
    assert 'did not answer within 0 seconds' in str(caught.value)
    assert managed.stopped


def test_wait_gone_and_reap():
    managed = Managed('pass')
    assert managed._wait_gone(managed._process.pid, 30)
    managed._reap()
    assert managed._process is None
    managed._signal(managed_pid_that_is_gone(), 0)


def managed_pid_that_is_gone():
    done = subprocess.Popen([sys.executable, '-c', 'pass'])
    done.wait()
    return done.pid


# -- the template prepare -------------------------------------------------


class Recording(server.ServerManager):
    """Every datastore step records itself; start_db starts nothing."""

    SERVER_NAME = 'recorder'

    def __init__(self, info):
        super().__init__(info)
        self.calls = []
        self.data = False

    def _prepare_step(self, step):
        self.calls.append(('step', step))

    def _validate_prepare(self, databases, users, root_password):
        self.calls.append('validate')
        if databases == ['bad']:
            raise exception.BadValue(message='bad name')
        return [d.upper() for d in databases], users

    def _check_host(self):
        self.calls.append('check_host')

    def _write_config(self, memory_mb, run_as=None):
        assert os.path.isdir(self.volume.path)
        self.calls.append(('write_config', memory_mb))

    def _initialised(self):
        return self.data

    def _initialise(self, run_as):
        self.calls.append('initialise')
        self.data = True

    def start_db(self):
        self.calls.append('start_db')

    def _create_tenant_objects(self, databases, users, root_password):
        self.calls.append(('tenant_objects', databases, users,
                           root_password))


@pytest.fixture
def recording(tmp_path):
    return Recording(guest_info.GuestInfo(
        guest_id='i-1', datastore_manager='recorder',
        instance_dir=str(tmp_path / 'inst')))


def test_prepare_runs_the_steps_in_order(recording):
    recording.prepare(512, ['db'], ['u'], root_password='pw', volume_size=2)
    steps = [call[1] for call in recording.calls
             if isinstance(call, tuple) and call[0] == 'step']
    assert steps == list(server.PREPARE_STEPS)
    hooks = [call for call in recording.calls
             if not (isinstance(call, tuple) and call[0] == 'step')]
    assert hooks == ['validate', 'check_host', ('write_config', 512),
                     'initialise', 'start_db',
                     ('tenant_objects', ['DB'], ['u'], 'pw')]
    assert recording.prepared() == {'volume_size': 2}
    for directory in (recording.paths.datadir, recording.paths.rundir,
                      recording.paths.logdir):
        assert os.path.isdir(directory)


def test_prepare_again_keeps_initialised_data(recording):
    recording.prepare(512, [], [])
    os.makedirs(os.path.join(recording.volume.path, 'kept'))
    recording.calls.clear()
    recording.prepare(1024, [], [])
    assert 'initialise' not in recording.calls
    assert ('step', server.INITIALISE) not in recording.calls
    assert os.path.isdir(os.path.join(recording.volume.path, 'kept'))


def test_prepare_initialises_an_emptied_volume(recording):
    os.makedirs(recording.volume.path)
    with open(os.path.join(recording.volume.path, 'half-done'), 'w'):
        pass
    recording.prepare(512, [], [])
    assert 'initialise' in recording.calls
    assert os.listdir(recording.volume.path) == []


def test_prepare_validates_before_touching_anything(recording):
    with pytest.raises(exception.BadValue):
        recording.prepare(512, ['bad'], [])
    assert recording.calls == [('step', server.VALIDATE), 'validate']
    assert not os.path.exists(recording.paths.instance_dir)


def test_needs_an_instance_dir():
    with pytest.raises(exception.GuestError) as caught:
        Recording(guest_info.GuestInfo(guest_id='i-2'))
    assert 'instance_dir' in str(caught.value)


def test_filesystem_stats_come_from_the_volume(recording):
    recording.prepare(512, [], [], volume_size=3)
    with open(os.path.join(recording.volume.path, 'f'), 'wb') as handle:
        handle.write(b'x' * 65536)
    stats = recording.filesystem_stats()
    assert stats['total'] == 3.0
    assert 0 < stats['used'] < 0.001
    assert stats['free'] == pytest.approx(3.0 - stats['used'])


@pytest.mark.parametrize('family', [mysql_manager, postgresql_manager,
                                    redis_manager])
def test_every_server_datastore_uses_the_template(family):
    assert issubclass(family.Manager, server.ServerManager)
    assert family.Manager.prepare is server.ServerManager.prepare
    assert family.Manager.stop_db is server.ServerManager.stop_db
    assert family.Manager.status is server.ServerManager.status


# -- what every server datastore shares (run against each) ------------------

FAMILIES = {'mysql': mysql_manager, 'postgresql': postgresql_manager,
            'redis': redis_manager}


@pytest.fixture(params=sorted(FAMILIES))
def mgr(request, tmp_path):
    family = FAMILIES[request.param]
    return family.Manager(guest_info.GuestInfo(
        guest_id='inst-1', datastore_manager=request.param,
        instance_dir=str(tmp_path), bind_host='127.77.0.1'))


def _pretend_server(mgr, ignore=None):
    """A sleeping Python whose command line is the server's (so it names
    this instance's configuration), ignoring the signal ``ignore``.

    Returns once it runs its script: until then /proc shows the command
    line of the forking test, not the server's.
    """
    os.makedirs(mgr.paths.rundir, exist_ok=True)
    script = 'import signal, time; '
    if ignore is not None:
        script += 'signal.signal(%d, signal.SIG_IGN); ' % ignore
    script += 'print("ready", flush=True); time.sleep(60)'
    proc = subprocess.Popen(
        [sys.executable, '-c', script] + mgr._server_command('x')[1:],
        start_new_session=True, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == 'ready\n'
    proc.stdout.close()
    return proc


def _write_pid(mgr, pid):
    with open(mgr.paths.pid_file, 'w') as handle:
        handle.write('%d\n' % pid)


def test_status_new_shutdown_and_crashed(mgr):
    assert mgr.status() is states.SVC_NEW
    mgr.mark_prepared(1)
    assert mgr.status() is states.SVC_SHUTDOWN
    os.makedirs(mgr.paths.rundir)
    # A pid that is certainly not this instance's server.
    _write_pid(mgr, os.getpid())
    assert mgr._live_pid() is None
    assert mgr.status() is states.SVC_CRASHED


def test_live_pid_needs_our_config_on_the_command_line(mgr):
    proc = _pretend_server(mgr)
    try:
        _write_pid(mgr, proc.pid)
        assert mgr._live_pid() == proc.pid
        assert mgr.adopt() == proc.pid
        # Running but not answering its agent.
        mgr.mark_prepared(1)
        assert mgr.status() is states.SVC_BLOCKED
        # Another instance's manager does not take it for its own.
        other = type(mgr)(guest_info.GuestInfo(
            guest_id='inst-2', datastore_manager=mgr.info.datastore_manager,
            instance_dir=mgr.paths.instance_dir + '/x'))
        other.paths.pid_file = mgr.paths.pid_file
        assert other._live_pid() is None
        mgr.stop_timeout = 10
        mgr.stop_db()
        assert proc.wait(10) is not None
        assert not os.path.exists(mgr.paths.pid_file)
        assert mgr._live_pid() is None
        assert mgr.adopt() is None
        assert mgr.status() is states.SVC_SHUTDOWN
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_stop_kills_a_server_that_ignores_its_stop_signal(mgr):
    proc = _pretend_server(mgr, ignore=mgr.STOP_SIGNAL)
    try:
        _write_pid(mgr, proc.pid)
        mgr.stop_timeout = 0.5
        mgr.stop_db()
        assert proc.wait(10) == -9
        assert not os.path.exists(mgr.paths.pid_file)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_stop_without_server_is_a_no_op(mgr):
    mgr.stop_db()
    assert mgr._process is None
    assert not os.path.exists(mgr.paths.pid_file)


def test_stop_without_server_still_says_it_is_down_on_purpose(mgr):
    # A crashed server being deleted must not be started again meanwhile.
    mgr.mark_prepared(1)
    mgr.stop_db()
    assert mgr.stopped()['by'] == 'stop_db'
    assert not mgr.died_on_its_own()


# -- supervision: down on purpose, or died on its own -----------------------

def _kill_9(proc):
    proc.kill()
    proc.wait()


def test_a_server_killed_behind_the_agents_back_died_on_its_own(mgr):
    mgr.mark_prepared(1)
    proc = _pretend_server(mgr)
    _write_pid(mgr, proc.pid)
    assert not mgr.died_on_its_own()
    _kill_9(proc)
    assert mgr.died_on_its_own()
    # Its pid file stays behind, as a kill -9 leaves it.
    assert mgr.status() is states.SVC_CRASHED


def test_a_server_never_prepared_is_not_supervised(mgr):
    assert mgr.SUPERVISED
    assert not mgr.died_on_its_own()


def test_stop_db_marks_the_stop_and_a_start_forgets_it(mgr, monkeypatch):
    mgr.mark_prepared(1)
    proc = _pretend_server(mgr)
    try:
        _write_pid(mgr, proc.pid)
        mgr.stop_timeout = 10
        mgr.stop_db()
        assert proc.wait(10) is not None
        assert mgr.stopped()['by'] == 'stop_db'
        assert not mgr.died_on_its_own()
        assert mgr.status() is states.SVC_SHUTDOWN
    finally:
        if proc.poll() is None:
            _kill_9(proc)
    # Started again (adopted here: it answers at once): no longer down
    # on purpose, so its next death is a crash.
    proc = _pretend_server(mgr)
    try:
        _write_pid(mgr, proc.pid)
        monkeypatch.setattr(mgr, '_answers', lambda: True)
        mgr.start_db()
        assert mgr.stopped() is None
    finally:
        _kill_9(proc)
    assert mgr.died_on_its_own()


def test_a_start_that_fails_keeps_the_mark(mgr, monkeypatch):
    # A restart whose start fails is the restart's failure to report,
    # not a crash for the supervisor to retry.
    mgr.mark_prepared(1)
    mgr.stop_db()
    monkeypatch.setattr(mgr, '_server_binary', lambda: '/bin/false')
    monkeypatch.setattr(mgr, '_initialised', lambda: False)
    with pytest.raises(exception.GuestError):
        mgr.start_db()
    assert mgr.stopped()['by'] == 'stop_db'
    assert not mgr.died_on_its_own()


def test_a_server_given_up_on_is_failed_until_it_runs_again(mgr):
    mgr.mark_prepared(1)
    os.makedirs(mgr.paths.rundir)
    _write_pid(mgr, os.getpid())  # a crashed server's pid file
    mgr.mark_failed('crashed 3 times', 'Last lines of the log')
    assert mgr.status() is states.SVC_FAILED
    assert mgr.stopped()['details'] == 'Last lines of the log'
    assert not mgr.died_on_its_own()
    # Started by hand behind the agent's back: the stale mark goes.
    proc = _pretend_server(mgr)
    try:
        _write_pid(mgr, proc.pid)
        assert not mgr.died_on_its_own()
        assert mgr.stopped() is None
        assert mgr.status() is states.SVC_BLOCKED
    finally:
        _kill_9(proc)


def test_an_unreadable_mark_counts_as_down_on_purpose(mgr):
    mgr.mark_prepared(1)
    with open(mgr.path('stopped.json'), 'w') as handle:
        handle.write('{not json')
    assert mgr.stopped() == {'unreadable': True}
    assert not mgr.died_on_its_own()


def test_unless_busy_never_waits_for_an_operation(mgr):
    held = threading.Event()
    release = threading.Event()

    def operation():
        with mgr._lock:
            held.set()
            release.wait(10)

    thread = threading.Thread(target=operation)
    thread.start()
    try:
        assert held.wait(10)
        with mgr.unless_busy() as idle:
            assert idle is False
    finally:
        release.set()
        thread.join()
    with mgr.unless_busy() as idle:
        assert idle is True
        # Re-entrant for the holder: its start goes through start_db.
        with mgr.unless_busy() as again:
            assert again is True
    assert mgr._lock.acquire(blocking=False)
    mgr._lock.release()


def test_crash_log_is_the_first_log_with_something_in_it(mgr):
    os.makedirs(mgr.paths.logdir)
    logs = mgr._logs()
    assert mgr.crash_log() == (logs[0], '')
    with open(logs[-1], 'w') as handle:
        handle.write('starting\nunknown variable \'bogus=1\'\n')
    assert mgr.crash_log() == (logs[-1],
                               "starting\nunknown variable 'bogus=1'")


def test_start_before_prepare_fails_clearly(mgr):
    with pytest.raises(exception.GuestError) as caught:
        mgr.start_db()
    assert 'prepare' in str(caught.value) or 'installed' in str(caught.value)


@pytest.mark.parametrize('family', sorted(FAMILIES))
def test_prepare_refuses_a_dir_the_server_user_cannot_reach(open_dir,
                                                            family):
    closed = os.path.join(open_dir, 'closed')
    os.makedirs(closed)
    os.chmod(closed, 0o700)
    mgr = FAMILIES[family].Manager(guest_info.GuestInfo(
        guest_id='inst-2', datastore_manager=family,
        instance_dir=os.path.join(closed, 'inst')))
    nobody = pwd.struct_passwd(('nobody', 'x', 65534, 65534, '', '/',
                                '/bin/false'))
    with pytest.raises(exception.GuestError) as caught:
        mgr._make_dirs(nobody)
    assert 'cannot enter %s' % closed in str(caught.value)
    assert 'chmod o+x' in str(caught.value)
    assert mgr.SERVER_NAME in str(caught.value)


# -- prepare with a restore --------------------------------------------------


class Restoring(Recording):
    """A Recording whose server stops by recording it."""

    def stop_db(self):
        self.calls.append('stop_db')


class RecordingStrategy(fakes.FileStrategy):
    """Restores into its manager's volume (the payload as a file)."""

    def restore(self, chain):
        self.manager.calls.append('restore')
        super().restore(chain)
        with open(os.path.join(self.manager.volume.path, 'restored'),
                  'wb') as handle:
            handle.write(self.restored[-1])


@pytest.fixture
def restoring(tmp_path, backup_plugins, override):
    """(manager, strategy, restore_info): a Restoring manager of the fake
    datastore and a one-backup chain in local storage.
    """
    override('compressor', 'gzip', group='backup')
    manager = Restoring(guest_info.GuestInfo(
        guest_id='i-2', datastore_manager='fake',
        instance_dir=str(tmp_path / 'inst')))
    strategy = RecordingStrategy(manager, payload=b'rows' * 1000)
    backup_plugins['file'] = strategy
    storage = {'driver': 'local', 'path': str(tmp_path / 'backups')}
    result = backups.take_backup(manager, {
        'id': 'b-1', 'instance_id': 'i-1', 'backup_type': 'full',
        'storage': storage, 'parent': None})
    element = dict(result, id='b-1', storage=storage)
    return manager, strategy, {'chain': [element]}


def _hooks(manager):
    return [call if isinstance(call, str) else call[0]
            for call in manager.calls
            if not (isinstance(call, tuple) and call[0] == 'step')
            and call != 'validate']


def test_a_files_restore_replaces_the_initialisation(restoring):
    manager, strategy, restore_info = restoring
    manager.prepare(512, [], [], restore_info=restore_info)
    # The volume is emptied (the server stopped) before the configuration
    # is written: a datastore may keep files of its own in it.
    assert _hooks(manager) == ['check_host', 'stop_db', 'write_config',
                               'restore', 'start_db', 'tenant_objects']
    assert ('step', server.INITIALISE) in manager.calls
    with open(os.path.join(manager.volume.path, 'restored'), 'rb') as f:
        assert f.read() == b'rows' * 1000
    assert manager.restored() and manager.prepared() is not None


def test_a_replay_restore_runs_on_the_started_server(restoring):
    manager, strategy, restore_info = restoring
    strategy.restore_stage = strategy_base.RESTORE_REPLAY
    manager.prepare(512, [], [], restore_info=restore_info)
    assert _hooks(manager) == ['check_host', 'stop_db', 'write_config',
                               'initialise', 'start_db', 'restore',
                               'tenant_objects']
    assert manager.restored()


@pytest.mark.parametrize('stage', [strategy_base.RESTORE_FILES,
                                   strategy_base.RESTORE_REPLAY])
def test_prepare_after_a_failed_restore_restores_again(restoring, stage):
    manager, strategy, restore_info = restoring
    strategy.restore_stage = stage
    manager.data = True
    strategy.fail_restore = exception.GuestError(message='mbstream failed')
    with pytest.raises(exception.GuestError) as caught:
        manager.prepare(512, [], [], restore_info=restore_info)
    assert str(caught.value) == 'mbstream failed'
    assert not manager.restored() and manager.prepared() is None
    # Initialised data of the failed restore is no reason to skip it.
    strategy.fail_restore = None
    manager.calls.clear()
    manager.prepare(512, [], [], restore_info=restore_info)
    assert 'restore' in _hooks(manager)
    assert os.listdir(manager.volume.path) == ['restored']
    assert manager.restored() and manager.prepared() is not None


def test_prepare_again_after_a_restore_keeps_the_data(restoring):
    manager, strategy, restore_info = restoring
    manager.prepare(512, [], [], restore_info=restore_info)
    manager.data = True
    manager.calls.clear()
    manager.prepare(512, [], [], restore_info=restore_info)
    assert 'restore' not in _hooks(manager)
    assert ('step', server.INITIALISE) not in manager.calls
    assert os.listdir(manager.volume.path) == ['restored']


def test_a_damaged_backup_fails_prepare(restoring):
    manager, strategy, restore_info = restoring
    element = restore_info['chain'][0]
    with open(element['location'], 'r+b') as handle:
        handle.truncate(element['size'] - 1)
    with pytest.raises(exception.BackupChecksumMismatch) as caught:
        manager.prepare(512, [], [], restore_info=restore_info)
    assert str(caught.value).startswith('backup checksum mismatch')
    assert 'start_db' not in _hooks(manager)
    assert not manager.restored()


# -- resize (guest API 1.6) ----------------------------------------------------

class Resizing(Recording):
    """``Recording`` whose stop and start are recorded too."""

    def stop_db(self):
        self.calls.append('stop_db')


def _resizing(tmp_path):
    return Resizing(guest_info.GuestInfo(
        guest_id='i-1', datastore_manager='recorder',
        instance_dir=str(tmp_path / 'inst')))


def test_a_flavor_resize_renders_the_configuration_then_restarts(tmp_path):
    mgr = _resizing(tmp_path)
    mgr.prepare(512, [], [], volume_size=1)
    mgr.calls.clear()
    mgr.resize_flavor(2048)
    assert mgr.calls == [('write_config', 2048), 'stop_db', 'start_db']


def test_a_volume_resize_of_a_directory_only_records_the_size(tmp_path):
    mgr = _resizing(tmp_path)
    mgr.prepare(512, [], [], volume_size=1)
    mgr.calls.clear()
    mgr.resize_fs(3)
    assert mgr.calls == []
    assert mgr.prepared() == {'volume_size': 3}
    assert mgr.filesystem_stats()['total'] == 3.0


def test_a_volume_resize_grows_offline_when_it_must(tmp_path, monkeypatch):
    mgr = _resizing(tmp_path)
    mgr.prepare(512, [], [], volume_size=1)
    mgr.calls.clear()
    grown = []

    class Filesystem:
        def __init__(self, path):
            assert path == mgr.volume.path

        def device(self):
            return '/dev/loop3'

        def grow_online(self, device):
            grown.append(('online', device))
            return False

        def grow_offline(self, device):
            grown.append(('offline', device, list(mgr.calls)))

    monkeypatch.setattr(server.volumes, 'Filesystem', Filesystem)
    mgr.resize_fs(2)
    # Unmounted only with the server stopped, and started again after.
    assert grown == [('online', '/dev/loop3'),
                     ('offline', '/dev/loop3', ['stop_db'])]
    assert mgr.calls == ['stop_db', 'start_db']
    assert mgr.prepared() == {'volume_size': 2}


# -- datastore version upgrades ---------------------------------------------


class Upgrading(Recording):
    """A recorder whose server binary is ``fakeserverd`` of the version's
    directories; stop, start and the upgrade step record themselves.
    """

    refuse = None

    def _server_binary(self):
        binary = self.find_server_binary(['fakeserverd'])
        if binary is None:
            raise exception.GuestError(message='no fakeserverd')
        return binary

    def _check_upgrade(self, binary):
        self.calls.append(('check', binary))
        if self.refuse:
            raise exception.GuestError(message=self.refuse)

    def stop_db(self):
        self.calls.append('stop_db')

    def _upgrade_data(self, binary):
        self.calls.append(('upgrade_data', binary))


def _binary_dir(tmp_path, name):
    directory = tmp_path / name
    directory.mkdir()
    binary = directory / 'fakeserverd'
    binary.write_text('#!/bin/sh\n')
    binary.chmod(0o755)
    return str(directory), str(binary)


@pytest.fixture
def upgrading(tmp_path):
    old_dir, _ = _binary_dir(tmp_path, 'v1')
    info = guest_info.GuestInfo(
        guest_id='i-1', datastore_manager='recorder',
        datastore_version='1.0', server_path=(old_dir,),
        instance_dir=str(tmp_path / 'inst'))
    manager = Upgrading(info)
    manager.prepare(512, [], [])
    manager.calls.clear()
    return manager


def test_upgrade_runs_the_new_binaries_on_the_same_data(upgrading,
                                                        tmp_path):
    new_dir, new_binary = _binary_dir(tmp_path, 'v2')
    upgrading.upgrade('2.0', [new_dir])
    assert upgrading.calls == [('check', new_binary), 'stop_db', 'start_db',
                               ('upgrade_data', new_binary)]
    assert upgrading.running_version() == ('2.0', (new_dir,))
    # An agent started later runs the upgraded server, whatever
    # guest_info.conf said when the instance was made.
    again = Upgrading(upgrading.info)
    assert again._server_binary() == new_binary


def test_a_version_without_its_binaries_is_refused_before_the_stop(
        upgrading, tmp_path):
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(exception.GuestError):
        upgrading.upgrade('2.0', [str(empty)])
    assert 'stop_db' not in upgrading.calls
    assert upgrading.running_version() == ('1.0', upgrading.info.server_path)


def test_a_refused_upgrade_keeps_the_version(upgrading, tmp_path):
    new_dir, _ = _binary_dir(tmp_path, 'v2')
    upgrading.refuse = 'data of another major version'
    with pytest.raises(exception.GuestError, match='another major'):
        upgrading.upgrade('2.0', [new_dir])
    assert 'stop_db' not in upgrading.calls
    assert upgrading.running_version()[0] == '1.0'


def test_an_unprepared_instance_has_nothing_to_upgrade(recording):
    with pytest.raises(exception.GuestError, match='not prepared'):
        recording.upgrade('2.0', [])


def test_a_version_with_binaries_never_takes_the_hosts(upgrading, tmp_path,
                                                       monkeypatch):
    # A redis-server on PATH is another version's: not used.
    path_dir, _ = _binary_dir(tmp_path, 'onpath')
    monkeypatch.setenv('PATH', path_dir)
    empty = tmp_path / 'none'
    empty.mkdir()
    upgrading.record_version('3.0', [str(empty)])
    assert upgrading.find_server_binary(['fakeserverd']) is None
    upgrading.record_version('3.0', [])
    assert upgrading.find_server_binary(['fakeserverd']) == os.path.join(
        path_dir, 'fakeserverd')
