"""The ``my.cnf`` of a MySQL-family instance.

The server reads only this file (``--defaults-file``), never the host's
``/etc/mysql``: the machine may run a MariaDB of its own (127.0.0.1:3306
on a development host) that an instance must not share a socket, pid
file, port or data with. Every path points into the instance directory.

Sizing follows the flavor: the InnoDB buffer pool gets half the RAM (at
least ``MIN_BUFFER_POOL_MB``), rounded down to a multiple of
``BUFFER_POOL_CHUNK_MB`` because InnoDB rounds it anyway; the redo log is
a quarter of the pool.

The file is rendered from layers (``layers.py``): ``defaults`` <
``flavor_derived`` < the instance's overrides < ``fixed`` (its paths,
address, port and OS user), each ``{section: {option: value}}`` with
sections ``mysqld`` and ``client``; ``True`` is a bare flag.

NOTE(binlog): the binary log is on by default (``log-bin`` in the
volume, ROW format, purged after ``BINLOG_EXPIRE_DAYS``): replication and
point-in-time recovery need it, and ``mariadb-install-db`` bootstraps
without it, so it costs a create nothing measurable. An override of
``log-bin: None`` plus ``skip-log-bin: True`` turns it off again.

NOTE(replication): every instance is ready to be a replication source
without a restart: a ``server_id`` of its own, the binary log with what
it applies as a replica (``log_slave_updates``, so that a promoted
replica serves the others every transaction), GTID strict mode (a
replica refuses a stream that diverged from its own history instead of
applying it) and a relay log named after the instance's volume, not the
host. What depends on an instance's replication role (``read_only`` on a
replica, semi-synchronous replication) is not in ``my.cnf``: the
replication strategy writes it to ``replication.cnf`` beside it
(``replication``), which ``my.cnf`` includes last, so that a server
started again comes back in its role.
"""

import zlib

from trove_lite.guestagent.datastores import layers

MIN_BUFFER_POOL_MB = 16
BUFFER_POOL_CHUNK_MB = 8
BUFFER_POOL_SHARE = 0.5
MIN_REDO_LOG_MB = 8
DEFAULT_MAX_CONNECTIONS = 100
# Memory a connection may take in the worst case, to bound
# max_connections on tiny flavors.
MB_PER_CONNECTION = 2
MIN_MAX_CONNECTIONS = 20
BINLOG_EXPIRE_DAYS = 7
MAX_BINLOG_SIZE = '100M'
SERVER = 'mysqld'
CLIENT = 'client'
# Seconds without a byte from its source after which a replica reconnects
# (the source sends a heartbeat every half of it).
SLAVE_NET_TIMEOUT = 10
HEADER = ('# Written by the trove_lite guest agent; changes are lost on the '
          'next prepare.')
REPLICATION_HEADER = ('# Written by the trove_lite guest agent\'s '
                      'replication strategy whenever the role changes.')


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


def server_id(instance_id):
    """A replication ``server_id`` of the instance: stable, non-zero,
    and different between instances (with 2**-32 odds of a clash).
    """
    return zlib.crc32(str(instance_id).encode('utf-8')) % (2 ** 32 - 1) + 1


def defaults(paths, instance_id):
    """What every instance's ``my.cnf`` says unless overridden."""
    return {SERVER: {
        # NOTE(security): host names never match a TCP client, so an
        # account at 'localhost' (root) is reachable over the socket only.
        'skip-name-resolve': True,
        'skip-external-locking': True,
        'server_id': server_id(instance_id),
        'log-bin': '%s/mysql-bin' % paths.datadir,
        'binlog_format': 'ROW',
        'log_slave_updates': 'ON',
        'gtid_strict_mode': 'ON',
        'slave_net_timeout': SLAVE_NET_TIMEOUT,
        'expire_logs_days': BINLOG_EXPIRE_DAYS,
        'max_binlog_size': MAX_BINLOG_SIZE,
        'character-set-server': 'utf8mb4',
        'collation-server': 'utf8mb4_general_ci',
        'performance_schema': 'OFF',
    }}


def flavor_derived(memory_mb):
    """The sizes that follow the flavor's RAM."""
    pool = buffer_pool_mb(memory_mb)
    return {SERVER: {
        'innodb_buffer_pool_size': '%dM' % pool,
        'innodb_log_file_size': '%dM' % max(MIN_REDO_LOG_MB, pool // 4),
        'max_connections': max_connections(memory_mb),
    }}


def fixed(paths, bind_address, port, user=None):
    """The instance's own places, which no override may move.

    :param paths: an object with ``datadir``, ``socket``, ``pid_file``,
        ``log_error``, ``tmpdir`` and ``files_dir`` attributes.
    :param user: the OS user the server switches to (when started as
        root); None to run as whoever starts it.
    """
    return {SERVER: {
        'user': user,
        'datadir': paths.datadir,
        'socket': paths.socket,
        'pid-file': paths.pid_file,
        'log-error': paths.log_error,
        'tmpdir': paths.tmpdir,
        # NOTE(security): every instance's server runs as the same OS
        # user; LOAD_FILE and INTO OUTFILE stay inside this instance.
        'secure-file-priv': paths.files_dir,
        'relay-log': '%s/relay-bin' % paths.datadir,
        'bind-address': bind_address,
        'port': int(port),
    }, CLIENT: {
        'socket': paths.socket,
    }}


def settings(paths, bind_address, port, memory_mb, user=None,
             overrides=None, instance_id=''):
    """The merged ``{section: {option: value}}`` of an instance."""
    return layers.merge_sections(
        defaults(paths, instance_id), flavor_derived(memory_mb), overrides,
        fixed(paths, bind_address, port, user))


def replication(role, semi_sync=False, semi_sync_timeout=None,
                fenced=False):
    """What the replication ``role`` (``'source'``, ``'replica'`` or
    None) adds to the server's options: ``replication.cnf``'s
    ``{section: {option: value}}``.

    :param semi_sync: whether a source waits, at each commit, until a
        replica has the transaction (``AFTER_SYNC``: before the commit is
        visible anywhere), and a replica acknowledges it.
    :param semi_sync_timeout: milliseconds a source waits for that before
        it goes on asynchronously (the server's default when None).
    :param fenced: a source that must refuse writes (before a promote).
    """
    options = {}
    if fenced:
        options['read_only'] = 'ON'
    if role == 'replica':
        options['read_only'] = 'ON'
        if semi_sync:
            options['rpl_semi_sync_slave_enabled'] = 'ON'
    elif role == 'source' and semi_sync:
        options['rpl_semi_sync_master_enabled'] = 'ON'
        options['rpl_semi_sync_master_wait_point'] = 'AFTER_SYNC'
        if semi_sync_timeout is not None:
            options['rpl_semi_sync_master_timeout'] = int(semi_sync_timeout)
    return {SERVER: options}


def render(config, includes=(), header=HEADER):
    """The text of ``my.cnf`` for ``config`` (``settings``' result):
    ``[mysqld]`` first, then the other sections in order, then an
    ``!include`` of each of ``includes`` (read last, so their options win;
    a missing one is skipped by the server and the tools).
    """
    lines = [header]
    sections = [SERVER] + [name for name in config if name != SERVER]
    for section in sections:
        if section != SERVER:
            lines.append('')
        lines.append('[%s]' % section)
        for key, value in config.get(section, {}).items():
            if value is True:
                lines.append(key)
            else:
                lines.append('%s = %s' % (key, value))
    if includes:
        lines.append('')
    lines.extend('!include %s' % path for path in includes)
    return '\n'.join(lines + [''])
