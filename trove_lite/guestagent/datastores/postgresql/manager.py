"""The PostgreSQL manager: a real ``postgres`` per instance.

Layout under the instance directory::

    postgresql.conf   the server's only configuration (config.py)
    pg_hba.conf       who may log in how; pg_ident.conf: the peer map
    data/             the cluster (initdb): the instance's "volume"
    run/              unix socket directory and pid file
    log/              the server's log (its stderr), initdb's log
    prepared.json     written when prepare finished

The server is started detached (a session of its own, a pid file in
``run/``) so that it outlives the agent: an agent that starts and finds a
live server through the pid file adopts it instead of starting a second
one. Whether a pid still belongs to this instance is checked against the
process's command line (which names this instance's ``postgresql.conf``),
so a recycled pid is never mistaken for our server.

PostgreSQL refuses to run as root. When the agent runs as root, ``initdb``
and the server run as the ``postgres`` user (the agent switches user when
it spawns them); otherwise as the agent's own user.
"""

import contextlib
import os
import pwd
import signal
import stat
import subprocess
import threading

from oslo_log import log as logging
import psycopg

from trove_lite.common import exception
from trove_lite.common import states
from trove_lite.guestagent.datastores import base
from trove_lite.guestagent.datastores.postgresql import admin
from trove_lite.guestagent.datastores.postgresql import config
from trove_lite.guestagent.datastores import process
from trove_lite.guestagent.datastores import server

LOG = logging.getLogger(__name__)

SERVER_BINARY = 'postgres'
INITDB_BINARY = 'initdb'
# Debian and Ubuntu keep the server binaries of each major version here.
PG_BIN_GLOB = '/usr/lib/postgresql/%s/bin'
PG_VERSIONS = ('17', '16', '15', '14', '13')
SERVER_USER = 'postgres'
DEFAULT_PORT = 5432
START_TIMEOUT = 120
STOP_TIMEOUT = 60
KILL_TIMEOUT = 10
INITDB_TIMEOUT = 300
POLL_INTERVAL = 0.2
# sun_path of a unix socket holds 107 bytes and a NUL.
MAX_SOCKET_PATH = 107


class Paths:
    """The files of one instance."""

    def __init__(self, instance_dir, port=DEFAULT_PORT):
        join = os.path.join
        self.instance_dir = instance_dir
        self.conf = join(instance_dir, 'postgresql.conf')
        self.hba_file = join(instance_dir, 'pg_hba.conf')
        self.ident_file = join(instance_dir, 'pg_ident.conf')
        self.datadir = join(instance_dir, 'data')
        self.rundir = join(instance_dir, 'run')
        self.logdir = join(instance_dir, 'log')
        self.socket = join(self.rundir, '.s.PGSQL.%d' % port)
        self.pid_file = join(self.rundir, 'postgres.pid')
        self.log = join(self.logdir, 'postgresql.log')
        self.initdb_log = join(self.logdir, 'initdb.log')


def find_binary(name):
    """``name`` from PATH, the sbin directories or Debian's versioned
    directories (newest first), or None.
    """
    extra = process.SBIN_DIRS + tuple(PG_BIN_GLOB % version
                                      for version in PG_VERSIONS)
    return process.find_binary([name], extra_dirs=extra)


def _server_env():
    """The agent's environment without libpq's PG* variables (which
    would point the tools elsewhere) and with messages in English.
    """
    env = {key: value for key, value in os.environ.items()
           if not key.startswith('PG')}
    env['LC_ALL'] = 'C'
    return env


