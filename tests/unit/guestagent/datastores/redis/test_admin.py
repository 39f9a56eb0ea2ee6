"""Tests for the agent's RESP2 connection, against a scripted server."""

import os
import socket
import tempfile
import threading

import pytest

from trove_lite.guestagent.datastores.redis import admin


class ScriptedServer:
    """A unix-socket server that records each command it receives and
    answers with the next of ``replies`` (raw RESP bytes).
    """

    def __init__(self, replies):
        self.replies = list(replies)
        self.commands = []
        self.dir = tempfile.mkdtemp(prefix='trove-lite-resp-')
        self.path = os.path.join(self.dir, 's.sock')
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(self.path)
        self._listener.listen(1)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        conn, _ = self._listener.accept()
        reader = conn.makefile('rb')
        with conn, reader:
            while self.replies:
                command = self._read_command(reader)
                if command is None:
                    return
                self.commands.append(command)
                conn.sendall(self.replies.pop(0))

    @staticmethod
    def _read_command(reader):
        header = reader.readline()
        if not header:
            return None
        assert header.startswith(b'*')
        args = []
        for _ in range(int(header[1:])):
            size = int(reader.readline()[1:])
            args.append(reader.read(size + 2)[:-2].decode())
        return args

    def close(self):
        self._listener.close()
        self._thread.join(5)
        os.remove(self.path)
        os.rmdir(self.dir)


@pytest.fixture
def server():
    servers = []

    def _server(*replies):
        servers.append(ScriptedServer(replies))
        return servers[-1]

    yield _server
    for each in servers:
        each.close()


def test_encode():
    assert admin.encode('ACL', 'SETUSER', 'a b', 7) == (
        b'*4\r\n$3\r\nACL\r\n$7\r\nSETUSER\r\n$3\r\na b\r\n$1\r\n7\r\n')
    assert admin.encode('x', b'\x00\r\n') == (
        b'*2\r\n$1\r\nx\r\n$3\r\n\x00\r\n\r\n')


def test_replies_of_every_kind(server):
    srv = server(b'+OK\r\n', b':42\r\n', b'$5\r\nhe\r\no\r\n', b'$-1\r\n',
                 b'*2\r\n$1\r\na\r\n:1\r\n', b'*-1\r\n',
                 b'-ERR wrong\r\n')
    with admin.Connection(srv.path) as conn:
        assert conn.command('A') == 'OK'
        assert conn.command('B') == 42
        assert conn.command('C') == b'he\r\no'
        assert conn.command('D') is None
        assert conn.command('E') == [b'a', 1]
        assert conn.command('F') is None
        with pytest.raises(admin.ReplyError) as caught:
            conn.command('G')
        assert str(caught.value) == 'ERR wrong'
    assert [c[0] for c in srv.commands] == list('ABCDEFG')


def test_closed_connection_is_a_protocol_error(server):
    srv = server(b'$10\r\nshort')
    with admin.Connection(srv.path) as conn:
        with pytest.raises(admin.ProtocolError):
            conn.command('GET', 'k')


def test_connect_logs_in_as_os_admin(server):
    srv = server(b'+OK\r\n', b'+PONG\r\n')
    with admin.connect(srv.path, 's3cret') as conn:
        assert conn.command('PING') == 'PONG'
    assert srv.commands == [['AUTH', 'os_admin', 's3cret'], ['PING']]


def test_ping(server):
    assert admin.ping(server(b'+OK\r\n', b'+PONG\r\n').path, 'pw')
    refused = server(b'-WRONGPASS invalid username-password pair\r\n')
    assert not admin.ping(refused.path, 'pw')
    assert not admin.ping('/nonexistent/redis.sock', 'pw')


def _bulk(text):
    data = text.encode()
    return b'$%d\r\n%s\r\n' % (len(data), data)


def test_ready_waits_for_loading(server):
    loading = _bulk('# Persistence\r\nloading:1\r\nasync_loading:0\r\n')
    loaded = _bulk('# Persistence\r\nloading:0\r\nasync_loading:0\r\n')
    assert not admin.ready(server(b'+OK\r\n', loading).path, 'pw')
    srv = server(b'+OK\r\n', loaded)
    assert admin.ready(srv.path, 'pw')
    assert srv.commands[1] == ['INFO', 'persistence']


