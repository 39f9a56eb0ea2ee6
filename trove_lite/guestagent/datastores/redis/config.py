"""The ``redis.conf`` and ``users.acl`` of a Redis instance.

The server reads only this ``redis.conf`` (its path is its one argument),
never the host's ``/etc/redis``: the machine may run a Redis of its own
on 127.0.0.1:6379 that an instance must not share a socket, pid file,
port or data with. Every path points into the instance directory.

Accounts live in an ACL file (``aclfile``) rather than ``requirepass``,
because an instance has two of them:

* ``default`` (``ROOT_USER``) is the tenant's: what ``redis-cli -a
  <password>`` and every client library without a user name log in as.
  It always has a password; when root is "disabled" the password is a
  random one nobody knows. It may run everything except what would let
  the tenant take the server away from its agent or reach the host
  (``TENANT_RULES``).
* ``os_admin`` (``ADMIN_USER``) is the agent's, with a random password
  kept in a 0600 file of the instance directory and used only over the
  unix socket, whose directory only the server's user may enter. A
  tenant changing or disabling ``default`` never locks the agent out.

Passwords go into the file as SHA-256 hashes (``#<hex>``), the form
``ACL SAVE`` writes too, so the file never holds one in clear text.

Sizing follows the flavor: ``maxmemory`` is three quarters of its RAM
(Redis needs the rest for copy-on-write during AOF rewrites and
snapshots), with ``noeviction``: a database answers "out of memory"
rather than silently dropping keys.

``redis.conf`` is rendered from layers (``layers.py``): ``defaults`` <
``flavor_derived`` < the instance's overrides < ``fixed`` (its paths,
address and port, and what the agent relies on), each a flat
``{directive: value}``. The overrides are a configuration group's plain
JSON values (``override_directives`` writes booleans ``yes``/``no``),
after ``validate_overrides`` refused what the agent keeps for itself
(``RESERVED_DIRECTIVES``). It ends by including ``replication.conf``, which
the replication strategy rewrites whenever the instance's role changes
(``replication``): read last, its directives win, and a server started
again comes back in its role.
"""

import hashlib
import re

from trove_lite.common import exception
from trove_lite.guestagent.datastores import layers

ROOT_USER = 'default'
ADMIN_USER = 'os_admin'
MAXMEMORY_SHARE = 0.75
MIN_MAXMEMORY_MB = 16
MAXMEMORY_POLICY = 'noeviction'
# ACL rules need ``&*`` (6.2) and set-proc-title (6.2).
MIN_VERSION = (6, 2)

# NOTE(security): CONFIG SET could point ``dir``/``dbfilename`` anywhere
# the server's user may write, MODULE LOAD runs arbitrary code, DEBUG can
# crash the server, ACL could lock the agent out, SHUTDOWN bypasses the
# agent, and REPLICAOF makes the instance something the control plane
# does not know it is.
TENANT_RULES = ('~*', '&*', '+@all', '-acl', '+acl|whoami', '+acl|cat',
                '-config', '+config|get', '-module', '-debug', '-shutdown',
                '-replicaof', '-slaveof', '-failover')
ADMIN_RULES = ('~*', '&*', '+@all')

# The replication account (``redis_replicaof``): what a replica sends its
# source (AUTH, then PING, REPLCONF and PSYNC, or SYNC), and nothing else:
# no key, no channel, no other command.
REPL_USER = 'os_repl'
REPL_RULES = ('resetkeys', 'resetchannels', '-@all', '+ping', '+replconf',
              '+psync', '+sync')
# NOTE(fence): more replicas than any server could have (the largest value
# Redis accepts): a source told to wait for that many refuses every write
# (NOREPLICAS) until the setting is lifted.
FENCE_MIN_REPLICAS = 2147483647
HEADER = ('# Written by the trove_lite guest agent; changes are lost on the '
          'next prepare.')
REPLICATION_HEADER = ('# Written by the trove_lite guest agent\'s '
                      'replication strategy whenever the role changes.')

