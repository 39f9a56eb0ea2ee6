"""The ``my.cnf`` of a MySQL-family instance.

The server reads only this file (``--defaults-file``), never the host's
``/etc/mysql``: the machine may run a MariaDB of its own (127.0.0.1:3306
on a development host) that an instance must not share a socket, pid
file, port or data with. Every path points into the instance directory.

Sizing follows the flavor: the InnoDB buffer pool gets half the RAM (at
least ``MIN_BUFFER_POOL_MB``), rounded down to a multiple of
``BUFFER_POOL_CHUNK_MB`` because InnoDB rounds it anyway; the redo log is
a quarter of the pool.
"""

import dataclasses

MIN_BUFFER_POOL_MB = 16
BUFFER_POOL_CHUNK_MB = 8
BUFFER_POOL_SHARE = 0.5
MIN_REDO_LOG_MB = 8
DEFAULT_MAX_CONNECTIONS = 100
# Memory a connection may take in the worst case, to bound
# max_connections on tiny flavors.
MB_PER_CONNECTION = 2
MIN_MAX_CONNECTIONS = 20


@dataclasses.dataclass(frozen=True)
class ServerConfig:
    """What goes into ``my.cnf``.

    :param user: the OS user the server switches to (when started as
        root); None to run as whoever starts it.
    """

    datadir: str
    socket: str
    pid_file: str
    log_error: str
    bind_address: str
    port: int
    buffer_pool_mb: int
    redo_log_mb: int
    max_connections: int
    tmpdir: str
    secure_file_priv: str
    user: str = None


def buffer_pool_mb(memory_mb):
    """InnoDB buffer pool size in MB for a flavor with ``memory_mb``."""
    if not memory_mb or memory_mb <= 0:
        return MIN_BUFFER_POOL_MB
    size = int(memory_mb * BUFFER_POOL_SHARE)
    size -= size % BUFFER_POOL_CHUNK_MB
    return max(size, MIN_BUFFER_POOL_MB)


def max_connections(memory_mb):
    """A modest connection limit that the flavor's RAM can carry."""
    if not memory_mb or memory_mb <= 0:
        return MIN_MAX_CONNECTIONS
    share = int(memory_mb * (1 - BUFFER_POOL_SHARE) / MB_PER_CONNECTION)
    return max(MIN_MAX_CONNECTIONS, min(DEFAULT_MAX_CONNECTIONS, share))


def server_config(paths, bind_address, port, memory_mb, user=None):
    """The ``ServerConfig`` of an instance.

    :param paths: an object with ``datadir``, ``socket``, ``pid_file``,
        ``log_error``, ``tmpdir`` and ``files_dir`` attributes.
    """
    pool = buffer_pool_mb(memory_mb)
    return ServerConfig(
        datadir=paths.datadir, socket=paths.socket, pid_file=paths.pid_file,
        log_error=paths.log_error, tmpdir=paths.tmpdir,
        secure_file_priv=paths.files_dir,
        bind_address=bind_address, port=int(port), buffer_pool_mb=pool,
        redo_log_mb=max(MIN_REDO_LOG_MB, pool // 4),
        max_connections=max_connections(memory_mb), user=user)


def render(config):
    """The text of ``my.cnf`` for ``config``."""
    server = [
        ('datadir', config.datadir),
        ('socket', config.socket),
        ('pid-file', config.pid_file),
        ('log-error', config.log_error),
        ('tmpdir', config.tmpdir),
        # NOTE(security): every instance's server runs as the same OS user;
        # LOAD_FILE and INTO OUTFILE stay inside this instance.
        ('secure-file-priv', config.secure_file_priv),
        ('bind-address', config.bind_address),
        ('port', config.port),
        # NOTE(security): host names never match a TCP client, so an
        # account at 'localhost' (root) is reachable over the socket only.
        ('skip-name-resolve', None),
        ('skip-external-locking', None),
        ('skip-log-bin', None),
        ('character-set-server', 'utf8mb4'),
        ('collation-server', 'utf8mb4_general_ci'),
        ('innodb_buffer_pool_size', '%dM' % config.buffer_pool_mb),
        ('innodb_log_file_size', '%dM' % config.redo_log_mb),
        ('max_connections', config.max_connections),
        ('performance_schema', 'OFF'),
    ]
    if config.user:
        server.insert(0, ('user', config.user))
    lines = ['# Written by the trove_lite guest agent; changes are lost on '
             'the next prepare.', '[mysqld]']
    for key, value in server:
        lines.append(key if value is None else '%s = %s' % (key, value))
    lines += ['', '[client]', 'socket = %s' % config.socket, '']
    return '\n'.join(lines)
