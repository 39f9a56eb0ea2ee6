"""The Redis manager: a real ``redis-server`` per instance.

Layout under the instance directory::

    redis.conf        the server's only configuration file (config.py)
    os_admin.secret   the agent's own password (0600, the agent's file)
    root_enabled      present while the tenant knows ``default``'s password
    data/             dir: AOF, RDB snapshot and users.acl; the "volume"
    run/              unix socket and pid file
    log/              redis.log and console.log (what the server printed
                      before it opened its log file)
    prepared.json     written when prepare finished

Redis has no databases or users in Trove's sense: ``prepare`` refuses
them, and the 1.2 database and user methods keep the base class's
refusal. Root is the ACL user ``default`` (see config.py for why it is
not called ``root``, and for the agent's own ``os_admin``).

As the MySQL family does, the server is started detached (a session of
its own, its own pid file) so that it outlives the agent; an agent that
finds a live server through the pid file adopts it, after checking that
the process's command line names this instance's ``redis.conf``.

``redis-server`` does not drop privileges itself: when the agent runs as
root, it starts the server as the ``redis`` user.
"""

import os
import pwd
import secrets
import signal
import stat
import subprocess
import threading

from oslo_log import log as logging

from trove_lite.common import exception
from trove_lite.common import states
from trove_lite.guestagent.datastores import base
from trove_lite.guestagent.datastores import process
from trove_lite.guestagent.datastores.redis import admin
from trove_lite.guestagent.datastores.redis import config
from trove_lite.guestagent.datastores import server

LOG = logging.getLogger(__name__)

SERVER_BINARIES = ('redis-server',)
SERVER_USER = 'redis'
DEFAULT_PORT = 6379
START_TIMEOUT = 60
STOP_TIMEOUT = 60
KILL_TIMEOUT = 10
VERSION_TIMEOUT = 10
POLL_INTERVAL = 0.1
# Random passwords (the agent's, and root's while it is disabled).
SECRET_BYTES = 32


class Paths:
    """The files of one instance."""

    def __init__(self, instance_dir):
        join = os.path.join
        self.instance_dir = instance_dir
        self.conf = join(instance_dir, 'redis.conf')
        self.admin_secret = join(instance_dir, 'os_admin.secret')
        self.root_marker = join(instance_dir, 'root_enabled')
        self.datadir = join(instance_dir, 'data')
        self.rundir = join(instance_dir, 'run')
        self.logdir = join(instance_dir, 'log')
        self.acl_file = join(self.datadir, 'users.acl')
        self.socket = join(self.rundir, 'redis.sock')
        self.pid_file = join(self.rundir, 'redis.pid')
        self.log_file = join(self.logdir, 'redis.log')
        self.console_log = join(self.logdir, 'console.log')


def random_password():
    return secrets.token_urlsafe(SECRET_BYTES)