_VERSION = re.compile(r'\bv=(\d+)\.(\d+)(?:\.(\d+))?')
_DIRECTIVE = re.compile(r'^[a-z][a-z0-9-]{0,127}$')
# NOTE(security): what no configuration group may set, whatever its rules
# say (the guest trusts no caller): the instance's places and what its
# agent relies on (``fixed``), what the replication role writes
# (``replication``, and the fence's ``min-replicas-to-write``), the
# accounts (the ACL file is the agent's), and whatever loads code, opens
# commands the tenant is refused, or names files.
FIXED_DIRECTIVES = frozenset([
    'bind', 'port', 'protected-mode', 'unixsocket', 'unixsocketperm',
    'daemonize', 'supervised', 'set-proc-title', 'pidfile', 'logfile',
    'dir', 'aclfile'])
ROLE_DIRECTIVES = frozenset([
    'replicaof', 'slaveof', 'masteruser', 'masterauth', 'replica-read-only',
    'slave-read-only', 'min-replicas-to-write', 'min-slaves-to-write'])
RESERVED_DIRECTIVES = FIXED_DIRECTIVES | ROLE_DIRECTIVES | frozenset([
    'include', 'rename-command', 'loadmodule', 'requirepass', 'user',
    'enable-protected-configs', 'enable-debug-command',
    'enable-module-command', 'dbfilename', 'appendfilename',
    'appenddirname', 'syslog-enabled', 'syslog-ident', 'syslog-facility',
    'unixsocketgroup', 'proc-title-template'])
RESERVED_DIRECTIVE_PREFIXES = ('tls-',)


def maxmemory_mb(memory_mb):
    """``maxmemory`` in MB for a flavor with ``memory_mb`` of RAM."""
    if not memory_mb or memory_mb <= 0:
        return MIN_MAXMEMORY_MB
    return max(MIN_MAXMEMORY_MB, int(memory_mb * MAXMEMORY_SHARE))


def defaults():
    """What every instance's ``redis.conf`` says unless overridden."""
    return {
        'loglevel': 'notice',
        'always-show-logo': 'no',
        'appendonly': 'yes',
        'appendfsync': 'everysec',
        'maxmemory-policy': MAXMEMORY_POLICY,
    }


def flavor_derived(memory_mb):
    """The sizes that follow the flavor's RAM."""
    return {'maxmemory': '%dmb' % maxmemory_mb(memory_mb)}


def fixed(paths, bind_address, port):
    """The instance's own places and what its agent relies on, which no
    override may change.

    :param paths: an object with ``socket``, ``pid_file``, ``log_file``,
        ``datadir`` and ``acl_file`` attributes.
    """
    return {
        'bind': bind_address,
        'port': int(port),
        # NOTE(security): the server always requires a password, so this
        # only matters if the ACL file were ever lost; keep it on anyway.
        'protected-mode': 'yes',
        'unixsocket': paths.socket,
        'unixsocketperm': '700',
        # NOTE(detach): the agent detaches the server itself (a session
        # of its own) and keeps its pid; a forking daemon would not be
        # the process it started.
        'daemonize': 'no',
        'supervised': 'no',
        # NOTE(adopt): keep the command line as started (it names this
        # file), which is how an agent recognises its server by pid.
        'set-proc-title': 'no',
        'pidfile': paths.pid_file,
        'logfile': paths.log_file,
        'dir': paths.datadir,
        'aclfile': paths.acl_file,
    }


def settings(paths, bind_address, port, memory_mb, overrides=None):
    """The merged ``{directive: value}`` of an instance (``overrides``
    are a configuration group's plain values).
    """
    return layers.merge(defaults(), flavor_derived(memory_mb),
                        override_directives(overrides),
                        fixed(paths, bind_address, port))


def lower_layers(memory_mb):
    """The defaults and the flavor's values: what a server of
    ``memory_mb`` runs with before any override (``{directive: value}``,
    JSON-friendly).
    """
    return layers.merge(defaults(), flavor_derived(memory_mb))


