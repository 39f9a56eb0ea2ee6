"""Throughput of ``GET /instances`` with 1,000 instances.

Fills a fresh infrastructure database (SQLite by default, or ``--db-url``)
with 1,000 ACTIVE instances of one project, as the fake compute driver
leaves them, starts a real ``trove-lite-api`` process on it, and measures
list requests per second at page sizes 20 and 100 from client threads
over keep-alive connections.

The floor is the same server code (``common.http_server``) in a process of
its own serving a fixed JSON body of the same size from a bare WSGI app:
what HTTP, the client and this machine cost before trove_lite does any
work. Each figure is printed next to the floor as a ratio.

    python benchmarks/list_instances.py [--requests 2000] [--threads 4]
"""

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

from trove_lite.cmd import common
from trove_lite.common import context
from trove_lite.common import states
from trove_lite.db import api as db_api
from trove_lite.db import migration
from trove_lite.db.repositories import datastores
from trove_lite.db.repositories import flavors
from trove_lite.db.repositories import instances

PROJECT = 'bench'
COUNT = 1000
BIN = os.path.dirname(sys.executable)

FLOOR_APP = '''
import json, sys
from trove_lite.common import http_server
body = open(sys.argv[2], 'rb').read()
def app(environ, start_response):
    start_response('200 OK', [('Content-Type', 'application/json'),
                              ('Content-Length', str(len(body)))])
    return [body]
server = http_server.WSGIServer(app, '127.0.0.1', int(sys.argv[1])).start()
print('ready', flush=True)
server.wait()
'''


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def populate(db_url, state):
    config = os.path.join(state, 'bench.conf')
    with open(config, 'w') as handle:
        handle.write('[DEFAULT]\nstate_path = %s\n[database]\n'
                     'connection = %s\n' % (state, db_url))
    common.init_process(['--config-file', config])
    migration.upgrade()
    ctx = context.get_admin_context()
    datastores.update_datastore(ctx, 'mysql')
    version = datastores.upsert_version(ctx, 'mysql', '10.11', 'mysql')
    flavors.create_flavor(ctx, '1', 'm1.tiny', 512, 1, 1)
    for number in range(COUNT):
        row = instances.create(ctx, {
            'name': 'db%04d' % number, 'tenant_id': PROJECT,
            'flavor_id': '1', 'volume_size': 1,
            'datastore_version_id': version.id})
        instances.update(ctx, row.id, server_status=states.SERVER_ACTIVE,
                         compute_instance_id=row.id, addresses=[
                             {'address': '127.77.%d.%d' % divmod(
                                 number + 2, 256), 'type': 'private'}])
        instances.finish(ctx, row.id, 'build_done', None)
        instances.record_heartbeat(ctx, row.id, 1.0, states.SVC_HEALTHY,
                                   '0.1.0', 0.1, 1.0)
    db_api.dispose()
    return config


def start(args, port):
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection('127.0.0.1', port, timeout=2)
            conn.request('GET', '/')
            conn.getresponse().read()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit('server on port %d did not start' % port)


def measure(port, path, requests, threads):
    """Requests per second for ``requests`` GETs of ``path``."""
    per_thread = requests // threads
    errors = []

    def worker():
        conn = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
        for _ in range(per_thread):
            conn.request('GET', path, headers={'X-Auth-Token': 'bench'})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors.append(response.status)
        conn.close()

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    began = time.perf_counter()
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise SystemExit('%d requests failed (first: %s)'
                         % (len(errors), errors[0]))
    return per_thread * threads / elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--db-url')
    parser.add_argument('--requests', type=int, default=2000)
    parser.add_argument('--threads', type=int, default=4)
    args = parser.parse_args()
    state = tempfile.mkdtemp(prefix='trove-lite-bench-')
    db_url = args.db_url or 'sqlite:///%s/bench.sqlite' % state
    config = populate(db_url, state)
    default_workers = os.cpu_count() or 1
    print('list instances, %d instances, %d requests, %d threads'
          % (COUNT, args.requests, args.threads))
    print('%-6s %8s %10s %12s %8s' % ('page', 'workers', 'req/s',
                                      'floor req/s', 'ratio'))
    for page in (20, 100):
        path = '/v1.0/%s/instances?limit=%d' % (PROJECT, page)
        floor_rate = None
        # NOTE(bench): one worker shows the cost of a request; the
        # default (one per CPU) is what a deployment gets.
        for workers in sorted({1, default_workers}):
            port = free_port()
            api = start([os.path.join(BIN, 'trove-lite-api'),
                         '--config-file', config, '--config-file',
                         _api_config(state, port, workers)], port)
            try:
                if floor_rate is None:
                    floor_rate = _floor(state, port, path, page, args)
                measure(port, path, 100, args.threads)  # warm up
                rate = measure(port, path, args.requests, args.threads)
            finally:
                api.terminate()
                api.wait()
            print('%-6d %8d %10.0f %12.0f %8.2f' % (
                page, workers, rate, floor_rate, floor_rate / rate))


def _floor(state, port, path, page, args):
    """The floor's req/s for a body like the API's answer to ``path``."""
    body = _fetch(port, path, page)
    body_file = os.path.join(state, 'floor-%d.json' % page)
    with open(body_file, 'wb') as handle:
        handle.write(body)
    floor_port = free_port()
    floor = start([sys.executable, '-c', FLOOR_APP, str(floor_port),
                   body_file], floor_port)
    try:
        return measure(floor_port, path, args.requests, args.threads)
    finally:
        floor.terminate()
        floor.wait()


def _api_config(state, port, workers=1):
    path = os.path.join(state, 'api-%d.conf' % workers)
    with open(path, 'w') as handle:
        handle.write('[DEFAULT]\nauth_strategy = noauth\nbind_host = '
                     '127.0.0.1\nbind_port = %d\nhttp_get_rate = 1000000\n'
                     # NOTE(bench): the default page size (20) would cut
                     # the page-100 requests to 20 instances.
                     'instances_page_size = 100\ntrove_api_workers = %d\n'
                     'transport_url = kombu+trove-lite-memory:////\n'
                     % (port, workers))
    return path


def _fetch(port, path, page):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
    conn.request('GET', path, headers={'X-Auth-Token': 'bench'})
    response = conn.getresponse()
    body = response.read()
    assert response.status == 200, body
    assert len(json.loads(body)['instances']) == page, 'short page'
    return body


if __name__ == '__main__':
    main()