def test_set_root_password(server):
    srv = server(b'+OK\r\n', b'+OK\r\n', b'+OK\r\n', b':2\r\n')
    with admin.connect(srv.path, 'pw') as conn:
        admin.set_root_password(conn, 'new pass', disconnect=True)
    assert srv.commands[1:] == [
        ['ACL', 'SETUSER', 'default', 'on', 'resetpass', '>new pass'],
        ['ACL', 'SAVE'], ['CLIENT', 'KILL', 'USER', 'default']]


def test_set_root_password_fails_when_save_fails(server):
    srv = server(b'+OK\r\n', b'+OK\r\n',
                 b'-ERR There was an error trying to save the ACLs\r\n')
    with admin.connect(srv.path, 'pw') as conn:
        with pytest.raises(admin.ReplyError):
            admin.set_root_password(conn, 'x')
    assert len(srv.commands) == 3


def test_root_password_hashes(server):
    srv = server(b'+OK\r\n', b'*4\r\n$5\r\nflags\r\n*1\r\n$2\r\non\r\n'
                 b'$9\r\npasswords\r\n*2\r\n$2\r\nab\r\n$2\r\ncd\r\n')
    with admin.connect(srv.path, 'pw') as conn:
        assert admin.root_password_hashes(conn) == ['ab', 'cd']
    assert srv.commands[1] == ['ACL', 'GETUSER', 'default']


def test_root_password_hashes_of_an_odd_reply(server):
    srv = server(b'+OK\r\n', b'*-1\r\n')
    with admin.connect(srv.path, 'pw') as conn:
        with pytest.raises(admin.ProtocolError):
            admin.root_password_hashes(conn)


def test_set_root_password_hashes(server):
    srv = server(b'+OK\r\n', b'+OK\r\n', b'+OK\r\n', b':1\r\n')
    with admin.connect(srv.path, 'pw') as conn:
        admin.set_root_password_hashes(conn, ['ab', 'cd'], disconnect=True)
    assert srv.commands[1:] == [
        ['ACL', 'SETUSER', 'default', 'on', 'resetpass', '#ab', '#cd'],
        ['ACL', 'SAVE'], ['CLIENT', 'KILL', 'USER', 'default']]


def test_set_account_resets_it_first(server):
    srv = server(b'+OK\r\n', b'+OK\r\n', b'+OK\r\n')
    with admin.connect(srv.path, 'pw') as conn:
        admin.set_account(conn, 'os_repl', 'secret', ('-@all', '+psync'))
    assert srv.commands[1:] == [
        ['ACL', 'SETUSER', 'os_repl', 'reset', 'on', '>secret', '-@all',
         '+psync'], ['ACL', 'SAVE']]


def test_config_get_and_set(server):
    srv = server(b'*2\r\n' + _bulk('save') + _bulk('3600 1 300 100'),
                 b'*0\r\n', b'+OK\r\n',
                 b"-ERR CONFIG SET failed (possibly related to argument "
                 b"'databases') - can't set immutable config\r\n")
    with admin.Connection(srv.path) as conn:
        assert admin.config_get(conn, 'save') == '3600 1 300 100'
        assert admin.config_get(conn, 'no-such') is None
        admin.config_set(conn, 'save', '900 1')
        with pytest.raises(admin.ReplyError) as caught:
            admin.config_set(conn, 'databases', '4')
    assert admin.immutable(caught.value, known=True)
    assert srv.commands == [['CONFIG', 'GET', 'save'],
                            ['CONFIG', 'GET', 'no-such'],
                            ['CONFIG', 'SET', 'save', '900 1'],
                            ['CONFIG', 'SET', 'databases', '4']]


@pytest.mark.parametrize('message, known, expected', [
    ("ERR CONFIG SET failed (possibly related to argument 'io-threads') - "
     "can't set immutable config", True, True),
    ('ERR Unsupported CONFIG parameter: databases', True, True),
    ('ERR Unsupported CONFIG parameter: nothing', False, False),
    ("ERR CONFIG SET failed (possibly related to argument 'appendonly') - "
     "argument must be 'yes' or 'no'", True, False),
    ("ERR Unknown option or number of arguments for CONFIG SET - 'x'",
     False, False)])
def test_immutable(message, known, expected):
    assert admin.immutable(admin.ReplyError(message), known) is expected
