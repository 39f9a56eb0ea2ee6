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
  match them), which ``pg_basebackup`` backups use.

Sizing follows the flavor: ``shared_buffers`` a quarter of the RAM,
``effective_cache_size`` three quarters, ``maintenance_work_mem`` a
sixteenth, and ``work_mem`` what a quarter of the RAM gives each allowed
connection (bounded).

``postgresql.conf`` is rendered from layers (``layers.py``): ``defaults``
< ``flavor_derived`` < the instance's overrides < ``fixed`` (its paths,
address and port), each a flat ``{parameter: value}``. Values are
written as given; ``settings`` quotes the strings it produces.
"""

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


def quote(value):
    """A postgresql.conf string value."""
    return "'%s'" % str(value).replace("'", "''")


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
    """The merged ``{parameter: value}`` of an instance."""
    return layers.merge(defaults(), flavor_derived(memory_mb), overrides,
                        fixed(paths, listen_address, port))


def render(config):
    """The text of ``postgresql.conf`` for ``config`` (``settings``'
    result).
    """
    lines = ['# Written by the trove_lite guest agent; changes are lost on '
             'the next prepare.']
    lines += ['%s = %s' % (key, value) for key, value in config.items()]
    return '\n'.join(lines) + '\n'


def render_hba():
    """The text of ``pg_hba.conf`` (see the module docstring)."""
    return '\n'.join([
        '# Written by the trove_lite guest agent; changes are lost on the '
        'next prepare.',
        '# TYPE  DATABASE  USER  ADDRESS  METHOD',
        'local   all       %s          peer map=%s' % (SUPERUSER, IDENT_MAP),
        'local   replication %s        peer map=%s' % (SUPERUSER, IDENT_MAP),
        'host    all       all   all      scram-sha-256',
        ''])


def render_ident(os_users):
    """The text of ``pg_ident.conf``: each of ``os_users`` (the agent's
    and the server's OS users) may log in over the socket as the
    superuser.
    """
    lines = ['# Written by the trove_lite guest agent; changes are lost on '
             'the next prepare.',
             '# MAPNAME  SYSTEM-USERNAME  PG-USERNAME']
    for os_user in sorted(set(os_users)):
        lines.append('%s  %s  %s' % (IDENT_MAP, os_user, SUPERUSER))
    return '\n'.join(lines) + '\n'
