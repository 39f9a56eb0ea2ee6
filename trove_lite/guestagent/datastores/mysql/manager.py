"""The MySQL-family manager: a real ``mariadbd`` per instance.

Layout under the instance directory::

    my.cnf            the server's only option file (config.py)
    data/             datadir: the instance's "volume"
    run/              socket, pid file, tmpdir, secure_file_priv directory
    log/              error log, console output, install log
    prepared.json     written when prepare finished

The server is started detached (a session of its own, its own pid file) so
that it outlives the agent: an agent that starts and finds a live server
through the pid file adopts it instead of starting a second one. Whether a
pid still belongs to this instance is checked against the process's
command line (which names this instance's ``my.cnf``), so a recycled pid
is never mistaken for our server.

When the agent runs as root the server runs as the ``mysql`` user (it
drops privileges itself, ``user`` in my.cnf); otherwise as the agent's own
user.
"""

import contextlib
import os
import pwd
import shutil
import signal
import stat
import subprocess
import threading

from oslo_log import log as logging

from trove_lite.common import exception
from trove_lite.common import states
from trove_lite.guestagent.datastores import base
from trove_lite.guestagent.datastores.mysql import admin
from trove_lite.guestagent.datastores.mysql import config
from trove_lite.guestagent.datastores import process
from trove_lite.guestagent.datastores import server

LOG = logging.getLogger(__name__)

SERVER_BINARIES = ('mariadbd', 'mysqld')
INSTALL_BINARIES = ('mariadb-install-db', 'mysql_install_db')
SERVER_USER = 'mysql'
START_TIMEOUT = 120
STOP_TIMEOUT = 60
KILL_TIMEOUT = 10
INSTALL_TIMEOUT = 300
# NOTE(latency): a ping over the socket is cheap; every period spent
# sleeping past the moment mariadbd answers is added to a create.
POLL_INTERVAL = 0.02

# Run during mariadb-install-db's bootstrap, before the server ever
# listens: a "normal" install creates root@127.0.0.1, root@::1 and
# root@<hostname> without a password, which must never reach the network.
_INSTALL_SQL = """\
DELETE FROM mysql.global_priv WHERE User = 'root' AND Host <> 'localhost';
DELETE FROM mysql.global_priv WHERE User = '';
DELETE FROM mysql.proxies_priv WHERE Host <> 'localhost';
"""


class Paths:
    """The files of one instance."""

    def __init__(self, instance_dir):
        join = os.path.join
        self.instance_dir = instance_dir
        self.my_cnf = join(instance_dir, 'my.cnf')
        self.datadir = join(instance_dir, 'data')
        self.rundir = join(instance_dir, 'run')
        self.logdir = join(instance_dir, 'log')
        self.socket = join(self.rundir, 'mysqld.sock')
        self.pid_file = join(self.rundir, 'mysqld.pid')
        self.tmpdir = join(self.rundir, 'tmp')
        self.files_dir = join(self.rundir, 'files')
        self.log_error = join(self.logdir, 'error.log')
        self.console_log = join(self.logdir, 'console.log')
        self.install_log = join(self.logdir, 'install.log')
        self.install_sql = join(self.rundir, 'install.sql')


