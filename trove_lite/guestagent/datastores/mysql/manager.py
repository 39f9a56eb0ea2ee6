"""The MySQL-family manager: a real ``mariadbd`` per instance.

Layout under the instance directory::

    my.cnf            the server's only option file (config.py)
    replication.cnf   what the replication role adds to it (written by
                      the replication strategy; included by my.cnf)
    guest_logs.cnf    the general and slow query logs the tenant enabled
                      (``apply_guest_logs``; included after it)
    data/             datadir: the instance's "volume"
    run/              socket, pid file, tmpdir, secure_file_priv directory
    log/              error log, console output, install log, general
                      and slow query logs (guest logs)
    prepared.json     written when prepare finished
    overrides.json    the configuration group's values: the overrides
                      layer of my.cnf (``apply_configuration`` also sets
                      them live, variables.py)

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
import subprocess
import threading

from oslo_log import log as logging

from trove_lite.common import exception
from trove_lite.common import guest_logs as log_types
from trove_lite.common import utils
from trove_lite.guestagent.datastores.mysql import admin
from trove_lite.guestagent.datastores.mysql import config
from trove_lite.guestagent.datastores.mysql import variables
from trove_lite.guestagent.datastores import process
from trove_lite.guestagent.datastores import server
from trove_lite.guestagent import guest_logs

LOG = logging.getLogger(__name__)

SERVER_BINARIES = ('mariadbd', 'mysqld')
INSTALL_BINARIES = ('mariadb-install-db', 'mysql_install_db')
INSTALL_TIMEOUT = 300
# The datastore's own upgrade step (system tables of the new version).
UPGRADE_BINARIES = ('mariadb-upgrade', 'mysql_upgrade')
UPGRADE_TIMEOUT = 600

# Run during mariadb-install-db's bootstrap, before the server ever
# listens: a "normal" install creates root@127.0.0.1, root@::1 and
# root@<hostname> without a password, which must never reach the network.
_INSTALL_SQL = """\
DELETE FROM mysql.global_priv WHERE User = 'root' AND Host <> 'localhost';
DELETE FROM mysql.global_priv WHERE User = '';
DELETE FROM mysql.proxies_priv WHERE Host <> 'localhost';
"""


def _in(server_path):
    """Where a binary was looked for, for a message ('' for PATH)."""
    return ' in %s' % ', '.join(server_path) if server_path else ''


def _read(path):
    """The text of ``path``, or None when there is no such file."""
    try:
        with open(path) as handle:
            return handle.read()
    except FileNotFoundError:
        return None


class Paths(server.Paths):
    """The files of one instance."""

    CONF_NAME = 'my.cnf'

    def __init__(self, instance_dir):
        super().__init__(instance_dir)
        join = os.path.join
        self.my_cnf = self.conf
        self.replication_cnf = join(instance_dir, 'replication.cnf')
        self.socket = join(self.rundir, 'mysqld.sock')
        self.pid_file = join(self.rundir, 'mysqld.pid')
        self.tmpdir = join(self.rundir, 'tmp')
        self.files_dir = join(self.rundir, 'files')
        self.log_error = join(self.logdir, 'error.log')
        self.console_log = join(self.logdir, 'console.log')
        self.install_log = join(self.logdir, 'install.log')
        self.install_sql = join(self.rundir, 'install.sql')
        self.guest_logs_cnf = join(instance_dir, 'guest_logs.cnf')
        self.general_log = join(self.logdir, 'general.log')
        self.slow_query_log = join(self.logdir, 'slow_query.log')


class Manager(server.ServerManager):
    """MySQL and MariaDB, run as a real ``mariadbd`` for one instance."""

    SERVER_NAME = 'mariadbd'
    SERVER_USER = 'mysql'
    # mariadbd drops privileges itself (``user`` in my.cnf).
    SPAWN_AS_SERVER_USER = False
    DEFAULT_PORT = 3306
    PATHS = Paths

    def __init__(self, info, start_timeout=None, stop_timeout=None):
        super().__init__(info, start_timeout, stop_timeout)
        self._sql_lock = threading.Lock()

    # -- the steps of prepare ------------------------------------------------

    def _validate_prepare(self, databases, users, root_password):
        return admin.validate_databases(databases), admin.validate_users(users)

    def _private_dirs(self):
        paths = self.paths
        return (paths.rundir, paths.logdir, paths.tmpdir, paths.files_dir)

    def _create_tenant_objects(self, databases, users, root_password):
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

    # -- configuration groups (guest API 1.5) --------------------------------
    #
    # NOTE(threads): under the lifecycle lock, so that no restart (nor the
    # supervisor's) starts the server from a my.cnf half-way between two
    # sets of overrides, and two applies do not interleave.

    def configuration_defaults(self, memory_mb):
        return config.parameters(self.paths, memory_mb, self.info.guest_id)

    def apply_configuration(self, overrides, memory_mb):
        """See ``DatastoreManager.apply_configuration``.

        :raises: exception.BadValue for a parameter name that is not a
            system variable's, one of the instance's own options (paths,
            address, port, user) or a value my.cnf could not hold (before
            anything changes); exception.GuestError when the server
            refuses a value or cannot be reached (the previous overrides,
            my.cnf and live values are then back).
        """
        overrides = self._check_overrides(overrides)
        with self._lock:
            previous = self.config_overrides()
            # A mapping is a whole section of my.cnf (``server_overrides``),
            # not a system variable.
            changed = [name for name in utils.changed_keys(previous,
                                                           overrides)
                       if not isinstance(previous.get(name), dict)]
            run_as = self._run_as()
            my_cnf = _read(self.paths.my_cnf)
            self.save_overrides(overrides)
            try:
                self._write_config(memory_mb, run_as)
                pending = self._apply_live(changed, overrides, memory_mb)
            except Exception:
                LOG.warning('Putting back the previous configuration '
                            'overrides of instance %s', self.info.guest_id)
                self.save_overrides(previous)
                if my_cnf is None:
                    process.remove(self.paths.my_cnf)
                else:
                    server.write_file(self.paths.my_cnf, my_cnf)
                raise
        LOG.info('Configuration overrides of instance %s: %s changed, '
                 'pending a restart: %s', self.info.guest_id,
                 ', '.join(changed) or 'none', ', '.join(pending) or 'none')
        return {'pending_restart': pending}

    def _check_overrides(self, overrides):
        """``overrides`` checked as ``apply_configuration`` promises.

        :raises: exception.BadValue.
        """
        if not isinstance(overrides, dict):
            raise exception.BadValue(
                message='Configuration overrides must be a mapping of '
                        'parameter names to values.')
        own = config.instance_options(self.paths)
        for name, value in overrides.items():
            variables.validate_name(name)
            if name in own:
                raise exception.BadValue(
                    message='The configuration parameter %s is set by the '
                            'instance itself and cannot be overridden.'
                            % name)
            config.check_value(name, value)
        return dict(overrides)

    def _apply_live(self, changed, overrides, memory_mb):
        """Set the ``changed`` parameters on the running server: to their
        new override, else to what the layers below say, else to the
        server's default.

        :returns: the names that take effect at the next start (all of
            them when the server is not running).
        """
        if not changed:
            return []
        if self._live_pid() is None:
            return list(changed)
        below = config.parameters(self.paths, memory_mb, self.info.guest_id)
        changes = {}
        for name in changed:
            if name in overrides:
                changes[name] = config.number(overrides[name])
            else:
                changes[name] = below.get(name, variables.DEFAULT)
        conn = self._connect()
        try:
            return variables.apply(conn, changes)
        finally:
            conn.close()

    # -- guest logs (guest API 1.8) --------------------------------------------

    def guest_log_definitions(self):
        paths = self.paths
        return {
            'general': guest_logs.LogDefinition(
                'general', log_types.USER,
                guest_logs.FileSource(paths.general_log)),
            'slow_query': guest_logs.LogDefinition(
                'slow_query', log_types.USER,
                guest_logs.FileSource(paths.slow_query_log)),
            'error': guest_logs.LogDefinition(
                'error', log_types.SYS,
                guest_logs.FileSource(paths.log_error)),
        }

    def apply_guest_logs(self, enabled, long_query_time_ms=None):
        """See ``DatastoreManager.apply_guest_logs``: ``guest_logs.cnf``
        for the next start, ``SET GLOBAL`` now (the files first, so that
        a log never opens the server's default file).
        """
        settings = config.guest_logs(self.paths, enabled, long_query_time_ms)
        with self._lock:
            server.write_file(self.paths.guest_logs_cnf, config.render(
                {config.SERVER: settings}))
            if self._live_pid() is None:
                return
            conn = self._connect()
            try:
                live = variables.Variables(conn)
                for name in config.GUEST_LOG_ORDER:
                    if name in settings:
                        live.set(name, config.number(settings[name]))
            finally:
                conn.close()

    # -- processes -------------------------------------------------------------

    def _server_binary(self):
        binary = self.find_server_binary(SERVER_BINARIES)
        if binary is None:
            raise exception.GuestError(
                message='No MariaDB server binary (%s) is installed on this '
                        'host%s.' % (', '.join(SERVER_BINARIES),
                                     _in(self.running_version()[1])))
        return binary

    def _server_command(self, binary):
        return [binary, '--defaults-file=%s' % self.paths.my_cnf]

    def _upgrade_data(self, binary):
        """``mariadb-upgrade`` beside the new server (its directories,
        else PATH's), as root over the socket: it brings the system
        tables to the new version and is a no-op when they are.

        :raises: exception.GuestError when it fails (with its output).
        """
        server_path = self.running_version()[1]
        tool = process.find_binary(
            UPGRADE_BINARIES, extra_dirs=('/usr/bin',),
            search_path=server_path or None)
        if tool is None:
            raise exception.GuestError(
                message='mariadb-upgrade is not installed on this host%s.'
                        % _in(server_path))
        log_path = os.path.join(self.paths.logdir, 'upgrade.log')
        with open(log_path, 'wb') as log:
            code = process.run_to_end(
                [tool, '--socket=%s' % self.paths.socket, '--user=root',
                 '--force'], UPGRADE_TIMEOUT, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT,
                cwd=self.paths.instance_dir)
        if code != 0:
            raise exception.GuestError(
                message='mariadb-upgrade failed (%s) for instance %s. Last '
                        'lines of %s:\n%s' % (code, self.info.guest_id,
                                              log_path,
                                              process.tail(log_path)))

    def _answers(self):
        return admin.ping(self.paths.socket, timeout=2)

    def _healthy(self):
        return admin.ping(self.paths.socket)

    def _logs(self):
        return [self.paths.log_error, self.paths.console_log]

    # -- files -------------------------------------------------------------

    def _write_config(self, memory_mb, run_as=None):
        settings = config.settings(
            self.paths, self.info.bind_host or '127.0.0.1', self.port,
            memory_mb, user=run_as.pw_name if run_as else None,
            overrides=config.server_overrides(self.config_overrides()),
            instance_id=self.info.guest_id)
        server.write_file(self.paths.my_cnf, config.render(
            settings, includes=[self.paths.replication_cnf,
                                self.paths.guest_logs_cnf]))

    def _initialised(self):
        return os.path.isdir(os.path.join(self.paths.datadir, 'mysql'))

    def _initialise(self, run_as):
        binary = process.find_binary(INSTALL_BINARIES,
                                     extra_dirs=('/usr/bin',))
        if binary is None:
            raise exception.GuestError(
                message='mariadb-install-db is not installed on this host.')
        with open(self.paths.install_sql, 'w') as handle:
            handle.write(_INSTALL_SQL)
        os.chmod(self.paths.install_sql, 0o644)
        command = [binary, '--defaults-file=%s' % self.paths.my_cnf,
                   '--auth-root-authentication-method=normal',
                   '--skip-test-db', '--datadir=%s' % self.paths.datadir,
                   '--extra-file=%s' % self.paths.install_sql]
        if run_as is not None:
            command.append('--user=%s' % run_as.pw_name)
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
