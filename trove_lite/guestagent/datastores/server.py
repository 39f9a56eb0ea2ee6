"""The skeleton of a manager whose datastore is a real server process.

The MySQL family, PostgreSQL and Redis all run one server per instance,
detached from the agent (a session of its own, its own pid file) so that
it outlives the agent; they differ in how to initialise, configure, ping
and stop it. ``ServerManager`` is everything else, written once:

* ``prepare`` is a template (``PREPARE_STEPS``): validate the request,
  check the host, create the directories (the volume among them), render
  the configuration, initialise the data when it is new, start the
  server and wait until it answers, create the tenant's databases and
  users, record and report the result. Each datastore fills in the steps
  (``_validate_prepare``, ``_check_host``, ``_write_config``,
  ``_initialised``/``_initialise``, ``_create_tenant_objects``);
* start (or adopt), wait, stop (clean, then forcibly), status, the pid
  file, the server's OS user and the directories it may use.

A manager keeps its ``subprocess.Popen`` in ``self._process`` while this
agent is the one that started the server (None for a server adopted
through its pid file).

A server that dies on its own is started again by the agent's supervisor
(``guestagent/supervisor.py``), through ``start_db`` like any start. What
tells it apart from a server stopped on purpose is ``stopped.json``
(``base.mark_stopped``): ``stop_db`` writes it before the server is
signalled, and a start clears it once the server answers. A start that
fails leaves it, so a restart or a prepare that failed is the failed
operation's to report, not a crash to retry.
"""

import contextlib
import os
import pwd
import signal
import stat
import subprocess
import threading
import time

from oslo_log import log as logging

from trove_lite.common import exception
from trove_lite.common import states
from trove_lite.guestagent import backups
from trove_lite.guestagent.datastores import base
from trove_lite.guestagent.datastores import process
from trove_lite.guestagent.strategies.backup import base as strategy_base
from trove_lite.guestagent import volumes

LOG = logging.getLogger(__name__)

KILL_TIMEOUT = 10

# The steps of ``prepare``, in order (named as ``_prepare_step`` logs
# them; a test checks that every datastore goes through them in order).
VALIDATE = 'validate'
CHECK_HOST = 'check_host'
DIRECTORIES = 'directories'
CONFIGURATION = 'configuration'
INITIALISE = 'initialise'
START = 'start'
TENANT_OBJECTS = 'tenant_objects'
REPORT = 'report'
PREPARE_STEPS = (VALIDATE, CHECK_HOST, DIRECTORIES, CONFIGURATION,
                 INITIALISE, START, TENANT_OBJECTS, REPORT)


class Paths:
    """The files every server's instance has; a datastore adds its own.

    :param instance_dir: the instance directory (absolute).
    """

    #: The server's configuration file (its name on the command line is
    #: how a pid is recognised as this instance's server).
    CONF_NAME = 'server.conf'

    def __init__(self, instance_dir):
        join = os.path.join
        self.instance_dir = instance_dir
        self.conf = join(instance_dir, self.CONF_NAME)
        self.datadir = join(instance_dir, 'data')
        self.rundir = join(instance_dir, 'run')
        self.logdir = join(instance_dir, 'log')


def user_args(run_as):
    """Popen arguments that start a program as ``run_as`` (a ``pwd``
    entry), or none when it is None.
    """
    if run_as is None:
        return {}
    return {'user': run_as.pw_uid, 'group': run_as.pw_gid,
            'extra_groups': os.getgrouplist(run_as.pw_name, run_as.pw_gid)}


def write_file(target, text, mode=0o644, owner=None):
    """Replace ``target`` atomically with ``text`` and ``mode``; give it
    to ``owner`` (a ``pwd`` entry) when one is given.
    """
    temporary = target + '.tmp'
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, 'w') as handle:
        handle.write(text)
    os.chmod(temporary, mode)
    if owner is not None:
        os.chown(temporary, owner.pw_uid, owner.pw_gid)
    os.replace(temporary, target)


