"""The Redis manager: a real ``redis-server`` per instance.

Layout under the instance directory::

    redis.conf        the server's only configuration file (config.py)
    replication.conf  included by redis.conf: the replication role's
                      directives (0600, the server's: a replica's holds
                      its source's replication password)
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
import secrets
import signal

from trove_lite.common import exception
from trove_lite.guestagent.datastores import process
from trove_lite.guestagent.datastores.redis import admin
from trove_lite.guestagent.datastores.redis import config
from trove_lite.guestagent.datastores import server

SERVER_BINARIES = ('redis-server',)
DEFAULT_PORT = 6379
# Random passwords (the agent's, and root's while it is disabled).
SECRET_BYTES = 32


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
        settings = config.settings(
            self.paths, self.info.bind_host or '127.0.0.1', self.port,
            memory_mb, overrides=self.config_overrides())
        server.write_file(self.paths.conf, config.render(
            settings, includes=[self.paths.replication_conf]))
        if not os.path.exists(self.paths.replication_conf):
            # NOTE(include): the server refuses to start without the
            # file it includes; the strategy rewrites it with a role.
            self.write_replication_config({}, run_as)
        self._write_acl(run_as)

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
