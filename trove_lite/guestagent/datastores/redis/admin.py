"""The agent's administrative connection to its Redis server.

The agent logs in as ``os_admin`` (config.ADMIN_USER) over the instance's
unix socket and needs a handful of commands: AUTH, PING, INFO, ACL
SETUSER/SAVE and CLIENT KILL. That is spoken here directly in RESP2, the
protocol every Redis since 1.2 answers, instead of through the ``redis``
client library: a few dozen lines cost less than a new dependency of
every trove_lite installation (the control plane included), and there is
no connection pool or silent retry between the agent and an
administrative command that failed.
"""

import socket

from trove_lite.guestagent.datastores.redis import config

CONNECT_TIMEOUT = 5


class ReplyError(Exception):
    """The server answered a command with an error (``-ERR ...``)."""


class ProtocolError(OSError):
    """The connection broke or the server spoke something else."""


def encode(*args):
    """A command as a RESP array of bulk strings."""
    out = [b'*%d\r\n' % len(args)]
    for arg in args:
        if isinstance(arg, str):
            arg = arg.encode('utf-8')
        elif isinstance(arg, int):
            arg = str(arg).encode('ascii')
        out.append(b'$%d\r\n%s\r\n' % (len(arg), arg))
    return b''.join(out)


class Connection:
    """One RESP2 connection over a unix socket.

    :param path: the server's unix socket.
    :param timeout: seconds for connecting and for each reply.
    :raises: OSError when the server cannot be reached.
    """

    def __init__(self, path, timeout=CONNECT_TIMEOUT):
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._sock.settimeout(timeout)
            self._sock.connect(path)
        except OSError:
            self._sock.close()
            raise
        self._file = self._sock.makefile('rb')

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._file.close()
        self._sock.close()

    def command(self, *args):
        """Send one command and return its reply (str, int, bytes for
        bulk strings, list, or None).

        :raises: ReplyError for an error reply; ProtocolError / OSError
            when the connection fails.
        """
        self._sock.sendall(encode(*args))
        return self._read()

    def _read(self):
        line = self._file.readline()
        if not line.endswith(b'\r\n'):
            raise ProtocolError('connection closed by the server')
        kind, rest = line[:1], line[1:-2]
        if kind == b'+':
            return rest.decode('utf-8', 'replace')
        if kind == b'-':
            raise ReplyError(rest.decode('utf-8', 'replace'))
        if kind == b':':
            return int(rest)
        if kind == b'$':
            size = int(rest)
            if size < 0:
                return None
            data = self._file.read(size + 2)
            if len(data) != size + 2:
                raise ProtocolError('connection closed by the server')
            return data[:-2]
        if kind == b'*':
            count = int(rest)
            if count < 0:
                return None
            return [self._read() for _ in range(count)]
        raise ProtocolError('unexpected reply %r' % line[:40])


def connect(path, password, timeout=CONNECT_TIMEOUT):
    """An open connection logged in as ``os_admin``.

    :raises: ReplyError when the login is refused; OSError when the server
        does not answer.
    """
    conn = Connection(path, timeout)
    try:
        conn.command('AUTH', config.ADMIN_USER, password)
    except Exception:
        conn.close()
        raise
    return conn


def ping(path, password, timeout=CONNECT_TIMEOUT):
    """Whether the server answers PING to its agent."""
    try:
        with connect(path, password, timeout) as conn:
            return conn.command('PING') == 'PONG'
    except (ReplyError, OSError, ValueError):
        return False


def info(conn, section):
    """``INFO <section>`` as a dict of strings."""
    text = conn.command('INFO', section).decode('utf-8', 'replace')
    result = {}
    for line in text.splitlines():
        if ':' in line and not line.startswith('#'):
            key, _, value = line.partition(':')
            result[key] = value
    return result


def ready(path, password, timeout=CONNECT_TIMEOUT):
    """Whether the server answers and has loaded its data set (a server
    still reading its AOF refuses the tenant's commands with LOADING).
    """
    try:
        with connect(path, password, timeout) as conn:
            persistence = info(conn, 'persistence')
    except (ReplyError, OSError, ValueError):
        return False
    return persistence.get('loading') == '0' and \
        persistence.get('async_loading', '0') == '0'


def set_root_password(conn, password, disconnect=False):
    """Give ``default`` the one password ``password`` and save the ACL
    file, so that a restart keeps it.

    :param disconnect: also close the connections ``default`` has open
        (they stay logged in otherwise).
    :raises: ReplyError when the server refuses (ACL SAVE fails on a full
        or read-only volume, say).
    """
    conn.command('ACL', 'SETUSER', config.ROOT_USER, 'on', 'resetpass',
                 '>' + password)
    conn.command('ACL', 'SAVE')
    if disconnect:
        conn.command('CLIENT', 'KILL', 'USER', config.ROOT_USER)


def root_password_hashes(conn):
    """The SHA-256 hashes (hex) of ``default``'s passwords, as ``ACL
    GETUSER`` lists them.

    :raises: ReplyError; ProtocolError when the reply has no password
        list.
    """
    reply = conn.command('ACL', 'GETUSER', config.ROOT_USER) or []
    fields = dict(zip(reply[::2], reply[1::2]))
    hashes = fields.get(b'passwords')
    if not isinstance(hashes, list):
        raise ProtocolError('ACL GETUSER %s: no password list'
                            % config.ROOT_USER)
    return [item.decode('ascii') for item in hashes]


def set_root_password_hashes(conn, hashes, disconnect=False):
    """Give ``default`` the passwords whose SHA-256 hashes (hex) are
    ``hashes`` (another server's ``root_password_hashes``) and save the
    ACL file.

    :param disconnect: also close the connections ``default`` has open.
    :raises: ReplyError when the server refuses.
    """
    conn.command('ACL', 'SETUSER', config.ROOT_USER, 'on', 'resetpass',
                 *['#' + item for item in hashes])
    conn.command('ACL', 'SAVE')
    if disconnect:
        conn.command('CLIENT', 'KILL', 'USER', config.ROOT_USER)


def set_account(conn, user, password, rules):
    """Create or reset the agent's account ``user``: only ``password``,
    only ``rules`` (``reset`` first); save the ACL file.

    :raises: ReplyError when the server refuses.
    """
    conn.command('ACL', 'SETUSER', user, 'reset', 'on', '>' + password,
                 *rules)
    conn.command('ACL', 'SAVE')


def config_get(conn, name):
    """The running value of the directive ``name`` (``CONFIG GET``), or
    None when the server has no such directive.
    """
    reply = conn.command('CONFIG', 'GET', name) or []
    fields = dict(zip(reply[::2], reply[1::2]))
    value = fields.get(name.encode('utf-8'))
    return None if value is None else value.decode('utf-8', 'replace')


def config_set(conn, name, value):
    """``CONFIG SET name value``.

    :raises: ReplyError when the server refuses (an invalid value, an
        unknown directive, one it only reads when it starts:
        ``immutable``).
    """
    conn.command('CONFIG', 'SET', name, value)


def immutable(error, known):
    """Whether ``error`` (a ReplyError of ``config_set``) says the
    directive can only change with a restart; ``known`` is whether
    ``CONFIG GET`` knows it (Redis 6.2 answers both an unknown directive
    and one it cannot change live with "Unsupported CONFIG parameter").
    """
    message = str(error)
    return "can't set immutable config" in message or (
        known and 'Unsupported CONFIG parameter' in message)
