"""The Redis manager: a real ``redis-server`` per instance.

Layout under the instance directory::

    redis.conf        the server's only configuration file (config.py)
    replication.conf  included by redis.conf: the replication role's
                      directives (0600, the server's: a replica's holds
                      its source's replication password)
    os_admin.secret   the agent's own password (0600, the agent's file)
    root_enabled      present while the tenant knows ``default``'s password
    overrides.json    the configuration group's values (base.py)
    builtin_values.json  the server's own values of overridden directives
                      (apply_configuration)
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

import json
import os
import secrets
import signal

from oslo_log import log as logging

from trove_lite.common import exception
from trove_lite.common import guest_logs as log_types
from trove_lite.common import utils
from trove_lite.guestagent.datastores import process
from trove_lite.guestagent.datastores.redis import admin
from trove_lite.guestagent.datastores.redis import config
from trove_lite.guestagent.datastores import server
from trove_lite.guestagent import guest_logs

LOG = logging.getLogger(__name__)

SERVER_BINARIES = ('redis-server',)
DEFAULT_PORT = 6379
# Random passwords (the agent's, and root's while it is disabled).
SECRET_BYTES = 32
# The server's own values of overridden directives (see
# ``Manager.apply_configuration``), in the instance directory.
BUILTIN_FILE = 'builtin_values.json'


class Paths(server.Paths):
    """The files of one instance."""

    CONF_NAME = 'redis.conf'

    def __init__(self, instance_dir):
        super().__init__(instance_dir)
        join = os.path.join
        self.admin_secret = join(instance_dir, 'os_admin.secret')
        self.replication_conf = join(instance_dir, 'replication.conf')
        self.root_marker = join(instance_dir, 'root_enabled')
        self.acl_file = join(self.datadir, 'users.acl')
        self.socket = join(self.rundir, 'redis.sock')
        self.pid_file = join(self.rundir, 'redis.pid')
        self.log_file = join(self.logdir, 'redis.log')
        self.console_log = join(self.logdir, 'console.log')


def _next_builtin(builtin, previous, overrides, lower, running):
    """The built-in values to keep once ``overrides`` replace
    ``previous`` (see ``Manager.apply_configuration``): those of the
    directives still overridden that no ``lower`` layer sets, with the
    ``running`` value of each newly overridden one.
    """
    kept = {name: value for name, value in builtin.items()
            if name in overrides and name not in lower}
    for name in overrides:
        if name not in previous and name not in lower and \
                name not in kept and running.get(name) is not None:
            kept[name] = running[name]
    return kept


def _in(server_path):
    """Where a binary was looked for, for a message ('' for PATH)."""
    return ' in %s' % ', '.join(server_path) if server_path else ''


def random_password():
    return secrets.token_urlsafe(SECRET_BYTES)


def server_version(binary):
    """``(major, minor, patch)`` of ``binary``, or None if unknown."""
    output = process.version_output(binary)
    return config.parse_version(output) if output is not None else None


class Manager(server.ServerManager):
    """Redis, run as a real ``redis-server`` for one instance."""

    SERVER_NAME = 'redis-server'
    SERVER_USER = 'redis'
    DEFAULT_PORT = DEFAULT_PORT
    START_TIMEOUT = 60
    # NOTE(durability): SIGTERM is SHUTDOWN: the server fsyncs the AOF
    # (and writes its snapshot) before it exits. It needs no login, so it
    # works whatever state the ACLs are in.
    STOP_SIGNAL = signal.SIGTERM
    PATHS = Paths
    poll_interval = 0.1

    def __init__(self, info, start_timeout=None, stop_timeout=None):
        super().__init__(info, start_timeout, stop_timeout)
        self._binary = None

    # -- the steps of prepare ------------------------------------------------

    def _validate_prepare(self, databases, users, root_password):
        if databases or users:
            raise exception.BadValue(
                message='Redis has no databases or users to create; create '
                        'the instance without them (its password is '
                        "root's, see 'root enable').")
        if root_password is not None:
            self._check_password(root_password)
        return [], []

    def _check_host(self):
        self._server_binary()

    def _write_config(self, memory_mb, run_as=None):
        self._write_server_conf(memory_mb, self.config_overrides())
        if not os.path.exists(self.paths.replication_conf):
            # NOTE(include): the server refuses to start without the
            # file it includes; the strategy rewrites it with a role.
            self.write_replication_config({}, run_as)
        self._write_acl(run_as)

    def _write_server_conf(self, memory_mb, overrides):
        """Write ``redis.conf`` from the layers, with ``overrides``."""
        settings = config.settings(
            self.paths, self.info.bind_host or '127.0.0.1', self.port,
            memory_mb, overrides=overrides)
        server.write_file(self.paths.conf, config.render(
            settings, includes=[self.paths.replication_conf]))

    def _initialised(self):
        # Redis creates its data on first start; what it needs is the
        # configuration and the accounts.
        return (os.path.exists(self.paths.conf) and
                os.path.exists(self.paths.acl_file))

    def _create_tenant_objects(self, databases, users, root_password):
        if root_password is not None:
            self._set_root(root_password, enabled=True)

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

    # -- configuration groups (guest API 1.5) --------------------------------

    def configuration_defaults(self, memory_mb):
        return config.lower_layers(memory_mb)

    def apply_configuration(self, overrides, memory_mb):
        """Make ``overrides`` the instance's configuration group values.

        The overrides are saved and ``redis.conf`` written again (what a
        restart, or the supervisor's start after a crash, reads); then
        each changed directive gets its new value live with ``CONFIG
        SET``: the override, or for one no longer overridden the value of
        the layers below, or else the server's built-in value. A directive
        the server only reads when it starts (``immutable``) is pending a
        restart.

        NOTE(builtin): Redis cannot say what its built-in value of a
        directive is once it was changed, and ``CONFIG SET`` needs one to
        put back. Rather than a table of every directive's default (which
        would follow neither Redis versions nor the parameters an operator
        adds to the validation rules), the running value of a directive
        that no lower layer sets is recorded (``CONFIG GET``, in
        ``BUILTIN_FILE`` beside the overrides) before its first override
        changes it, and set again when the override goes. A directive
        overridden since ``prepare`` (whose server never ran without the
        override) has no recorded value: going back to the built-in one
        then waits for a restart (pending).

        :raises: exception.BadValue for a malformed or reserved directive
            (``config.validate_overrides``); exception.GuestError when the
            server does not answer or refuses a value (then the directives
            already set are set back, and the previous overrides and
            ``redis.conf`` are restored).
        """
        overrides = config.validate_overrides(overrides)
        with self._lock:
            previous = self.config_overrides()
            changed = utils.changed_keys(previous, overrides)
            if not changed:
                return {'pending_restart': []}
            lower = config.lower_layers(memory_mb)
            builtin = self._builtin_values()
            try:
                with self._admin() as conn:
                    running = {name: admin.config_get(conn, name)
                               for name in changed}
                    targets = {}
                    for name in changed:
                        if name in overrides:
                            value = overrides[name]
                        else:
                            value = lower.get(name, builtin.get(name))
                        targets[name] = (None if value is None else
                                         config.directive_value(value))
                    with open(self.paths.conf) as handle:
                        old_text = handle.read()
                    self.save_overrides(overrides)
                    self._save_builtin_values(_next_builtin(
                        builtin, previous, overrides, lower, running))
                    self._write_server_conf(memory_mb, overrides)
                    try:
                        pending = self._set_live(conn, targets, running)
                    except Exception:
                        self.save_overrides(previous)
                        self._save_builtin_values(builtin)
                        server.write_file(self.paths.conf, old_text)
                        raise
            except (admin.ReplyError, OSError) as err:
                raise self._error('redis-server failed to change the '
                                  'configuration: %s' % err)
        LOG.info('Configuration of instance %s: %s changed; pending a '
                 'restart: %s', self.info.guest_id, ', '.join(changed),
                 ', '.join(pending) or 'none')
        return {'pending_restart': pending}

    def _set_live(self, conn, targets, running):
        """``CONFIG SET`` each of ``targets`` (``{directive: value}``; a
        None value is not known and waits for a restart); on a refusal,
        set back those already set to their ``running`` values.

        :returns: the sorted directives pending a restart.
        :raises: exception.GuestError for a refused value.
        """
        applied, pending = [], []
        try:
            for name, value in sorted(targets.items()):
                if value is None:
                    pending.append(name)
                    continue
                try:
                    admin.config_set(conn, name, value)
                except admin.ReplyError as err:
                    if admin.immutable(err, running[name] is not None):
                        pending.append(name)
                        continue
                    raise exception.GuestError(
                        message='redis-server of instance %s refused %s %r: '
                                '%s' % (self.info.guest_id, name, value,
                                        err))
                applied.append(name)
        except Exception:
            for name in reversed(applied):
                if running[name] is None:
                    continue
                try:
                    admin.config_set(conn, name, running[name])
                except (admin.ReplyError, OSError) as err:
                    LOG.warning('Could not set %s of instance %s back to '
                                '%r: %s', name, self.info.guest_id,
                                running[name], err)
            raise
        return sorted(pending)

    def _builtin_values(self):
        """What ``BUILTIN_FILE`` recorded (``{}`` when nothing)."""
        try:
            with open(self.path(BUILTIN_FILE)) as handle:
                values = json.load(handle)
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as err:
            LOG.warning('Ignoring the unreadable %s: %s',
                        self.path(BUILTIN_FILE), err)
            return {}
        return values if isinstance(values, dict) else {}

    def _save_builtin_values(self, values):
        server.write_file(self.path(BUILTIN_FILE),
                          json.dumps(values, sort_keys=True), 0o600)

    # -- replication -----------------------------------------------------------

    def write_replication_config(self, settings, run_as=None):
        """Replace ``replication.conf`` with ``settings`` (what
        ``config.replication`` says of the role), which the server reads
        when it starts again.

        :param run_as: the server's user (``_run_as()`` when None).
        """
        if run_as is None:
            run_as = self._run_as()
        server.write_file(self.paths.replication_conf, config.render(
            settings, header=config.REPLICATION_HEADER), 0o600, run_as)
        self._include_replication_config()

    def _include_replication_config(self):
        """Make ``redis.conf`` include ``replication.conf`` (one written
        before there were roles did not).
        """
        include = config.render({}, includes=[self.paths.replication_conf],
                                header='').strip()
        try:
            with open(self.paths.conf) as handle:
                text = handle.read()
        except FileNotFoundError:
            return
        if include not in text.splitlines():
            server.write_file(self.paths.conf, text.rstrip('\n') + '\n' +
                              include + '\n')

    def root_password_hashes(self):
        """The SHA-256 hashes (hex) of ``default``'s passwords, which a
        replica copies so that the tenant's password works on it.

        :raises: exception.GuestError when the server does not say.
        """
        try:
            with self._admin() as conn:
                return admin.root_password_hashes(conn)
        except (admin.ReplyError, OSError) as err:
            raise self._error('cannot read the passwords of %r: %s'
                              % (config.ROOT_USER, err))

    def copy_root(self, hashes, enabled):
        """Give ``default`` the passwords of another instance's (their
        ``root_password_hashes``), and its root state.

        Connections logged in with another password are closed when the
        passwords change. Nothing happens when they are the same.

        :raises: exception.GuestError when the server refuses.
        """
        with self._lock:
            try:
                with self._admin() as conn:
                    current = admin.root_password_hashes(conn)
                    if sorted(current) != sorted(hashes):
                        admin.set_root_password_hashes(conn, hashes,
                                                       disconnect=True)
            except (admin.ReplyError, OSError) as err:
                raise self._error('redis-server refused to change the '
                                  'password of %r: %s'
                                  % (config.ROOT_USER, err))
            if enabled:
                with open(self.paths.root_marker, 'w'):
                    pass
            else:
                process.remove(self.paths.root_marker)

    # -- processes -------------------------------------------------------------

    def _owns(self, cmdline):
        return self.paths.conf in cmdline.split()

    def _server_binary(self):
        """The ``redis-server`` to run, checked to be recent enough.

        :raises: exception.GuestError when none is installed or it is too
            old for the configuration this manager writes.
        """
        if self._binary is not None:
            return self._binary
        binary = self.find_server_binary(SERVER_BINARIES)
        if binary is None:
            raise exception.GuestError(
                message='No Redis server binary (redis-server) is installed '
                        'on this host%s.' % _in(self.running_version()[1]))
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

    def _forget_binary(self):
        self._binary = None

    def _server_command(self, binary):
        return [binary, self.paths.conf]

    def _console_log(self):
        return self.paths.console_log

    def _answers(self):
        secret = self._read_secret()
        return bool(secret) and admin.ready(self.paths.socket, secret,
                                            timeout=2)

    def _healthy(self):
        secret = self._read_secret()
        return bool(secret) and admin.ping(self.paths.socket, secret)

    def guest_log_definitions(self):
        """The server's own log, always on (Redis has no general or slow
        query log file; its slow log lives in memory).
        """
        return {'server': guest_logs.LogDefinition(
            'server', log_types.SYS,
            guest_logs.FileSource(self.paths.log_file))}

    def _logs(self):
        # Configuration errors are printed before the log file opens.
        return [self.paths.log_file, self.paths.console_log]

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
            server.write_file(self.paths.admin_secret, secret + '\n', 0o600)
        try:
            with open(self.paths.acl_file) as handle:
                existing = handle.read()
        except FileNotFoundError:
            existing = ''
        text = config.merge_acl(existing, secret, random_password())
        server.write_file(self.paths.acl_file, text, 0o600, run_as)