def validate_overrides(overrides):
    """Check a configuration group's values before anything is written.

    :param overrides: ``{directive: value}`` with JSON scalar values.
    :returns: a copy of ``overrides``.
    :raises: exception.BadValue for a malformed or reserved directive, or
        a value that is not a string, number or boolean, or holds a line
        break or NUL.
    """
    if not isinstance(overrides, dict):
        raise exception.BadValue(
            message='Configuration overrides must be a mapping of directive '
                    'names to values, not %r.' % (overrides,))
    for name, value in overrides.items():
        if not isinstance(name, str) or not _DIRECTIVE.match(name):
            raise exception.BadValue(
                message='Invalid Redis directive %r: use lower-case letters, '
                        'digits and "-".' % (name,))
        if name in RESERVED_DIRECTIVES or \
                name.startswith(RESERVED_DIRECTIVE_PREFIXES):
            raise exception.BadValue(
                message='The Redis directive %s is managed by the guest '
                        'agent and cannot be overridden; remove it from the '
                        'configuration group.' % name)
        layers.check_plain_value(name, value)
    return dict(overrides)


def directive_value(value):
    """A plain value as Redis takes it (in the file and in CONFIG SET)."""
    if isinstance(value, bool):
        return 'yes' if value else 'no'
    return str(value)


def override_directives(overrides):
    """A configuration group's plain values as ``redis.conf`` arguments."""
    return {name: directive_value(value)
            for name, value in (overrides or {}).items()}


def _quote(value):
    """A redis.conf argument: double-quoted when it needs to be."""
    value = str(value)
    if value and not re.search(r'[\s"\'\\]', value):
        return value
    return '"%s"' % value.replace('\\', '\\\\').replace('"', '\\"')


def _arguments(value):
    """A directive's arguments: a tuple is several (``replicaof host
    port``), anything else one.
    """
    if isinstance(value, tuple):
        return ' '.join(_quote(item) for item in value)
    return _quote(value)


def render(config, includes=(), header=HEADER):
    """The text of ``redis.conf`` for ``config`` (``settings``' result, or
    ``replication``'s with ``REPLICATION_HEADER``),
    then an ``include`` of each of ``includes`` (read last, so that their
    directives win; each must exist when the server starts).
    """
    lines = [header]
    lines += ['%s %s' % (key, _arguments(value))
              for key, value in config.items()]
    lines += ['include %s' % _quote(path) for path in includes]
    return '\n'.join(lines) + '\n'


def replication(role, source=None, fenced=False):
    """What the replication ``role`` (``'source'``, ``'replica'`` or
    None) adds to the server's directives: ``replication.conf``'s
    ``{directive: value}``.

    :param source: a replica's source: ``{'host', 'port', 'user',
        'password'}``.
    :param fenced: a source that must refuse writes (before a promote).
    """
    settings = {}
    if role == 'replica' and source:
        settings.update({
            'replicaof': (source['host'], int(source['port'])),
            'masteruser': source['user'],
            'masterauth': source['password'],
            'replica-read-only': 'yes',
        })
    elif fenced:
        settings['min-replicas-to-write'] = FENCE_MIN_REPLICAS
    return settings


def password_hash(password):
    """The ACL form of ``password``: ``#`` and its SHA-256 in hex."""
    return '#' + hashlib.sha256(password.encode('utf-8')).hexdigest()


def acl_line(user, password, rules):
    """One ``users.acl`` line: ``user`` enabled with ``password``."""
    return ' '.join(['user', user, 'on', password_hash(password)] +
                    list(rules))


def merge_acl(existing, admin_password, root_password):
    """The text of ``users.acl``.

    :param existing: the current file's text ('' when there is none).
    :param admin_password: ``os_admin``'s password; its line is always
        rewritten, so that the file matches the agent's secret.
    :param root_password: ``default``'s password when the file has no
        ``default`` line yet; an existing one (set by an earlier prepare
        or ``enable_root``) is kept.
    """
    lines = {}
    for line in existing.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0] == 'user':
            lines[fields[1]] = line.strip()
    lines[ADMIN_USER] = acl_line(ADMIN_USER, admin_password, ADMIN_RULES)
    if ROOT_USER not in lines:
        lines[ROOT_USER] = acl_line(ROOT_USER, root_password, TENANT_RULES)
    return '\n'.join(lines[name] for name in sorted(lines)) + '\n'


def parse_version(text):
    """``(major, minor, patch)`` from ``redis-server --version``, or None."""
    match = _VERSION.search(text or '')
    if match is None:
        return None
    return tuple(int(part or 0) for part in match.groups())
