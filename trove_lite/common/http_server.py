"""A threaded WSGI server for the API in our own processes.

Production deployments may run ``trove_lite.wsgi.api:application`` under
uWSGI or httpd instead; this one serves ``trove-lite-api`` and
``trove-lite-all`` with native threads (no eventlet), one thread per
connection, HTTP/1.1 keep-alive.
"""

import logging
import socket
import socketserver
import threading
from wsgiref import simple_server

LOG = logging.getLogger(__name__)


class _Handler(simple_server.WSGIRequestHandler):
    protocol_version = 'HTTP/1.1'

    def setup(self):
        super().setup()
        # NOTE(latency): headers and body leave in separate writes; without
        # TCP_NODELAY, Nagle and the client's delayed ACK hold every
        # keep-alive response back by ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):
        LOG.info('%s %s', self.address_string(), fmt % args)

    def handle(self):
        # NOTE(http11): serve every request of a keep-alive connection.
        self.close_connection = True
        self.handle_one_request()
        while not self.close_connection:
            self.handle_one_request()

    def handle_one_request(self):
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.send_error(414)
            return
        if not self.raw_requestline:
            self.close_connection = True
            return
        if not self.parse_request():
            return
        handler = _ServerHandler(self.rfile, self.wfile, self.get_stderr(),
                                 self.get_environ(), multithread=True)
        handler.request_handler = self
        handler.http_version = '1.1'
        handler.run(self.server.get_app())
        if self.headers.get('Connection', '').lower() == 'close':
            self.close_connection = True


class _ServerHandler(simple_server.ServerHandler):
    def cleanup_headers(self):
        super().cleanup_headers()
        if 'Content-Length' not in self.headers:
            # Without a length the client can only read to the end.
            self.request_handler.close_connection = True
            self.headers['Connection'] = 'close'

    def close(self):
        try:
            self.request_handler.log_request(self.status.split(' ', 1)[0],
                                             self.bytes_sent)
        finally:
            simple_server.SimpleHandler.close(self)


class _ThreadingServer(socketserver.ThreadingMixIn,
                       simple_server.WSGIServer):
    daemon_threads = True
    allow_reuse_address = True

    def adopt(self, sock):
        """Serve the listening socket ``sock`` instead of binding one."""
        self.socket.close()
        self.socket = sock
        # NOTE(workers): processes that share a listening socket all wake
        # for a new connection and only one accepts it; the others must
        # not block in accept() (their shutdown() would wait for the next
        # connection), so the socket they poll is non-blocking.
        sock.setblocking(False)
        self.server_address = sock.getsockname()
        host, port = self.server_address[:2]
        self.server_name = socket.getfqdn(host)
        self.server_port = port
        self.setup_environ()

    def get_request(self):
        conn, address = self.socket.accept()
        conn.setblocking(True)
        return conn, address


def listen(host, port, backlog=128):
    """A listening TCP socket on ``host:port`` for ``WSGIServer(sock=)``.

    Bound once, in the parent, so that worker processes forked from it
    all accept from the same queue; port 0 picks a free port.
    """
    sock = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    return sock


class WSGIServer:
    """Serve ``app`` on ``host:port`` in a background thread.

    It has the start/stop/wait of an oslo.service service, so a
    ``ServiceLauncher`` runs it beside the RPC services.

    :param port: 0 picks a free port; ``self.port`` tells which.
    :param sock: a socket from ``listen()`` to serve instead of binding
        ``host:port`` (worker processes share their parent's).
    """

    def __init__(self, app, host, port, sock=None):
        if sock is None:
            self._server = simple_server.make_server(
                host, port, app, server_class=_ThreadingServer,
                handler_class=_Handler)
        else:
            self._server = _ThreadingServer(
                sock.getsockname()[:2], _Handler, bind_and_activate=False)
            self._server.adopt(sock)
            self._server.set_app(app)
        self.host = host
        self.port = self._server.server_address[1]
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name='wsgi-server', daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    def wait(self):
        if self._thread is not None:
            self._thread.join()

    def reset(self):
        """Nothing to reload; part of the service interface."""