class Manager(server.DetachedServer, base.DatastoreManager):
    """MySQL and MariaDB, run as a real ``mariadbd`` for one instance.

    :param info: the agent's ``GuestInfo``; ``bind_host`` and ``port`` are
        where the server listens.
    :param start_timeout: seconds a start may take until the server
        answers.
    :param stop_timeout: seconds a clean shutdown may take before SIGKILL.
    """

    SERVER_NAME = 'mariadbd'
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
        self._sql_lock = threading.Lock()
        self._process = None

    # -- the interface -------------------------------------------------------

    def prepare(self, memory_mb, databases, users, root_password=None,
                volume_size=None):
        databases = admin.validate_databases(databases)
        users = admin.validate_users(users)
        with self._lock:
            run_as = self._run_as()
            self._make_dirs(run_as)
            self._write_config(memory_mb, run_as)
            if not self._initialised():
                self._install(run_as)
            self.start_db()
            conn = self._connect()
            try:
                sql = admin.Admin(conn)
                sql.secure()
                for database in databases:
                    sql.create_database(database)
                for user in users:
                    sql.create_user(user)
                if root_password:
                    sql.enable_root(root_password)
            finally:
                conn.close()
            self.mark_prepared(volume_size)
        LOG.info('Instance %s prepared: mariadbd on %s:%s',
                 self.info.guest_id, self.info.bind_host, self.info.port)

    def stop_db(self):
        with self._lock:
            pid = self._live_pid()
            if pid is None:
                self._reap()
                return
            LOG.info('Stopping mariadbd of instance %s (pid %s)',
                     self.info.guest_id, pid)
            self._signal(pid, signal.SIGTERM)
            if not self._wait_gone(pid, self.stop_timeout):
                LOG.warning('mariadbd of instance %s (pid %s) ignored SIGTERM '
                            'for %ss; killing it', self.info.guest_id, pid,
                            self.stop_timeout)
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
        if admin.ping(self.paths.socket):
            return states.SVC_HEALTHY
        return states.SVC_BLOCKED

    def filesystem_stats(self):
        return self.volume_stats(self.paths.datadir)

    def adopt(self):
        pid = self._live_pid()
        if pid is not None:
            LOG.info('Adopted mariadbd of instance %s (pid %s)',
                     self.info.guest_id, pid)
        return pid

    # -- databases, users, root (guest API 1.2) ------------------------------
    #
    # Each call opens a root session on the socket and hands over to
    # ``admin.Admin``, which validates, checks and maps server errors.
    # NOTE(threads): changes take ``_sql_lock`` so that one request's
    # checks ("no such user yet") still hold when it acts; reads do not
    # wait for a slow change. The lifecycle lock is not taken: a call
    # during a restart fails cleanly on the socket instead of waiting.

    @contextlib.contextmanager
    def _admin(self, change=True):
        with contextlib.ExitStack() as stack:
            if change:
                stack.enter_context(self._sql_lock)
            yield stack.enter_context(admin.session(self.paths.socket))

    def list_databases(self):
        with self._admin(change=False) as sql:
            return sql.list_databases()

    def create_databases(self, databases):
        with self._admin() as sql:
            sql.create_databases(databases)

    def delete_database(self, name):
        with self._admin() as sql:
            sql.delete_database(name)

    def list_users(self):
        with self._admin(change=False) as sql:
            return sql.list_users()

    def get_user(self, name, host):
        with self._admin(change=False) as sql:
            return sql.get_user(name, host)

    def create_users(self, users):
        with self._admin() as sql:
            sql.create_users(users)

    def delete_user(self, name, host):
        with self._admin() as sql:
            sql.delete_user(name, host)

    def update_user(self, name, host, attributes):
        with self._admin() as sql:
            sql.update_user(name, host, attributes)

    def change_passwords(self, users):
        with self._admin() as sql:
            sql.change_passwords(users)

    def list_access(self, name, host):
        with self._admin(change=False) as sql:
            return sql.list_access(name, host)

    def grant_access(self, name, host, databases):
        with self._admin() as sql:
            sql.grant_access(name, host, databases)

    def revoke_access(self, name, host, database):
        with self._admin() as sql:
            sql.revoke_access(name, host, database)

    def enable_root(self, password):
        with self._admin() as sql:
            return sql.enable_root(password)

    def disable_root(self):
        with self._admin() as sql:
            sql.disable_root()

    def is_root_enabled(self):
        with self._admin(change=False) as sql:
            return sql.is_root_enabled()

    # -- processes -------------------------------------------------------------

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
        if alive and self.paths.my_cnf in cmdline:
            return pid
        return None

    def _spawn(self):
        binary = process.find_binary(SERVER_BINARIES)
        if binary is None:
            raise exception.GuestError(
                message='No MariaDB server binary (%s) is installed on this '
                        'host.' % ', '.join(SERVER_BINARIES))
        if not self._initialised():
            raise exception.GuestError(
                message='Instance %s has no initialised data directory; '
                        'prepare it first.' % self.info.guest_id)
        process.remove(self.paths.pid_file)
        with open(self.paths.console_log, 'ab') as console:
            # NOTE(detach): a session of its own, so that the server
            # survives the agent (and trove-lite-all) stopping, and a
            # terminal's Ctrl-C never reaches it.
            self._process = subprocess.Popen(
                [binary, '--defaults-file=%s' % self.paths.my_cnf],
                stdin=subprocess.DEVNULL, stdout=console,
                stderr=subprocess.STDOUT, cwd=self.paths.instance_dir,
                start_new_session=True, close_fds=True)
        LOG.info('Started mariadbd for instance %s (pid %s) on %s:%s',
                 self.info.guest_id, self._process.pid, self.info.bind_host,
                 self.info.port)
        return self._process.pid

    def _answers(self):
        return admin.ping(self.paths.socket, timeout=2)

    def _error(self, reason):
        log = (process.tail(self.paths.log_error) or
               process.tail(self.paths.console_log))
        return exception.GuestError(
            message='%s (instance %s, %s:%s). Last lines of %s:\n%s' % (
                reason, self.info.guest_id, self.info.bind_host,
                self.info.port, self.paths.log_error, log))

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
                        'run mariadbd as.' % SERVER_USER)

    def _make_dirs(self, run_as):
        paths = self.paths
        os.makedirs(paths.instance_dir, exist_ok=True)
        private = (paths.datadir, paths.rundir, paths.logdir, paths.tmpdir,
                   paths.files_dir)
        for directory in private:
            os.makedirs(directory, mode=0o750, exist_ok=True)
        if run_as is None:
            return
        # The instance directory stays ours (guest_info.conf holds the
        # instance key); the server's user only needs to pass through it.
        mode = os.stat(paths.instance_dir).st_mode
        os.chmod(paths.instance_dir, stat.S_IMODE(mode) | stat.S_IXOTH)
        gids = os.getgrouplist(run_as.pw_name, run_as.pw_gid)
        blocked = process.untraversable_parent(paths.datadir,
                                               run_as.pw_uid, gids)
        if blocked:
            raise exception.GuestError(
                message='The %s user cannot enter %s, so mariadbd could not '
                        'reach %s; give it search permission (chmod o+x) or '
                        'put instances elsewhere.' % (run_as.pw_name, blocked,
                                                      paths.instance_dir))
        for directory in private:
            os.chown(directory, run_as.pw_uid, run_as.pw_gid)

    def _write_config(self, memory_mb, run_as):
        settings = config.server_config(
            self.paths, self.info.bind_host or '127.0.0.1',
            self.info.port or 3306, memory_mb,
            user=run_as.pw_name if run_as else None)
        text = config.render(settings)
        target = self.paths.my_cnf
        with open(target + '.tmp', 'w') as handle:
            handle.write(text)
        os.chmod(target + '.tmp', 0o644)
        os.replace(target + '.tmp', target)

    def _initialised(self):
        return os.path.isdir(os.path.join(self.paths.datadir, 'mysql'))

    def _install(self, run_as):
        binary = process.find_binary(INSTALL_BINARIES,
                                     extra_dirs=('/usr/bin',))
        if binary is None:
            raise exception.GuestError(
                message='mariadb-install-db is not installed on this host.')
        # A half-done earlier install leaves files that would make this
        # one fail; the volume holds nothing else yet.
        for entry in os.listdir(self.paths.datadir):
            target = os.path.join(self.paths.datadir, entry)
            if os.path.isdir(target) and not os.path.islink(target):
                shutil.rmtree(target)
            else:
                os.remove(target)
        with open(self.paths.install_sql, 'w') as handle:
            handle.write(_INSTALL_SQL)
        os.chmod(self.paths.install_sql, 0o644)
        command = [binary, '--defaults-file=%s' % self.paths.my_cnf,
                   '--auth-root-authentication-method=normal',
                   '--skip-test-db', '--datadir=%s' % self.paths.datadir,
                   '--extra-file=%s' % self.paths.install_sql]
        if run_as is not None:
            command.append('--user=%s' % run_as.pw_name)
        LOG.info('Initialising the data of instance %s', self.info.guest_id)
        with open(self.paths.install_log, 'wb') as log:
            code = process.run_to_end(
                command, INSTALL_TIMEOUT, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT,
                cwd=self.paths.instance_dir)
        if code != 0:
            raise exception.GuestError(
                message='mariadb-install-db failed (%s) for instance %s. '
                        'Last lines of %s:\n%s' % (
                            code, self.info.guest_id, self.paths.install_log,
                            process.tail(self.paths.install_log)))

    def _connect(self):
        try:
            return admin.connect(self.paths.socket)
        except Exception as err:
            raise self._error('cannot connect to mariadbd on %s: %s'
                              % (self.paths.socket, err))