class Manager(server.DetachedServer, base.DatastoreManager):
    """PostgreSQL, run as a real ``postgres`` for one instance.

    :param info: the agent's ``GuestInfo``; ``bind_host`` and ``port`` are
        where the server listens.
    :param start_timeout: seconds a start may take until the server
        answers.
    :param stop_timeout: seconds a fast shutdown may take before SIGKILL.
    """

    SERVER_NAME = 'postgres'
    poll_interval = POLL_INTERVAL

    def __init__(self, info, start_timeout=START_TIMEOUT,
                 stop_timeout=STOP_TIMEOUT):
        super().__init__(info)
        if not info.instance_dir:
            raise exception.GuestError(
                message='Guest %s has no [guest] instance_dir.'
                        % info.guest_id)
        self.port = int(info.port or DEFAULT_PORT)
        self.paths = Paths(os.path.abspath(info.instance_dir), self.port)
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        # NOTE(threads): prepare runs on a thread of its own and RPC calls
        # on the server's pool; one lifecycle operation at a time.
        self._lock = threading.RLock()
        self._process = None

    # -- the interface -------------------------------------------------------

    def prepare(self, memory_mb, databases, users, root_password=None,
                volume_size=None):
        databases = admin.validate_databases(databases)
        users = admin.validate_users(users)
        if root_password is not None:
            admin.validate_password(root_password)
        self._check_socket_path()
        with self._lock:
            run_as = self._run_as()
            self._make_dirs(run_as)
            self._write_config(memory_mb, run_as)
            if not self._initialised():
                self._initdb(run_as)
            self.start_db()
            with self._admin() as sql:
                sql.secure()
                for database in databases:
                    sql.create_database(database)
                for user in users:
                    sql.create_user(user, keep_existing=True)
                if root_password:
                    sql.enable_root(root_password)
            self.mark_prepared(volume_size)
        LOG.info('Instance %s prepared: postgres on %s:%s',
                 self.info.guest_id, self.info.bind_host, self.port)

    def stop_db(self):
        with self._lock:
            pid = self._live_pid()
            if pid is None:
                self._reap()
                return
            LOG.info('Stopping postgres of instance %s (pid %s)',
                     self.info.guest_id, pid)
            # NOTE(shutdown): SIGINT is PostgreSQL's "fast" shutdown: it
            # ends client sessions and checkpoints. SIGTERM ("smart")
            # would wait for every client to leave.
            self._signal(pid, signal.SIGINT)
            if not self._wait_gone(pid, self.stop_timeout):
                LOG.warning('postgres of instance %s (pid %s) did not shut '
                            'down in %ss; killing it', self.info.guest_id,
                            pid, self.stop_timeout)
                # The postmaster leads its session's process group: its
                # backends go with it.
                try:
                    os.killpg(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
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
        if admin.ping(self.paths.rundir, self.port):
            return states.SVC_HEALTHY
        return states.SVC_BLOCKED

    def filesystem_stats(self):
        return self.volume_stats(self.paths.datadir)

    def adopt(self):
        pid = self._live_pid()
        if pid is not None:
            LOG.info('Adopted postgres of instance %s (pid %s)',
                     self.info.guest_id, pid)
        return pid

    # -- databases, users, root (guest API 1.2) ----------------------------

    def list_databases(self):
        with self._admin() as sql:
            return sql.list_databases()

    def create_databases(self, databases):
        databases = admin.validate_databases(databases)
        with self._admin() as sql:
            for database in databases:
                sql.create_database(database)

    def delete_database(self, name):
        admin.validate_database_name(name)
        with self._admin() as sql:
            sql.drop_database(name)

    def list_users(self):
        with self._admin() as sql:
            return sql.list_users()

    def get_user(self, name, host):
        admin.validate_user_name(name)
        admin.validate_host(host)
        with self._admin() as sql:
            return sql.get_user(name)

    def create_users(self, users):
        users = admin.validate_users(users)
        with self._admin() as sql:
            # Refuse before creating anything.
            for user in users:
                if sql.role_exists(user['name']):
                    raise exception.UserAlreadyExists(name=user['name'])
                sql.require_databases(user['databases'])
            for user in users:
                sql.create_user(user)

    def delete_user(self, name, host):
        admin.validate_user_name(name)
        admin.validate_host(host)
        with self._admin() as sql:
            sql.require_user(name)
            sql.drop_user(name)

    def update_user(self, name, host, attributes):
        admin.validate_user_name(name)
        admin.validate_host(host)
        attributes = attributes or {}
        new_name = attributes.get('name')
        if new_name is not None and new_name != name:
            admin.validate_user_name(new_name)
        else:
            new_name = None
        admin.validate_host(attributes.get('host'))
        password = attributes.get('password')
        if password is not None:
            admin.validate_password(password)
        with self._admin() as sql:
            sql.require_user(name)
            if new_name is not None:
                sql.rename_user(name, new_name)
                name = new_name
            if password is not None:
                sql.set_password(name, password)

    def change_passwords(self, users):
        checked = []
        for user in users or []:
            checked.append((admin.validate_user_name(user.get('name')),
                            admin.validate_host(user.get('host')),
                            admin.validate_password(user.get('password'))))
        with self._admin() as sql:
            for name, _, _ in checked:
                sql.require_user(name)
            for name, _, password in checked:
                sql.set_password(name, password)

    def list_access(self, name, host):
        admin.validate_user_name(name)
        admin.validate_host(host)
        with self._admin() as sql:
            return sql.require_user(name)['databases']

    def grant_access(self, name, host, databases):
        admin.validate_user_name(name)
        admin.validate_host(host)
        names = [admin.validate_database_name(db) for db in databases or []]
        with self._admin() as sql:
            sql.require_user(name)
            sql.require_databases(names)
            for database in names:
                sql.grant(name, database)

    def revoke_access(self, name, host, database):
        admin.validate_user_name(name)
        admin.validate_host(host)
        admin.validate_database_name(database)
        with self._admin() as sql:
            user = sql.require_user(name)
            if {'name': database} not in user['databases']:
                raise exception.DatabaseNotFound(name=database)
            sql.revoke(name, database)

    def enable_root(self, password):
        admin.validate_password(password)
        with self._admin() as sql:
            sql.enable_root(password)
        return {'name': admin.SUPERUSER, 'password': password}

    def disable_root(self):
        with self._admin() as sql:
            sql.disable_root()

    def is_root_enabled(self):
        with self._admin() as sql:
            return sql.is_root_enabled()

    @contextlib.contextmanager
    def _admin(self):
        """An ``admin.Admin`` on the running server.

        :raises: exception.GuestError when the server cannot be reached or
            fails in a way that is not the caller's (the tenant's errors
            are BadValue, UserNotFound, ... from ``admin``).
        """
        try:
            sql = admin.Admin(self._connect)
        except psycopg.Error as err:
            raise self._error('cannot connect to postgres on %s: %s'
                              % (self.paths.socket, err))
        try:
            yield sql
        except psycopg.Error as err:
            raise exception.GuestError(
                message='PostgreSQL of instance %s failed: %s' % (
                    self.info.guest_id, str(err).strip()))
        finally:
            sql.close()

    def _connect(self, dbname=admin.MAINTENANCE_DB):
        return admin.connect(self.paths.rundir, self.port, dbname)

    # -- processes -------------------------------------------------------------

    def _live_pid(self):
        """The pid of this instance's running server, or None."""
        if self._process is not None and self._process.poll() is None:
            return self._process.pid
        pid = process.read_pid(self.paths.pid_file)
        if pid is None:
            return None
        alive, cmdline = process.process_state(pid)
        if alive and self.paths.conf in cmdline:
            return pid
        return None

    def _spawn(self):
        binary = find_binary(SERVER_BINARY)
        if binary is None:
            raise exception.GuestError(
                message='No PostgreSQL server binary (postgres) is installed '
                        'on this host.')
        if not self._initialised():
            raise exception.GuestError(
                message='Instance %s has no initialised data directory; '
                        'prepare it first.' % self.info.guest_id)
        run_as = self._run_as()
        process.remove(self.paths.pid_file)
        with open(self.paths.log, 'ab') as log:
            # NOTE(detach): a session of its own, so that the server
            # survives the agent (and trove-lite-all) stopping, and a
            # terminal's Ctrl-C never reaches it.
            self._process = subprocess.Popen(
                [binary, '--config_file=%s' % self.paths.conf],
                stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, cwd=self.paths.instance_dir,
                env=_server_env(), start_new_session=True, close_fds=True,
                **self._user_args(run_as))
        LOG.info('Started postgres for instance %s (pid %s) on %s:%s',
                 self.info.guest_id, self._process.pid, self.info.bind_host,
                 self.port)
        return self._process.pid

    def _answers(self):
        return admin.ping(self.paths.rundir, self.port, timeout=2)

    def _error(self, reason):
        return exception.GuestError(
            message='%s (instance %s, %s:%s). Last lines of %s:\n%s' % (
                reason, self.info.guest_id, self.info.bind_host, self.port,
                self.paths.log, process.tail(self.paths.log)))

    # -- files -------------------------------------------------------------

    def _check_socket_path(self):
        if len(self.paths.socket.encode('utf-8')) > MAX_SOCKET_PATH:
            raise exception.GuestError(
                message='The socket path %s is longer than the %d bytes a '
                        'unix socket allows; put instances in a shorter '
                        'directory.' % (self.paths.socket, MAX_SOCKET_PATH))

    def _run_as(self):
        """The ``pwd`` entry of the server's user when we are root."""
        if os.geteuid() != 0:
            return None
        try:
            return pwd.getpwnam(SERVER_USER)
        except KeyError:
            raise exception.GuestError(
                message='The agent runs as root but there is no %r user to '
                        'run postgres as (PostgreSQL refuses to run as '
                        'root).' % SERVER_USER)

    @staticmethod
    def _user_args(run_as):
        """Popen arguments that start a program as ``run_as``."""
        if run_as is None:
            return {}
        return {'user': run_as.pw_uid, 'group': run_as.pw_gid,
                'extra_groups': os.getgrouplist(run_as.pw_name,
                                                run_as.pw_gid)}

    def _make_dirs(self, run_as):
        paths = self.paths
        os.makedirs(paths.instance_dir, exist_ok=True)
        # PostgreSQL wants its data directory 0700 (or 0750).
        private = (paths.datadir, paths.rundir, paths.logdir)
        for directory in private:
            os.makedirs(directory, mode=0o700, exist_ok=True)
        if run_as is None:
            return
        # The instance directory stays ours (guest_info.conf holds the
        # instance key); the server's user only needs to pass through it.
        mode = os.stat(paths.instance_dir).st_mode
        os.chmod(paths.instance_dir, stat.S_IMODE(mode) | stat.S_IXOTH)
        gids = os.getgrouplist(run_as.pw_name, run_as.pw_gid)
        blocked = process.untraversable_parent(paths.datadir, run_as.pw_uid,
                                               gids)
        if blocked:
            raise exception.GuestError(
                message='The %s user cannot enter %s, so postgres could not '
                        'reach %s; give it search permission (chmod o+x) or '
                        'put instances elsewhere.' % (run_as.pw_name, blocked,
                                                      paths.instance_dir))
        for directory in private:
            os.chown(directory, run_as.pw_uid, run_as.pw_gid)

    def _write_config(self, memory_mb, run_as):
        settings = config.server_config(
            self.paths, self.info.bind_host or '127.0.0.1', self.port,
            memory_mb)
        os_users = [pwd.getpwuid(os.geteuid()).pw_name]
        if run_as is not None:
            os_users.append(run_as.pw_name)
        for target, text in ((self.paths.conf, config.render(settings)),
                             (self.paths.hba_file, config.render_hba()),
                             (self.paths.ident_file,
                              config.render_ident(os_users))):
            with open(target + '.tmp', 'w') as handle:
                handle.write(text)
            os.chmod(target + '.tmp', 0o644)
            os.replace(target + '.tmp', target)

    def _initialised(self):
        return os.path.isfile(os.path.join(self.paths.datadir, 'PG_VERSION'))

    def _initdb(self, run_as):
        binary = find_binary(INITDB_BINARY)
        if binary is None:
            raise exception.GuestError(
                message='initdb is not installed on this host.')
        # A half-done earlier initdb leaves files that would make this one
        # refuse; the volume holds nothing else yet.
        process.empty_directory(self.paths.datadir)
        # NOTE(locale): C collation with UTF8 encoding works with every
        # encoding and locale a database may ask for (template0), and
        # exists on every host.
        command = [binary, '--pgdata=%s' % self.paths.datadir,
                   '--username=%s' % admin.SUPERUSER,
                   '--auth-local=peer', '--auth-host=scram-sha-256',
                   '--encoding=UTF8', '--locale=C']
        LOG.info('Initialising the data of instance %s', self.info.guest_id)
        with open(self.paths.initdb_log, 'wb') as log:
            code = process.run_to_end(
                command, INITDB_TIMEOUT, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT,
                cwd=self.paths.instance_dir, env=_server_env(),
                **self._user_args(run_as))
        if code != 0:
            raise exception.GuestError(
                message='initdb failed (%s) for instance %s. Last lines of '
                        '%s:\n%s' % (code, self.info.guest_id,
                                     self.paths.initdb_log,
                                     process.tail(self.paths.initdb_log)))
