"""A TCP proxy between the services and RabbitMQ that a test can sever.

Cutting the services' broker connections is what a RabbitMQ restart, a
failed-over load balancer or a flaky network does to them; stopping the
machine's RabbitMQ would do it too, but that broker is shared (CI and
other runs use it), so the chaos suite never touches it. Instead every
process of the run (API, taskmanagers, conductor and, through
``[guest_broker] guest_transport_url``, the guest agents) reaches
RabbitMQ through this proxy, and ``sever()`` closes every connection it
carries at once, optionally refusing new ones (accepted, then reset) for
a while, as a broker that is down would.

Each connection is two threads pumping bytes one way each; a few dozen
connections at most live at once in a run.
"""

import socket
import struct
import threading
import time

BUFFER = 65536


def _reset(sock):
    """Close ``sock`` with a TCP RST: the peer sees the connection die,
    not a polite end of stream.
    """
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack('ii', 1, 0))
    except OSError:
        pass
    try:
        # NOTE(proxy): wakes a pump thread blocked in recv() on it, which
        # close() alone does not; SHUT_RD sends nothing, so the close
        # below still resets.
        sock.shutdown(socket.SHUT_RD)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


class SeverableProxy:
    """Forward ``127.0.0.1:<port>`` to ``upstream`` until told to cut.

    :param upstream: ``(host, port)`` of the real broker.
    :param host: the address to listen on.
    """

    def __init__(self, upstream=('127.0.0.1', 5672), host='127.0.0.1'):
        self.upstream = upstream
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, 0))
        self._listener.listen(128)
        self.host = host
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._pairs = set()
        self._refuse_until = 0.0
        self._closed = threading.Event()
        self.accepted = 0
        self.refused = 0
        self.severed = 0
        self._thread = threading.Thread(target=self._accept_loop,
                                        name='chaos-proxy', daemon=True)

    def start(self):
        self._thread.start()
        return self

    @property
    def url_host(self):
        return '%s:%d' % (self.host, self.port)

    def _accept_loop(self):
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if time.monotonic() < self._refuse_until:
                self.refused += 1
                _reset(client)
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=10)
                server.settimeout(None)
            except OSError:
                _reset(client)
                continue
            pair = (client, server)
            with self._lock:
                self._pairs.add(pair)
                self.accepted += 1
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(pair, src, dst),
                                 name='chaos-proxy-pump',
                                 daemon=True).start()

    def _pump(self, pair, src, dst):
        try:
            while True:
                data = src.recv(BUFFER)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        self._drop(pair)

    def _drop(self, pair):
        with self._lock:
            if pair not in self._pairs:
                return
            self._pairs.discard(pair)
        for sock in pair:
            _reset(sock)

    def live_connections(self):
        with self._lock:
            return len(self._pairs)

    def accept_again(self):
        """End a refusal ``sever`` started."""
        self._refuse_until = 0.0

    def sever(self, refuse_seconds=0.0):
        """Reset every live connection; refuse new ones for
        ``refuse_seconds``.

        :returns: how many connections were cut.
        """
        if refuse_seconds:
            self._refuse_until = time.monotonic() + refuse_seconds
        with self._lock:
            pairs = list(self._pairs)
        for pair in pairs:
            self._drop(pair)
        self.severed += len(pairs)
        return len(pairs)

    def close(self):
        self._closed.set()
        try:
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self._listener.close()
        except OSError:
            pass
        self.sever()
