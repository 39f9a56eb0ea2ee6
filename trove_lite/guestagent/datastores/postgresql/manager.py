"""The PostgreSQL manager: a real ``postgres`` per instance.

Layout under the instance directory::

    postgresql.conf   the server's only configuration (config.py)
    replication.conf  what the replication role adds to it (written by
                      the replication strategy; included last)
    replication.json  the replication role (the strategy's record)
    overrides.json    the configuration group's values (base.py);
                      postgresql.candidate: a new postgresql.conf while
                      ``postgres -C`` checks it (apply_configuration)
    pg_hba.conf       who may log in how; pg_ident.conf: the peer map
    data/             the cluster (initdb): the instance's "volume"
    run/              unix socket directory and pid file; a replica's
                      password file for its source (replication.pgpass)
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
import re
import signal
import subprocess
import time

from oslo_log import log as logging
import psycopg

from trove_lite.common import exception
from trove_lite.common import guest_logs as log_types
from trove_lite.common import utils
from trove_lite.guestagent.datastores.postgresql import admin
from trove_lite.guestagent.datastores.postgresql import config
from trove_lite.guestagent.datastores import process
from trove_lite.guestagent.datastores import server
from trove_lite.guestagent import guest_logs

LOG = logging.getLogger(__name__)

SERVER_BINARY = 'postgres'
INITDB_BINARY = 'initdb'
# Debian and Ubuntu keep the server binaries of each major version here.
PG_BIN_GLOB = '/usr/lib/postgresql/%s/bin'
PG_VERSIONS = ('17', '16', '15', '14', '13')
DEFAULT_PORT = 5432
INITDB_TIMEOUT = 300
# sun_path of a unix socket holds 107 bytes and a NUL.
MAX_SOCKET_PATH = 107
# Where ``postgres -C`` reads a configuration before it replaces the
# instance's (in the instance directory, where the server's user reads).
CHECK_CONF = 'postgresql.candidate'
CHECK_TIMEOUT = 30
# Seconds the server may take to act on pg_reload_conf().
RELOAD_TIMEOUT = 10


class Paths(server.Paths):
    """The files of one instance."""

    CONF_NAME = 'postgresql.conf'

    def __init__(self, instance_dir, port=DEFAULT_PORT):
        super().__init__(instance_dir)
        join = os.path.join
        self.hba_file = join(instance_dir, 'pg_hba.conf')
        self.replication_conf = join(instance_dir, 'replication.conf')
        self.guest_logs_conf = join(instance_dir, 'guest_logs.conf')
        self.passfile = join(self.rundir, 'replication.pgpass')
        self.standby_signal = join(self.datadir, 'standby.signal')
        self.ident_file = join(instance_dir, 'pg_ident.conf')
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


def _read_text(path):
    """The stripped text of a small file, or '' when unreadable."""
    try:
        with open(path) as handle:
            return handle.read().strip()
    except OSError:
        return ''


def _refusals(log):
    """What a server's log says is wrong with a configuration (its lines
    without their prefixes and the noise of a missing include).
    """
    reasons = []
    for line in (log or '').splitlines():
        for marker in ('LOG:  ', 'FATAL:  ', 'ERROR:  '):
            if marker in line:
                line = line.split(marker, 1)[1]
                break
        line = line.strip()
        if line and not line.startswith('skipping missing configuration') \
                and not line.startswith('configuration file '):
            reasons.append(line)
    return '; '.join(reasons) or (log or '').strip()


def _server_env():
    """The agent's environment without libpq's PG* variables (which
    would point the tools elsewhere) and with messages in English.
    """
    env = {key: value for key, value in os.environ.items()
           if not key.startswith('PG')}
    env['LC_ALL'] = 'C'
    return env


class Manager(server.ServerManager):
    """PostgreSQL, run as a real ``postgres`` for one instance."""

    SERVER_NAME = 'postgres'
    SERVER_USER = 'postgres'
    SERVER_USER_REASON = ' (PostgreSQL refuses to run as root)'
    DEFAULT_PORT = DEFAULT_PORT
    # NOTE(shutdown): SIGINT is PostgreSQL's "fast" shutdown: it ends
    # client sessions and checkpoints. SIGTERM ("smart") would wait for
    # every client to leave.
    STOP_SIGNAL = signal.SIGINT
    # PostgreSQL wants its data directory 0700 (or 0750).
    DIR_MODE = 0o700
    poll_interval = 0.2

    def _make_paths(self, instance_dir):
        return Paths(instance_dir, self.port)

    # -- the steps of prepare ------------------------------------------------

    def _validate_prepare(self, databases, users, root_password):
        databases = admin.validate_databases(databases)
        users = admin.validate_users(users)
        if root_password is not None:
            admin.validate_password(root_password)
        return databases, users

    def _check_host(self):
        if len(self.paths.socket.encode('utf-8')) > MAX_SOCKET_PATH:
            raise exception.GuestError(
                message='The socket path %s is longer than the %d bytes a '
                        'unix socket allows; put instances in a shorter '
                        'directory.' % (self.paths.socket, MAX_SOCKET_PATH))

    def _create_tenant_objects(self, databases, users, root_password):
        with self._admin() as sql:
            sql.secure()
            for database in databases:
                sql.create_database(database)
            for user in users:
                sql.create_user(user, keep_existing=True)
            if root_password:
                sql.enable_root(root_password)

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
            return sql.enable_root(password)

    def disable_root(self):
        with self._admin() as sql:
            sql.disable_root()

    def is_root_enabled(self):
        with self._admin() as sql:
            return sql.is_root_enabled()

    # -- configuration groups (guest API 1.5) --------------------------------

    def configuration_defaults(self, memory_mb):
        return config.configuration_defaults(memory_mb)

    def apply_configuration(self, overrides, memory_mb):
        """Make ``overrides`` the instance's configuration group values.

        ``postgres -C`` reads the new ``postgresql.conf`` first
        (``_check_conf``): a value the server refuses raises before
        anything is saved or written. Then the overrides are saved, the
        file replaced and the server reloaded (``pg_reload_conf``): a
        parameter no longer in the file returns to PostgreSQL's own
        default. The reload is awaited: the changed parameters the server
        then flags ``pending_restart`` are returned.

        The server must run: a value is only known good once it has read
        it.

        :raises: exception.BadValue for a malformed or reserved parameter
            (``config.validate_overrides``); exception.GuestError when the
            server does not answer or refuses a value (nothing changed:
            the previous file and overrides stay, reloaded if the reload
            itself failed).
        """
        overrides = config.validate_overrides(overrides)
        with self._lock:
            previous = self.config_overrides()
            changed = utils.changed_keys(previous, overrides)
            if not changed:
                return {'pending_restart': []}
            text = self._render_conf(memory_mb, overrides)
            with self._admin() as sql:
                self._check_conf(text)
                before = sql.conf_load_time()
                with open(self.paths.conf) as handle:
                    old_text = handle.read()
                self.save_overrides(overrides)
                server.write_file(self.paths.conf, text)
                try:
                    sql.reload()
                    pending = self._pending_after_reload(sql, before,
                                                         changed)
                except Exception:
                    LOG.exception('Reloading the configuration of instance '
                                  '%s failed; restoring the previous one',
                                  self.info.guest_id)
                    self.save_overrides(previous)
                    server.write_file(self.paths.conf, old_text)
                    self._reload_quietly()
                    raise
        LOG.info('Configuration of instance %s: %s changed; pending a '
                 'restart: %s', self.info.guest_id, ', '.join(changed),
                 ', '.join(pending) or 'none')
        return {'pending_restart': pending}

    def _check_conf(self, text):
        """Have the server's binary read ``text`` as its configuration
        (``postgres -C``, which parses and checks every value as a start
        would, beside the running server, and exits).

        :raises: exception.GuestError with what PostgreSQL refused.
        """
        candidate = os.path.join(self.paths.instance_dir, CHECK_CONF)
        server.write_file(candidate, text)
        command = [self._server_binary(), '--config_file=%s' % candidate,
                   '-C', 'port']
        try:
            result = subprocess.run(
                command, stdin=subprocess.DEVNULL, capture_output=True,
                text=True, timeout=CHECK_TIMEOUT, env=_server_env(),
                cwd=self.paths.instance_dir,
                **server.user_args(self._run_as()))
        except subprocess.TimeoutExpired:
            raise exception.GuestError(
                message='Checking the new configuration of instance %s took '
                        'more than %s seconds.' % (self.info.guest_id,
                                                   CHECK_TIMEOUT))
        finally:
            process.remove(candidate)
        if result.returncode != 0:
            raise exception.GuestError(
                message='PostgreSQL refused the new configuration of '
                        'instance %s: %s' % (self.info.guest_id,
                                             _refusals(result.stderr)))

    def _pending_after_reload(self, sql, before, names):
        """Wait until the server reloaded (a new session sees a later
        ``pg_conf_load_time`` than ``before``); those of ``names`` it
        then says need a restart. When it does not say in time, those of
        ``names`` that only a restart changes.
        """
        deadline = time.monotonic() + RELOAD_TIMEOUT
        while time.monotonic() < deadline:
            fresh = admin.Admin(self._connect)
            try:
                if fresh.conf_load_time() > before:
                    return fresh.pending_restart(names)
            finally:
                fresh.close()
            time.sleep(self.poll_interval)
        LOG.warning('postgres of instance %s did not reload its '
                    'configuration within %ss', self.info.guest_id,
                    RELOAD_TIMEOUT)
        return sql.restart_parameters(names)

    # -- guest logs (guest API 1.8) --------------------------------------------
    #
    # NOTE(logs): the server's stderr is its one log file; the general log
    # is that file with every statement in it.

    def guest_log_definitions(self):
        return {'general': guest_logs.LogDefinition(
            'general', log_types.USER, guest_logs.FileSource(self.paths.log))}

    def apply_guest_logs(self, enabled, long_query_time_ms=None):
        """See ``DatastoreManager.apply_guest_logs``: ``guest_logs.conf``
        (included last), then a reload when the server runs.
        """
        settings = config.guest_logs(enabled, long_query_time_ms)
        with self._lock:
            server.write_file(self.paths.guest_logs_conf,
                              config.render(settings))
            if self._live_pid() is not None:
                try:
                    with admin.connect(self.paths.rundir, self.port) as conn:
                        conn.execute('SELECT pg_reload_conf()')
                except (psycopg.Error, OSError) as err:
                    raise self._error('cannot reload postgres: %s' % err)

    def _reload_quietly(self):
        """Ask the server to reload, if it can (after a rollback)."""
        try:
            with admin.connect(self.paths.rundir, self.port) as conn:
                conn.execute('SELECT pg_reload_conf()')
        except (psycopg.Error, OSError) as err:
            LOG.warning('Could not reload postgres of instance %s: %s',
                        self.info.guest_id, err)

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

    def _kill(self, pid):
        # The postmaster leads its session's process group: its backends
        # go with it.
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            self._signal(pid, signal.SIGKILL)

    def _server_binary(self):
        binary = self.find_server_binary(
            [SERVER_BINARY], extra_dirs=process.SBIN_DIRS + tuple(
                PG_BIN_GLOB % version for version in PG_VERSIONS))
        if binary is None:
            raise exception.GuestError(
                message='No PostgreSQL server binary (postgres) is installed '
                        'on this host%s.' % (
                            ' in %s' % ', '.join(self.running_version()[1])
                            if self.running_version()[1] else ''))
        return binary

    def _check_upgrade(self, binary):
        """A PostgreSQL server runs only the data of its own major
        version.

        :raises: exception.GuestError for another major version.
        """
        data_major = _read_text(os.path.join(self.paths.datadir,
                                             'PG_VERSION'))
        output = process.version_output(binary) or ''
        match = re.search(r'\(PostgreSQL\) (\d+)', output)
        if match is None or match.group(1) != data_major:
            raise exception.GuestError(
                message='%s is PostgreSQL %s and the data of instance %s is '
                        'PostgreSQL %s: a major upgrade needs pg_upgrade, '
                        'which trove_lite does not run yet.' % (
                            binary, match.group(1) if match else 'unknown',
                            self.info.guest_id, data_major or 'unknown'))

    def _server_command(self, binary):
        return [binary, '--config_file=%s' % self.paths.conf]

    def _server_env(self):
        return _server_env()

    def _console_log(self):
        return self.paths.log

    def _answers(self):
        return admin.ping(self.paths.rundir, self.port, timeout=2)

    def _healthy(self):
        return admin.ping(self.paths.rundir, self.port)

    # -- files -------------------------------------------------------------

    def _write_config(self, memory_mb, run_as=None):
        os_users = [pwd.getpwuid(os.geteuid()).pw_name]
        if run_as is not None:
            os_users.append(run_as.pw_name)
        for target, text in ((self.paths.conf, self._render_conf(
                                  memory_mb, self.config_overrides())),
                             (self.paths.hba_file, config.render_hba()),
                             (self.paths.ident_file,
                              config.render_ident(os_users))):
            server.write_file(target, text)

    def _render_conf(self, memory_mb, overrides):
        """The text of ``postgresql.conf`` with ``overrides``."""
        settings = config.settings(
            self.paths, self.info.bind_host or '127.0.0.1', self.port,
            memory_mb, overrides=overrides)
        return config.render(settings,
                             includes=[self.paths.replication_conf,
                                       self.paths.guest_logs_conf])

    def _initialised(self):
        return os.path.isfile(os.path.join(self.paths.datadir, 'PG_VERSION'))

    def _initialise(self, run_as):
        binary = find_binary(INITDB_BINARY)
        if binary is None:
            raise exception.GuestError(
                message='initdb is not installed on this host.')
        # NOTE(locale): C collation with UTF8 encoding works with every
        # encoding and locale a database may ask for (template0), and
        # exists on every host.
        command = [binary, '--pgdata=%s' % self.paths.datadir,
                   '--username=%s' % admin.SUPERUSER,
                   '--auth-local=peer', '--auth-host=scram-sha-256',
                   '--encoding=UTF8', '--locale=C']
        with open(self.paths.initdb_log, 'wb') as log:
            code = process.run_to_end(
                command, INITDB_TIMEOUT, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT,
                cwd=self.paths.instance_dir, env=_server_env(),
                **server.user_args(run_as))
        if code != 0:
            raise exception.GuestError(
                message='initdb failed (%s) for instance %s. Last lines of '
                        '%s:\n%s' % (code, self.info.guest_id,
                                     self.paths.initdb_log,
                                     process.tail(self.paths.initdb_log)))
