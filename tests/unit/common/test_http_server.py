"""The API's HTTP server, alone or sharing a listening socket."""

import http.client
import threading
import time

from trove_lite.common import http_server


def _app(name):
    def app(environ, start_response):
        body = name.encode()
        start_response('200 OK', [('Content-Length', str(len(body)))])
        return [body]
    return app


def _get(port, path='/'):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=5)
    try:
        conn.request('GET', path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def test_serves_on_a_free_port_with_keep_alive():
    server = http_server.WSGIServer(_app('one'), '127.0.0.1', 0).start()
    try:
        conn = http.client.HTTPConnection('127.0.0.1', server.port,
                                          timeout=5)
        for _ in range(3):
            conn.request('GET', '/')
            response = conn.getresponse()
            assert (response.status, response.read()) == (200, b'one')
        conn.close()
    finally:
        server.stop()


def test_servers_sharing_a_socket_all_accept_and_stop_promptly():
    sock = http_server.listen('127.0.0.1', 0)
    port = sock.getsockname()[1]
    servers = [http_server.WSGIServer(_app(name), '127.0.0.1', 0,
                                      sock=sock).start()
               for name in ('a', 'b')]
    try:
        assert {server.port for server in servers} == {port}
        answers = set()
        for _ in range(40):
            status, body = _get(port)
            assert status == 200
            answers.add(body)
        # Both wait on the same queue; each has taken connections.
        assert answers == {'a', 'b'}
    finally:
        began = time.monotonic()
        stoppers = [threading.Thread(target=server.stop)
                    for server in servers]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join(10)
        # NOTE(workers): a server that lost the race for a connection
        # must not sit in accept() until the next one arrives.
        assert time.monotonic() - began < 5
        assert not any(stopper.is_alive() for stopper in stoppers)
        sock.close()
