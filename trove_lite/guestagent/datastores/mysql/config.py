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

NOTE(names): the server reads ``character-set-server`` and
``character_set_server`` as one option, but the layers are merged by
name: an override spelt one way would not replace a default spelt the
other, and both would be written. Overrides therefore take the spelling
of the option they replace (``canonical``), and the options that are
also system variables are spelt as the variables are (underscores), as
configuration groups name them.

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

import math
import re
import zlib

from trove_lite.common import exception
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
# A size as option files write it (``256M``); SET GLOBAL takes bytes.
_SIZE = re.compile(r'^([0-9]+)([KMGT])$')
_SIZE_SHIFT = {'K': 10, 'M': 20, 'G': 30, 'T': 40}
# What an option file would read as a comment, a quote or an escape: no
# override value may hold it (values are written unquoted).
_UNSAFE_VALUE = re.compile(r'[#\'"\\\x00-\x1f\x7f]')
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
        'character_set_server': 'utf8mb4',
        'collation_server': 'utf8mb4_general_ci',
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


def canonical(name):
    """The name the server knows option ``name`` by (``-`` and ``_``
    are the same to it).
    """
    return name.replace('-', '_')


def _spelt_as(options, *layers_below):
    """``options`` with each name spelt as the option of
    ``layers_below`` it replaces (see NOTE(names)).
    """
    spellings = {}
    for layer in layers_below:
        for name in layer:
            spellings.setdefault(canonical(name), name)
    return {spellings.get(canonical(name), name): value
            for name, value in options.items()}


def settings(paths, bind_address, port, memory_mb, user=None,
             overrides=None, instance_id=''):
    """The merged ``{section: {option: value}}`` of an instance.

    :param overrides: ``{section: {option: value}}``
        (``server_overrides`` makes it of a configuration group's values).
    """
    base = defaults(paths, instance_id)
    flavor = flavor_derived(memory_mb)
    places = fixed(paths, bind_address, port, user)
    overrides = {section: _spelt_as(options or {}, base.get(section, {}),
                                    flavor.get(section, {}),
                                    places.get(section, {}))
                 if isinstance(options, dict) else options
                 for section, options in (overrides or {}).items()}
    return layers.merge_sections(base, flavor, overrides, places)


def instance_options(paths):
    """The canonical names of the ``[mysqld]`` options that are the
    instance's own (``fixed``): no override may set them.
    """
    return frozenset(canonical(name)
                     for name in fixed(paths, '', 0)[SERVER])


def check_value(name, value):
    """A configuration group's ``value`` of ``name``, as my.cnf and SET
    GLOBAL both take it: a number, a string that reads back the same
    from an option file, or a boolean (``ON``/``OFF``).

    :raises: exception.BadValue for anything else.
    """
    if isinstance(value, bool):
        return 'ON' if value else 'OFF'
    if isinstance(value, int) or (isinstance(value, float)
                                  and math.isfinite(value)):
        return value
    if isinstance(value, str) and not _UNSAFE_VALUE.search(value) and \
            value == value.strip():
        return value
    raise exception.BadValue(
        message='Invalid value %r for configuration parameter %s: a number, '
                'a boolean or a string without quotes, "#", backslashes, '
                'control characters or surrounding spaces.' % (value, name))


def server_overrides(overrides):
    """The overrides layer of ``settings`` for the overrides an instance
    saved (``DatastoreManager.config_overrides``): a configuration
    group's flat ``{name: value}`` goes to ``[mysqld]``; a value that is
    a mapping is a section of its own.

    :raises: exception.BadValue as ``check_value``.
    """
    sections = {SERVER: {}}
    for name, value in (overrides or {}).items():
        if isinstance(value, dict):
            sections.setdefault(name, {}).update(value)
        elif value is None:
            sections[SERVER][name] = None
        else:
            sections[SERVER][name] = check_value(name, value)
    return sections


def number(value):
    """``value`` with an option-file size (``256M``) as bytes."""
    if isinstance(value, str):
        match = _SIZE.match(value)
        if match:
            return int(match.group(1)) << _SIZE_SHIFT[match.group(2)]
    return value


def parameters(paths, memory_mb, instance_id=''):
    """``{name: value}`` of what the defaults and the flavor set in
    ``[mysqld]``, named as system variables (underscores) with sizes in
    bytes: what an instance of ``memory_mb`` runs with unless overridden.
    Options whose value is a path of the instance (``log-bin``) are left
    out.
    """
    merged = layers.merge(defaults(paths, instance_id)[SERVER],
                          flavor_derived(memory_mb)[SERVER])
    return {canonical(name): number(value)
            for name, value in merged.items()
            if not (isinstance(value, str)
                    and value.startswith(paths.instance_dir + '/'))}


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


# The options of the guest logs, in the order they are set live: the
# files and the threshold before the switches.
GUEST_LOG_ORDER = ('general_log_file', 'slow_query_log_file',
                   'long_query_time', 'log_output', 'general_log',
                   'slow_query_log')


def guest_logs(paths, enabled, long_query_time_ms=None):
    """``guest_logs.cnf``'s ``[mysqld]`` options for the user logs
    ``enabled`` (``general``, ``slow_query``); the others are switched
    off explicitly, so that a live change turns them off too.

    :param paths: an object with ``general_log`` and ``slow_query_log``.
    :param long_query_time_ms: the slow query threshold in milliseconds
        (the server's default when None).
    """
    options = {'log_output': 'FILE',
               'general_log_file': paths.general_log,
               'general_log': 'ON' if 'general' in enabled else 'OFF',
               'slow_query_log_file': paths.slow_query_log,
               'slow_query_log': 'ON' if 'slow_query' in enabled else 'OFF'}
    if long_query_time_ms is not None:
        options['long_query_time'] = long_query_time_ms / 1000.0
    return options


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
