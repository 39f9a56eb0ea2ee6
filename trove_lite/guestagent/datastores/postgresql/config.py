"""The configuration files of a PostgreSQL instance.

The server is started with ``--config_file=<instance>/postgresql.conf``
and reads nothing of the host's ``/etc/postgresql``: the machine may run
a PostgreSQL of its own (127.0.0.1:5432 on a development host) that an
instance must not share a socket, pid file, port or data with. The
configuration names the data directory, the ``pg_hba.conf`` and
``pg_ident.conf`` beside it, the socket directory and the pid file, all
inside the instance directory. (``initdb`` also writes a
``postgresql.conf`` and ``pg_hba.conf`` into ``data/``; the server never
reads them.)

Authentication (``pg_hba.conf``):

* over TCP every role authenticates with ``scram-sha-256``. A role
  without a password cannot, which is how the superuser ``postgres``
  stays local: it never gets one (root is a role of its own, ``root``;
  ``admin.py``);
* over the unix socket only the superuser may connect, by ``peer``
  authentication mapped (``pg_ident.conf``) from the agent's OS user and
  the server's. The socket's directory is private to the server's user.
  The same rule admits its replication connections (``all`` does not
  match them), which ``pg_basebackup`` backups use;
* replication connections over TCP are for the replication account
  ``os_repl`` alone (``scram-sha-256``): the replicas' WAL streams and
  their seeding (``strategies/replication/postgresql_streaming.py``).

Sizing follows the flavor: ``shared_buffers`` a quarter of the RAM,
``effective_cache_size`` three quarters, ``maintenance_work_mem`` a
sixteenth, and ``work_mem`` what a quarter of the RAM gives each allowed
connection (bounded).

``postgresql.conf`` is rendered from layers (``layers.py``): ``defaults``
< ``flavor_derived`` < the instance's overrides < ``fixed`` (its paths,
address and port), each a flat ``{parameter: value}``. The layers of this
module hold values as written in the file (their strings already
quoted); the overrides are a configuration group's plain JSON values,
which ``override_settings`` turns into that form (strings quoted, booleans
``on``/``off``), after ``validate_overrides`` refused what the agent
keeps for itself (``RESERVED_PARAMETERS``). It ends
by including ``replication.conf`` when there is one: what the instance's
replication role adds (``replication``), written by the replication
strategy and read last, so that a server started again comes back in its
role.
"""

import re

from trove_lite.common import exception
from trove_lite.guestagent.datastores import layers

MIN_SHARED_BUFFERS_MB = 16
SHARED_BUFFERS_SHARE = 0.25
EFFECTIVE_CACHE_SHARE = 0.75
MIN_MAINTENANCE_WORK_MEM_MB = 16
MAX_MAINTENANCE_WORK_MEM_MB = 1024
MIN_WORK_MEM_KB = 1024
MAX_WORK_MEM_KB = 64 * 1024
DEFAULT_MAX_CONNECTIONS = 100
MIN_MAX_CONNECTIONS = 20
# RAM per allowed connection when bounding max_connections on tiny
# flavors (a backend's own memory, work_mem aside).
MB_PER_CONNECTION = 8
SUPERUSER = 'postgres'
IDENT_MAP = 'agent'
# The replication strategy's account (reserved: ``admin.RESERVED_USERS``).
REPLICATION_USER = 'os_repl'
HEADER = ('# Written by the trove_lite guest agent; changes are lost on the '
          'next prepare.')
REPLICATION_HEADER = ('# Written by the trove_lite guest agent\'s '
                      'replication strategy whenever the role changes.')


def shared_buffers_mb(memory_mb):
    """``shared_buffers`` in MB for a flavor with ``memory_mb``."""
    if not memory_mb or memory_mb <= 0:
        return MIN_SHARED_BUFFERS_MB
    return max(MIN_SHARED_BUFFERS_MB, int(memory_mb * SHARED_BUFFERS_SHARE))