class ServerManager(base.DatastoreManager):
    """A ``DatastoreManager`` whose datastore is a detached server.

    :param info: the agent's ``GuestInfo``; ``bind_host`` and ``port``
        are where the server listens.
    :param start_timeout: seconds a start may take until the server
        answers (``START_TIMEOUT`` when None).
    :param stop_timeout: seconds a clean shutdown may take before
        SIGKILL (``STOP_TIMEOUT`` when None).

    A datastore sets the class attributes and implements the hooks below
    that raise NotImplementedError.
    """

    #: The server, in messages.
    SERVER_NAME = 'the server'
    #: The OS user the server runs as when the agent runs as root.
    SERVER_USER = None
    #: Why the server must not run as root, for the error without one.
    SERVER_USER_REASON = ''
    #: Whether the agent starts the server as SERVER_USER (False when the
    #: server drops privileges itself).
    SPAWN_AS_SERVER_USER = True
    DEFAULT_PORT = None
    START_TIMEOUT = 120
    STOP_TIMEOUT = 60
    #: The signal of a clean shutdown.
    STOP_SIGNAL = signal.SIGTERM
    #: Permissions of the private directories (volume, run, log).
    DIR_MODE = 0o750
    PATHS = Paths
    # NOTE(latency): every period spent sleeping past the moment the
    # server answers is added to a create.
    poll_interval = 0.02

    def __init__(self, info, start_timeout=None, stop_timeout=None):
        super().__init__(info)
        if not info.instance_dir:
            raise exception.GuestError(
                message='Guest %s has no [guest] instance_dir.'
                        % info.guest_id)
        self.port = int(info.port or self.DEFAULT_PORT or 0)
        self.paths = self._make_paths(os.path.abspath(info.instance_dir))
        self.volume = base.Volume(self.paths.datadir, self.DIR_MODE)
        self.start_timeout = (self.START_TIMEOUT if start_timeout is None
                              else start_timeout)
        self.stop_timeout = (self.STOP_TIMEOUT if stop_timeout is None
                             else stop_timeout)
        # NOTE(threads): prepare runs on a thread of its own and RPC calls
        # on the server's pool; one lifecycle operation at a time.
        self._lock = threading.RLock()
        self._process = None

    # -- hooks of a datastore -----------------------------------------------

    def _make_paths(self, instance_dir):
        return self.PATHS(instance_dir)

    def _validate_prepare(self, databases, users, root_password):
        """Check ``prepare``'s arguments before anything is touched.

        :returns: ``(databases, users)`` normalised.
        :raises: exception.BadValue.
        """
        raise NotImplementedError()

    def _check_host(self):
        """Refuse early what this host cannot do (a missing binary...)."""

    def _write_config(self, memory_mb, run_as=None):
        """Render the server's configuration files from the layers
        (``layers.py``: defaults, flavor, ``config_overrides()``, the
        instance's places).
        """
        raise NotImplementedError()

    def _initialised(self):
        """Whether the volume holds initialised data (or whatever
        ``_spawn`` needs to find before it starts the server).
        """
        raise NotImplementedError()

    def _initialise(self, run_as):
        """Initialise the data in the (emptied) volume."""

    def _create_tenant_objects(self, databases, users, root_password):
        """Secure the fresh server; create databases and users; enable
        root when ``root_password`` is given. Safe to repeat.
        """
        raise NotImplementedError()

    def _server_binary(self):
        """The server binary to run.

        :raises: exception.GuestError when none is installed.
        """
        raise NotImplementedError()

    def _server_command(self, binary):
        """The server's command line; it names ``paths.conf``."""
        raise NotImplementedError()

    def _server_env(self):
        """The server's environment (None: the agent's)."""
        return None

    def _console_log(self):
        """Where the server's stdout and stderr go."""
        return os.path.join(self.paths.logdir, 'console.log')

    def _logs(self):
        """The logs whose tail explains a failure, most telling first."""
        return [self._console_log()]

    def _answers(self):
        """Whether the server takes its agent's requests now (a short
        timeout: it is polled while starting).
        """
        raise NotImplementedError()

    def _healthy(self):
        """Whether the running server answers (for ``status``)."""
        return self._answers()

    def _private_dirs(self):
        """The directories only the server's user may use."""
        return (self.paths.rundir, self.paths.logdir)

    def _owns(self, cmdline):
        """Whether a process with ``cmdline`` is this instance's server."""
        return self.paths.conf in cmdline

    def _kill(self, pid):
        """End a server that did not stop cleanly."""
        self._signal(pid, signal.SIGKILL)

    def _forget_binary(self):
        """Forget a server binary remembered from an earlier look (the
        version it runs is changing).
        """

    def _check_upgrade(self, binary):
        """Refuse, before the server stops, an upgrade whose ``binary``
        cannot run this instance's data.

        :raises: exception.GuestError saying why.
        """

    def _upgrade_data(self, binary):
        """The datastore's own upgrade step, once the new ``binary``
        runs on the old data (MariaDB's ``mariadb-upgrade``); none by
        default.
        """

    # -- the template --------------------------------------------------------

    def prepare(self, memory_mb, databases, users, root_password=None,
                volume_size=None, restore_info=None, replica_info=None,
                overrides=None):
        self._prepare_step(VALIDATE)
        databases, users = self._validate_prepare(databases, users,
                                                  root_password)
        replication = None
        if replica_info:
            # NOTE(replicas): a replica's data comes from its source (its
            # snapshot backup, or the strategy's own seeding) and so do its
            # databases and users: the tenant's are not created here.
            replication = self.replication()
            snapshot = replica_info.get('snapshot') or {}
            if snapshot.get('backup'):
                restore_info = {'chain': [snapshot['backup']]}
        with self._lock:
            self._prepare_step(CHECK_HOST)
            self._check_host()
            run_as = self._run_as()
            self._prepare_step(DIRECTORIES)
            self._make_dirs(run_as)
            # Data that comes from elsewhere (a restore, a replica's seed)
            # counts as there only once that finished (``restored``).
            refill = bool(restore_info or replica_info) and \
                not self.restored()
            if refill:
                # NOTE(restore): the data of an unfinished restore (a
                # repeated prepare) is thrown away, and a server started
                # by an earlier, failed prepare must not run on it; before
                # the configuration, which may keep files in the volume
                # (Redis's users.acl).
                self.stop_db()
                process.empty_directory(self.volume.path)
            self._prepare_step(CONFIGURATION)
            if overrides is not None:
                self.save_overrides(overrides)
            self._write_config(memory_mb, run_as)
            replay = None
            if refill and restore_info:
                replay = self._restore_files(restore_info, run_as)
            elif refill and replication.seed(replica_info['source'],
                                             replica_info.get('snapshot'),
                                             run_as):
                self._prepare_step(INITIALISE)
                self._own_volume(run_as)
                self.mark_restored()
            elif not self._initialised():
                self._prepare_step(INITIALISE)
                LOG.info('Initialising the data of instance %s',
                         self.info.guest_id)
                process.empty_directory(self.volume.path)
                self._initialise(run_as)
                if refill:
                    self.mark_restored()
            self._prepare_step(START)
            self.start_db()
            if replay is not None:
                LOG.info('Replaying the backups into instance %s',
                         self.info.guest_id)
                backups.restore(self, restore_info, strategy=replay)
                self.mark_restored()
            self._prepare_step(TENANT_OBJECTS)
            if replication is not None:
                replication.attach(replica_info['source'],
                                   replica_info.get('snapshot'))
            else:
                self._create_tenant_objects(databases, users, root_password)
            self._prepare_step(REPORT)
            self.mark_prepared(volume_size)
        LOG.info('Instance %s prepared: %s on %s:%s', self.info.guest_id,
                 self.SERVER_NAME, self.info.bind_host, self.port)

    def _restore_files(self, restore_info, run_as):
        """The INITIALISE step of a restore (the volume was emptied): a
        RESTORE_FILES strategy restores into the empty volume, and a
        RESTORE_REPLAY one gets fresh data to replay into once started.

        :returns: the RESTORE_REPLAY strategy still to run, or None.
        """
        strategy = backups.restore_strategy(self, restore_info.get('chain'))
        self._prepare_step(INITIALISE)
        if strategy.restore_stage != strategy_base.RESTORE_FILES:
            LOG.info('Initialising the data of instance %s for a replay',
                     self.info.guest_id)
            self._initialise(run_as)
            return strategy
        LOG.info('Restoring the data of instance %s from backups',
                 self.info.guest_id)
        backups.restore(self, restore_info, strategy=strategy)
        self._own_volume(run_as)
        self.mark_restored()
        return None

    def _own_volume(self, run_as):
        """Give everything in the volume to the server's user (files
        restored by the agent, as root, are root's).
        """
        if run_as is None:
            return
        for root, dirs, files in os.walk(self.volume.path):
            for name in dirs + files:
                os.lchown(os.path.join(root, name), run_as.pw_uid,
                          run_as.pw_gid)
        os.chown(self.volume.path, run_as.pw_uid, run_as.pw_gid)

    def _prepare_step(self, step):
        """Called as ``prepare`` enters each of ``PREPARE_STEPS`` (the
        initialise step only when the data is new).
        """
        LOG.debug('prepare of instance %s: %s', self.info.guest_id, step)

    # -- lifecycle -----------------------------------------------------------

    def find_server_binary(self, names, extra_dirs=process.SBIN_DIRS):
        """The first of ``names`` among the version's server binaries:
        in its directories (``running_version``) when it names any, and
        only there (the host's binaries are another version); else on
        PATH or in ``extra_dirs``. None when there is none.
        """
        server_path = self.running_version()[1]
        if server_path:
            return process.find_binary(names, extra_dirs=(),
                                       search_path=server_path)
        return process.find_binary(names, extra_dirs=extra_dirs)

    def upgrade(self, datastore_version, server_path):
        server_path = tuple(server_path or ())
        with self._lock:
            if self.prepared() is None:
                raise exception.GuestError(
                    message='Instance %s is not prepared; there is nothing '
                            'to upgrade.' % self.info.guest_id)
            previous = self.running_version()
            if previous == (datastore_version, server_path) and \
                    self._live_pid() is not None:
                # NOTE(upgrade): it runs that already (a repeated call, or
                # the undo of an upgrade refused before the stop).
                return
            self.record_version(datastore_version, server_path)
            self._forget_binary()
            try:
                binary = self._server_binary()
                self._check_upgrade(binary)
            except Exception:
                # NOTE(upgrade): refused before anything stopped: the
                # instance keeps running what it ran.
                self.record_version(*previous)
                self._forget_binary()
                raise
            LOG.info('Upgrading instance %s from version %s to %s (%s)',
                     self.info.guest_id, previous[0], datastore_version,
                     binary)
            self.stop_db()
            self.start_db()
            self._upgrade_data(binary)

    def start_db(self):
        """Start the server, or adopt the one already running, and wait
        until it answers.
        """
        with self._lock:
            pid = self._live_pid()
            if pid is None:
                pid = self._spawn()
            else:
                LOG.info('%s of instance %s already runs (pid %s)',
                         self.SERVER_NAME, self.info.guest_id, pid)
            self._wait_until_ready(pid)
            self.clear_stopped()

    def restart(self):
        with self._lock:
            self.stop_db()
            self.start_db()

    def stop_db(self):
        with self._lock:
            # NOTE(supervision): marked before the signal, so that no look
            # of the supervisor (and no agent started after this one dies
            # midway) takes the stopped server for a crashed one; even
            # when it is not running (a crashed server being deleted must
            # not be started again).
            self.mark_stopped()
            self._stop_server()

    def _stop_server(self):
        """Stop the server (cleanly, then forcibly) without saying it is
        down on purpose: ``stop_db`` without the mark.
        """
        with self._lock:
            pid = self._live_pid()
            if pid is None:
                self._reap()
                return
            LOG.info('Stopping %s of instance %s (pid %s)', self.SERVER_NAME,
                     self.info.guest_id, pid)
            self._signal(pid, self.STOP_SIGNAL)
            if not self._wait_gone(pid, self.stop_timeout):
                LOG.warning('%s of instance %s (pid %s) did not stop within '
                            '%ss of %s; killing it', self.SERVER_NAME,
                            self.info.guest_id, pid, self.stop_timeout,
                            signal.Signals(self.STOP_SIGNAL).name)
                self._kill(pid)
                self._wait_gone(pid, KILL_TIMEOUT)
            self._reap()
            # A killed server leaves its pid file; the stop was deliberate,
            # so the instance is shut down, not crashed.
            process.remove(self.paths.pid_file)

    # -- resize (base.DatastoreManager documents these) ---------------------

    def resize_flavor(self, memory_mb):
        with self._lock:
            self._write_config(memory_mb, self._run_as())
            self.stop_db()
            self.start_db()
        LOG.info('Instance %s: %s re-tuned for a flavor of %s MB',
                 self.info.guest_id, self.SERVER_NAME, memory_mb)

    def resize_fs(self, volume_size):
        with self._lock:
            filesystem = volumes.Filesystem(self.volume.path)
            device = filesystem.device()
            if device is not None and not filesystem.grow_online(device):
                # NOTE(volumes): a stop marked deliberate, so that the
                # supervisor leaves the server down while its data
                # directory is unmounted.
                self.stop_db()
                filesystem.grow_offline(device)
                self.start_db()
            if self.prepared() is not None:
                self.mark_prepared(volume_size)

    def status(self):
        if self.prepared() is None:
            return states.SVC_NEW
        pid = self._live_pid()
        if pid is None:
            if (self.stopped() or {}).get('failed'):
                # The supervisor gave up on it (``mark_failed``).
                return states.SVC_FAILED
            if os.path.exists(self.paths.pid_file):
                return states.SVC_CRASHED
            return states.SVC_SHUTDOWN
        if self._healthy():
            return states.SVC_HEALTHY
        return states.SVC_BLOCKED

    def filesystem_stats(self):
        return self.volume.stats((self.prepared() or {}).get('volume_size'))

    def adopt(self):
        pid = self._live_pid()
        if pid is not None:
            LOG.info('Adopted %s of instance %s (pid %s)', self.SERVER_NAME,
                     self.info.guest_id, pid)
        return pid

    # -- supervision (base.DatastoreManager documents these) -----------------

    SUPERVISED = True

    @contextlib.contextmanager
    def unless_busy(self):
        held = self._lock.acquire(blocking=False)
        try:
            yield held
        finally:
            if held:
                self._lock.release()

    def died_on_its_own(self):
        with self._lock:
            if self.prepared() is None:
                return False
            if self._live_pid() is not None:
                # NOTE(supervision): a running server with a stop mark was
                # started by hand, or outlived a stop whose agent died
                # midway; the mark no longer says anything true, and
                # would keep its next crash from being restarted.
                if self.stopped() is not None:
                    LOG.info('%s of instance %s runs; forgetting that it '
                             'was stopped', self.SERVER_NAME,
                             self.info.guest_id)
                    self.clear_stopped()
                return False
            self._reap()
            return self.stopped() is None

    def crash_log(self):
        logs = self._logs()
        for path in logs:
            text = process.tail(path)
            if text:
                return path, text
        return logs[0], ''

    # -- processes -----------------------------------------------------------

    def _live_pid(self):
        """The pid of this instance's running server, or None."""
        if self._process is not None and self._process.poll() is None:
            return self._process.pid
        pid = process.read_pid(self.paths.pid_file)
        if pid is None:
            return None
        alive, cmdline = process.process_state(pid)
        if alive and self._owns(cmdline):
            return pid
        return None

    def _spawn(self):
        binary = self._server_binary()
        if not self._initialised():
            raise exception.GuestError(
                message='Instance %s has no initialised data directory; '
                        'prepare it first.' % self.info.guest_id)
        run_as = self._run_as() if self.SPAWN_AS_SERVER_USER else None
        process.remove(self.paths.pid_file)
        with open(self._console_log(), 'ab') as console:
            # NOTE(detach): a session of its own, so that the server
            # survives the agent (and trove-lite-all) stopping, and a
            # terminal's Ctrl-C never reaches it.
            self._process = subprocess.Popen(
                self._server_command(binary), stdin=subprocess.DEVNULL,
                stdout=console, stderr=subprocess.STDOUT,
                cwd=self.paths.instance_dir, env=self._server_env(),
                start_new_session=True, close_fds=True,
                **user_args(run_as))
        LOG.info('Started %s for instance %s (pid %s) on %s:%s',
                 self.SERVER_NAME, self.info.guest_id, self._process.pid,
                 self.info.bind_host, self.port)
        return self._process.pid

    def _error(self, reason):
        """A GuestError for ``reason`` with the tail of the first log of
        ``_logs()`` that has something in it.
        """
        source, text = self.crash_log()
        return exception.GuestError(
            message='%s (instance %s, %s:%s). Last lines of %s:\n%s' % (
                reason, self.info.guest_id, self.info.bind_host, self.port,
                source, text))

    def _wait_until_ready(self, pid):
        """Return once the server ``pid`` answers.

        :raises: GuestError (``_error``) when it exits first, or does not
            answer within ``start_timeout`` (it is then stopped).
        """
        name = self.SERVER_NAME
        deadline = time.monotonic() + self.start_timeout
        while True:
            if self._process is not None and self._process.pid == pid:
                code = self._process.poll()
                if code is not None:
                    self._process = None
                    raise self._error('%s exited with code %s while '
                                      'starting' % (name, code))
            elif not process.process_state(pid)[0]:
                raise self._error('%s (pid %s) exited while starting'
                                  % (name, pid))
            if self._answers():
                return
            if time.monotonic() > deadline:
                LOG.error('%s of instance %s did not answer within %ss; '
                          'stopping it', name, self.info.guest_id,
                          self.start_timeout)
                self._stop_server()
                raise self._error('%s did not answer within %s seconds'
                                  % (name, self.start_timeout))
            time.sleep(self.poll_interval)

    def _wait_gone(self, pid, timeout):
        """Whether the server ``pid`` exited within ``timeout`` seconds."""
        if self._process is not None and self._process.pid == pid:
            try:
                self._process.wait(timeout)
                return True
            except subprocess.TimeoutExpired:
                return False
        deadline = time.monotonic() + timeout
        while process.process_state(pid)[0]:
            if time.monotonic() > deadline:
                return False
            time.sleep(self.poll_interval)
        return True

    @staticmethod
    def _signal(pid, signum):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    def _reap(self):
        """Forget a started server that has exited (collects its status)."""
        if self._process is not None and self._process.poll() is not None:
            self._process = None

    # -- files -----------------------------------------------------------

    def _run_as(self):
        """The ``pwd`` entry of the server's user when we are root."""
        if os.geteuid() != 0 or self.SERVER_USER is None:
            return None
        try:
            return pwd.getpwnam(self.SERVER_USER)
        except KeyError:
            raise exception.GuestError(
                message='The agent runs as root but there is no %r user to '
                        'run %s as%s.' % (self.SERVER_USER, self.SERVER_NAME,
                                          self.SERVER_USER_REASON))

    def _make_dirs(self, run_as):
        """Create the instance's directories (the volume first), private
        to the server's user.

        :raises: exception.GuestError when that user could not reach them.
        """
        paths = self.paths
        os.makedirs(paths.instance_dir, exist_ok=True)
        self.volume.ensure()
        private = self._private_dirs()
        for directory in private:
            os.makedirs(directory, mode=self.DIR_MODE, exist_ok=True)
        if run_as is None:
            return
        # The instance directory stays ours (guest_info.conf holds the
        # instance key); the server's user only needs to pass through it.
        mode = os.stat(paths.instance_dir).st_mode
        os.chmod(paths.instance_dir, stat.S_IMODE(mode) | stat.S_IXOTH)
        gids = os.getgrouplist(run_as.pw_name, run_as.pw_gid)
        blocked = process.untraversable_parent(self.volume.path,
                                               run_as.pw_uid, gids)
        if blocked:
            raise exception.GuestError(
                message='The %s user cannot enter %s, so %s could not reach '
                        '%s; give it search permission (chmod o+x) or put '
                        'instances elsewhere.' % (
                            run_as.pw_name, blocked, self.SERVER_NAME,
                            paths.instance_dir))
        self.volume.ensure(run_as)
        for directory in private:
            os.chown(directory, run_as.pw_uid, run_as.pw_gid)