def server_version(binary):
    """``(major, minor, patch)`` of ``binary``, or None if unknown."""
    try:
        result = subprocess.run([binary, '--version'], capture_output=True,
                                text=True, timeout=VERSION_TIMEOUT,
                                stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return config.parse_version(result.stdout)


class Manager(server.DetachedServer, base.DatastoreManager):
    """Redis, run as a real ``redis-server`` for one instance.

    :param info: the agent's ``GuestInfo``; ``bind_host`` and ``port`` are
        where the server listens.
    :param start_timeout: seconds a start may take until the server has
        loaded its data and answers.
    :param stop_timeout: seconds a clean shutdown (which writes the data
        out) may take before SIGKILL.
    """

    SERVER_NAME = 'redis-server'
    poll_interval = POLL_INTERVAL

    def __init__(self, info, start_timeout=START_TIMEOUT,
                 stop_timeout=STOP_TIMEOUT):
        super().__init__(info)
        if not info.instance_dir:
            raise exception.GuestError(
                message='Guest %s has no [guest] instance_dir.'
                        % info.guest_id)
        self.paths = Paths(os.path.abspath(info.instance_dir))
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        # NOTE(threads): prepare runs on a thread of its own and RPC calls
        # on the server's pool; one lifecycle operation at a time.
        self._lock = threading.RLock()
        self._process = None
        self._binary = None

    # -- the interface -------------------------------------------------------

    def prepare(self, memory_mb, databases, users, root_password=None,
                volume_size=None):
        if databases or users:
            raise exception.BadValue(
                message='Redis has no databases or users to create; create '
                        'the instance without them (its password is '
                        "root's, see 'root enable').")
        if root_password is not None:
            self._check_password(root_password)
        with self._lock:
            self._server_binary()
            run_as = self._run_as()
            self._make_dirs(run_as)
            self._write_config(memory_mb)
            self._write_acl(run_as)
            self.start_db()
            if root_password is not None:
                self._set_root(root_password, enabled=True)
            self.mark_prepared(volume_size)
        LOG.info('Instance %s prepared: redis-server on %s:%s',
                 self.info.guest_id, self.info.bind_host, self._port())

    def stop_db(self):
        with self._lock:
            pid = self._live_pid()
            if pid is None:
                self._reap()
                return
            LOG.info('Stopping redis-server of instance %s (pid %s)',
                     self.info.guest_id, pid)
            # NOTE(durability): SIGTERM is SHUTDOWN: the server fsyncs the
            # AOF (and writes its snapshot) before it exits. It needs no
            # login, so it works whatever state the ACLs are in.
            self._signal(pid, signal.SIGTERM)
            if not self._wait_gone(pid, self.stop_timeout):
                LOG.warning('redis-server of instance %s (pid %s) ignored '
                            'SIGTERM for %ss; killing it',
                            self.info.guest_id, pid, self.stop_timeout)
                self._signal(pid, signal.SIGKILL)
                self._wait_gone(pid, KILL_TIMEOUT)
            self._reap()
            # A killed server leaves its pid file; the stop was deliberate,
            # so the instance is shut down, not crashed.
            process.remove(self.paths.pid_file)

    def status(self):
        if self.prepared() is None:
            return states.SVC_NEW
        pid = self._live_pid()
        if pid is None:
            if os.path.exists(self.paths.pid_file):
                return states.SVC_CRASHED
            return states.SVC_SHUTDOWN
        secret = self._read_secret()
        if secret and admin.ping(self.paths.socket, secret):
            return states.SVC_HEALTHY
        return states.SVC_BLOCKED

    def filesystem_stats(self):
        return self.volume_stats(self.paths.datadir)

    def adopt(self):
        pid = self._live_pid()
        if pid is not None:
            LOG.info('Adopted redis-server of instance %s (pid %s)',
                     self.info.guest_id, pid)
        return pid

    # -- root (guest API 1.2) ------------------------------------------------

    def enable_root(self, password):
        self._check_password(password)
        with self._lock:
            self._set_root(password, enabled=True)
        return {'name': config.ROOT_USER, 'password': password}

    def disable_root(self):
        with self._lock:
            # NOTE(security): the server has no password-less mode; a
            # password nobody knows is what "disabled" means, and the
            # connections logged in with the old one are closed.
            self._set_root(random_password(), enabled=False)

    def is_root_enabled(self):
        return os.path.exists(self.paths.root_marker)

    def _set_root(self, password, enabled):
        try:
            with self._admin() as conn:
                admin.set_root_password(conn, password,
                                        disconnect=not enabled)
        except admin.ReplyError as err:
            raise self._error('redis-server refused to change the password '
                              'of %r: %s' % (config.ROOT_USER, err))
        if enabled:
            with open(self.paths.root_marker, 'w'):
                pass
        else:
            process.remove(self.paths.root_marker)

    @staticmethod
    def _check_password(password):
        if not isinstance(password, str) or not password:
            raise exception.BadValue(message='A password must not be '
                                             'empty.')

    # -- processes -------------------------------------------------------------

    def _port(self):
        return self.info.port or DEFAULT_PORT

    def _live_pid(self):
        """The pid of this instance's running server, or None."""
        if self._process is not None and self._process.poll() is None:
            return self._process.pid
        try:
            with open(self.paths.pid_file) as handle:
                pid = int(handle.read().strip() or 0)
        except (OSError, ValueError):
            return None
        if pid <= 0:
            return None
        alive, cmdline = process.process_state(pid)
        if alive and self.paths.conf in cmdline.split():
            return pid
        return None

    def _server_binary(self):
        """The ``redis-server`` to run, checked to be recent enough.

        :raises: exception.GuestError when none is installed or it is too
            old for the configuration this manager writes.
        """
        if self._binary is not None:
            return self._binary
        binary = process.find_binary(SERVER_BINARIES)
        if binary is None:
            raise exception.GuestError(
                message='No Redis server binary (redis-server) is installed '
                        'on this host.')
        version = server_version(binary)
        if version is None or version[:2] < config.MIN_VERSION:
            raise exception.GuestError(
                message='%s is version %s; trove_lite needs Redis %s or '
                        'newer (ACL users and channels).' % (
                            binary, '.'.join(map(str, version or ())) or
                            'unknown', '.'.join(map(str,
                                                    config.MIN_VERSION))))
        self._binary = binary
        return binary

    def _spawn(self):
        binary = self._server_binary()
        if not os.path.exists(self.paths.conf) or \
                not os.path.exists(self.paths.acl_file):
            raise exception.GuestError(
                message='Instance %s has no Redis configuration; prepare it '
                        'first.' % self.info.guest_id)
        run_as = self._run_as()
        process.remove(self.paths.pid_file)
        kwargs = {}
        if run_as is not None:
            kwargs = {'user': run_as.pw_uid, 'group': run_as.pw_gid,
                      'extra_groups': os.getgrouplist(run_as.pw_name,
                                                      run_as.pw_gid)}
        with open(self.paths.console_log, 'ab') as console:
            # NOTE(detach): a session of its own, so that the server
            # survives the agent (and trove-lite-all) stopping, and a
            # terminal's Ctrl-C never reaches it.
            self._process = subprocess.Popen(
                [binary, self.paths.conf], stdin=subprocess.DEVNULL,
                stdout=console, stderr=subprocess.STDOUT,
                cwd=self.paths.instance_dir, start_new_session=True,
                close_fds=True, **kwargs)
        LOG.info('Started redis-server for instance %s (pid %s) on %s:%s',
                 self.info.guest_id, self._process.pid, self.info.bind_host,
                 self._port())
        return self._process.pid

    def _answers(self):
        secret = self._read_secret()
        return bool(secret) and admin.ready(self.paths.socket, secret,
                                            timeout=2)

    def _error(self, reason):
        log = process.tail(self.paths.log_file)
        source = self.paths.log_file
        if not log:
            # Configuration errors are printed before the log file opens.
            log = process.tail(self.paths.console_log)
            source = self.paths.console_log
        return exception.GuestError(
            message='%s (instance %s, %s:%s). Last lines of %s:\n%s' % (
                reason, self.info.guest_id, self.info.bind_host,
                self._port(), source, log))

    def _admin(self):
        """An ``os_admin`` connection over the socket.

        :raises: exception.GuestError when the server does not let its
            agent in.
        """
        secret = self._read_secret()
        if not secret:
            raise exception.GuestError(
                message='Instance %s has no agent password (%s); prepare it '
                        'first.' % (self.info.guest_id,
                                    self.paths.admin_secret))
        try:
            return admin.connect(self.paths.socket, secret)
        except (admin.ReplyError, OSError) as err:
            raise self._error('cannot log in to redis-server on %s as %s: %s'
                              % (self.paths.socket, config.ADMIN_USER, err))

    # -- files -------------------------------------------------------------

    def _run_as(self):
        """The ``pwd`` entry of the server's user when we are root."""
        if os.geteuid() != 0:
            return None
        try:
            return pwd.getpwnam(SERVER_USER)
        except KeyError:
            raise exception.GuestError(
                message='The agent runs as root but there is no %r user to '
                        'run redis-server as.' % SERVER_USER)

    def _make_dirs(self, run_as):
        paths = self.paths
        os.makedirs(paths.instance_dir, exist_ok=True)
        private = (paths.datadir, paths.rundir, paths.logdir)
        for directory in private:
            os.makedirs(directory, mode=0o750, exist_ok=True)
        if run_as is None:
            return
        # The instance directory stays ours (guest_info.conf holds the
        # instance key, os_admin.secret the agent's password); the
        # server's user only needs to pass through it.
        mode = os.stat(paths.instance_dir).st_mode
        os.chmod(paths.instance_dir, stat.S_IMODE(mode) | stat.S_IXOTH)
        gids = os.getgrouplist(run_as.pw_name, run_as.pw_gid)
        blocked = process.untraversable_parent(paths.datadir, run_as.pw_uid,
                                               gids)
        if blocked:
            raise exception.GuestError(
                message='The %s user cannot enter %s, so redis-server could '
                        'not reach %s; give it search permission (chmod '
                        'o+x) or put instances elsewhere.' % (
                            run_as.pw_name, blocked, paths.instance_dir))
        for directory in private:
            os.chown(directory, run_as.pw_uid, run_as.pw_gid)

    def _write_config(self, memory_mb):
        settings = config.server_config(
            self.paths, self.info.bind_host or '127.0.0.1', self._port(),
            memory_mb)
        self._write(self.paths.conf, config.render(settings), 0o644)

    def _read_secret(self):
        try:
            with open(self.paths.admin_secret) as handle:
                return handle.read().strip() or None
        except OSError:
            return None

    def _write_acl(self, run_as):
        """Write ``users.acl`` with the agent's account (creating its
        password once) and, the first time, a ``default`` account with a
        password nobody knows.
        """
        secret = self._read_secret()
        if secret is None:
            secret = random_password()
            self._write(self.paths.admin_secret, secret + '\n', 0o600)
        try:
            with open(self.paths.acl_file) as handle:
                existing = handle.read()
        except FileNotFoundError:
            existing = ''
        text = config.merge_acl(existing, secret, random_password())
        self._write(self.paths.acl_file, text, 0o600, run_as)

    @staticmethod
    def _write(target, text, mode, owner=None):
        """Replace ``target`` atomically with ``text`` and ``mode``."""
        temporary = target + '.tmp'
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, 'w') as handle:
            handle.write(text)
        os.chmod(temporary, mode)
        if owner is not None:
            os.chown(temporary, owner.pw_uid, owner.pw_gid)
        os.replace(temporary, target)