def max_connections(memory_mb):
    """A connection limit that the flavor's RAM can carry."""
    if not memory_mb or memory_mb <= 0:
        return MIN_MAX_CONNECTIONS
    return max(MIN_MAX_CONNECTIONS,
               min(DEFAULT_MAX_CONNECTIONS, memory_mb // MB_PER_CONNECTION))


def work_mem_kb(memory_mb, connections):
    """``work_mem`` in kB: a quarter of the RAM shared by the
    connections, bounded to [1 MB, 64 MB].
    """
    if not memory_mb or memory_mb <= 0:
        return MIN_WORK_MEM_KB
    share = int(memory_mb * 1024 * 0.25 / max(connections, 1))
    return max(MIN_WORK_MEM_KB, min(MAX_WORK_MEM_KB, share))


def maintenance_work_mem_mb(memory_mb):
    if not memory_mb or memory_mb <= 0:
        return MIN_MAINTENANCE_WORK_MEM_MB
    return max(MIN_MAINTENANCE_WORK_MEM_MB,
               min(MAX_MAINTENANCE_WORK_MEM_MB, memory_mb // 16))


# A parameter name as PostgreSQL spells it (lower case; one dot for an
# extension's own, "custom", parameters).
_PARAMETER = re.compile(
    r'^[a-z_][a-z0-9_]{0,62}(\.[a-z_][a-z0-9_]{0,62})?$')
# NOTE(security): what no configuration group may set, whatever its rules
# say (the guest trusts no caller): the instance's places (``fixed``),
# what the replication role writes (``replication``), what its agent
# relies on (logs on stderr in English, SCRAM, WAL fit for replicas and
# pg_rewind), and whatever runs a shell command or loads a library as the
# server's OS user, or names a file of the host.
FIXED_PARAMETERS = frozenset([
    'data_directory', 'hba_file', 'ident_file', 'external_pid_file',
    'listen_addresses', 'port', 'unix_socket_directories',
    'unix_socket_permissions'])
ROLE_PARAMETERS = frozenset([
    'hot_standby', 'primary_conninfo', 'primary_slot_name',
    'recovery_target_timeline', 'wal_retrieve_retry_interval'])
RESERVED_PARAMETERS = FIXED_PARAMETERS | ROLE_PARAMETERS | frozenset([
    'config_file', 'include', 'include_dir', 'include_if_exists',
    'unix_socket_group', 'logging_collector', 'log_destination',
    'log_directory', 'log_filename', 'lc_messages', 'password_encryption',
    'wal_log_hints', 'wal_level', 'archive_command', 'archive_library',
    'restore_command', 'archive_cleanup_command', 'recovery_end_command',
    'ssl_passphrase_command', 'shared_preload_libraries',
    'local_preload_libraries', 'session_preload_libraries',
    'dynamic_library_path', 'jit_provider', 'krb_server_keyfile',
    'ssl_cert_file', 'ssl_key_file', 'ssl_ca_file', 'ssl_crl_file',
    'ssl_crl_dir', 'ssl_dh_params_file', 'stats_temp_directory'])


def quote(value):
    """A postgresql.conf string value."""
    return "'%s'" % str(value).replace("'", "''")


def unquote(value):
    """The plain value of what the layers hold (``quote``'s inverse)."""
    if isinstance(value, str) and len(value) >= 2 and \
            value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    return value


def validate_overrides(overrides):
    """Check a configuration group's values before anything is written.

    :param overrides: ``{parameter: value}`` with JSON scalar values.
    :returns: a copy of ``overrides``.
    :raises: exception.BadValue for a malformed or reserved name, or a
        value that is not a string, number or boolean or that holds a
        line break or NUL.
    """
    if not isinstance(overrides, dict):
        raise exception.BadValue(
            message='Configuration overrides must be a mapping of parameter '
                    'names to values, not %r.' % (overrides,))
    for name, value in overrides.items():
        if not isinstance(name, str) or not _PARAMETER.match(name):
            raise exception.BadValue(
                message='Invalid PostgreSQL parameter name %r: use lower-case '
                        'letters, digits and "_" (and one "." for an '
                        "extension's parameter)." % (name,))
        if name in RESERVED_PARAMETERS:
            raise exception.BadValue(
                message='The PostgreSQL parameter %s is managed by the guest '
                        'agent and cannot be overridden; remove it from the '
                        'configuration group.' % name)
        layers.check_plain_value(name, value)
    return dict(overrides)


def override_settings(overrides):
    """A configuration group's plain values as ``postgresql.conf`` values:
    booleans ``on``/``off``, numbers as they are, strings quoted.
    """
    result = {}
    for name, value in (overrides or {}).items():
        if isinstance(value, bool):
            value = 'on' if value else 'off'
        elif isinstance(value, str):
            value = quote(value)
        result[name] = value
    return result


def defaults():
    """What every instance's ``postgresql.conf`` says unless overridden."""
    return {
        'password_encryption': quote('scram-sha-256'),
        'dynamic_shared_memory_type': quote('posix'),
        # The server's stderr is the instance's log (the agent redirects
        # it), so a failed start's reason is in the log it tails.
        'logging_collector': 'off',
        'log_destination': quote('stderr'),
        'log_line_prefix': quote('%m [%p] %q%u@%d '),
        'lc_messages': quote('C'),
        'timezone': quote('UTC'),
        'log_timezone': quote('UTC'),
        'datestyle': quote('iso, mdy'),
        'default_text_search_config': quote('pg_catalog.english'),
        # NOTE(replication): a former source that wrote what its promoted
        # replica never received is rewound (pg_rewind) to follow it,
        # which needs hint-bit changes in the WAL; the setting needs a
        # restart, so every instance has it from the start.
        'wal_log_hints': 'on',
    }


def flavor_derived(memory_mb):
    """The sizes that follow the flavor's RAM."""
    connections = max_connections(memory_mb)
    effective = int((memory_mb or 0) * EFFECTIVE_CACHE_SHARE)
    return {
        'max_connections': connections,
        'shared_buffers': quote('%dMB' % shared_buffers_mb(memory_mb)),
        'effective_cache_size': quote(
            '%dMB' % max(effective, 4 * MIN_SHARED_BUFFERS_MB)),
        'maintenance_work_mem': quote(
            '%dMB' % maintenance_work_mem_mb(memory_mb)),
        'work_mem': quote('%dkB' % work_mem_kb(memory_mb, connections)),
    }


def fixed(paths, listen_address, port):
    """The instance's own places, which no override may move.

    :param paths: an object with ``datadir``, ``hba_file``,
        ``ident_file``, ``rundir`` and ``pid_file`` attributes.
    """
    return {
        'data_directory': quote(paths.datadir),
        'hba_file': quote(paths.hba_file),
        'ident_file': quote(paths.ident_file),
        'external_pid_file': quote(paths.pid_file),
        # NOTE(security): the instance's address only, never '*': other
        # instances (and the host's own PostgreSQL) share this port on
        # other loopback addresses.
        'listen_addresses': quote(listen_address),
        'port': int(port),
        'unix_socket_directories': quote(paths.rundir),
        'unix_socket_permissions': '0700',
    }


def settings(paths, listen_address, port, memory_mb, overrides=None):
    """The merged ``{parameter: value}`` of an instance (``overrides``
    are a configuration group's plain values).
    """
    return layers.merge(defaults(), flavor_derived(memory_mb),
                        override_settings(overrides),
                        fixed(paths, listen_address, port))


def configuration_defaults(memory_mb):
    """What a server of ``memory_mb`` runs with before any override: the
    defaults and the flavor's values, plain (unquoted) as a configuration
    group would give them.
    """
    merged = layers.merge(defaults(), flavor_derived(memory_mb))
    return {name: unquote(value) for name, value in merged.items()}


def replication(primary_conninfo=None, slot=None, minimums=None):
    """What a standby's role adds to its ``postgresql.conf``
    (``replication.conf``'s ``{parameter: value}``); a source or a
    standalone server adds nothing.

    :param primary_conninfo: how it reaches its source (a libpq
        connection string without the password); None for a standby that
        follows nobody (a fenced source).
    :param slot: its replication slot on the source.
    :param minimums: ``{parameter: int}`` raised to the source's values
        (a hot standby refuses to run with fewer connections, locks...
        than its source).
    """
    settings = {
        'hot_standby': 'on',
        'primary_conninfo': quote(primary_conninfo or ''),
        'primary_slot_name': quote(slot or ''),
        'recovery_target_timeline': quote('latest'),
        # NOTE(failover): how soon a standby tries again to reach a source
        # that went away (a restart, a fence, a promote); 5s by default.
        'wal_retrieve_retry_interval': quote('1s'),
    }
    for name, value in sorted((minimums or {}).items()):
        settings[name] = int(value)
    return settings


def guest_logs(enabled, long_query_time_ms=None):
    """``guest_logs.conf``'s settings for the user logs ``enabled``: the
    general log writes every statement, with its duration past
    ``long_query_time_ms`` (milliseconds).
    """
    if 'general' not in enabled:
        return {'log_statement': quote('none'),
                'log_min_duration_statement': -1}
    return {'log_statement': quote('all'),
            'log_min_duration_statement': int(
                long_query_time_ms if long_query_time_ms is not None
                else -1)}


def render(config, includes=(), header=HEADER):
    """The text of ``postgresql.conf`` for ``config`` (``settings``'
    result), then an ``include_if_exists`` of each of ``includes`` (read
    last, so their values win).
    """
    lines = [header]
    lines += ['%s = %s' % (key, value) for key, value in config.items()]
    lines += ['include_if_exists = %s' % quote(path) for path in includes]
    return '\n'.join(lines) + '\n'


def parse(text):
    """The ``{parameter: value}`` of a file ``render`` wrote (values as
    written; includes left out).
    """
    settings = {}
    for line in text.splitlines():
        key, sep, value = line.partition('=')
        key = key.strip()
        if sep and key and not key.startswith('#') and \
                key != 'include_if_exists':
            settings[key] = value.strip()
    return settings


def render_hba():
    """The text of ``pg_hba.conf`` (see the module docstring)."""
    return '\n'.join([
        HEADER,
        '# TYPE  DATABASE  USER  ADDRESS  METHOD',
        'local   all       %s          peer map=%s' % (SUPERUSER, IDENT_MAP),
        'local   replication %s        peer map=%s' % (SUPERUSER, IDENT_MAP),
        'host    all       all   all      scram-sha-256',
        'host    replication %s   all      scram-sha-256' % REPLICATION_USER,
        ''])


def render_ident(os_users):
    """The text of ``pg_ident.conf``: each of ``os_users`` (the agent's
    and the server's OS users) may log in over the socket as the
    superuser.
    """
    lines = [HEADER,
             '# MAPNAME  SYSTEM-USERNAME  PG-USERNAME']
    for os_user in sorted(set(os_users)):
        lines.append('%s  %s  %s' % (IDENT_MAP, os_user, SUPERUSER))
    return '\n'.join(lines) + '\n'
