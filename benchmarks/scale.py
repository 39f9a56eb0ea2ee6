"""Scale figures: list and show as instances grow, heartbeats per second,
idle memory.

Three parts, each runnable alone (``--only``):

``api``
    A scratch MariaDB database (``--mysql``, dropped at the end) is filled
    with ACTIVE instances of one project as the fake compute driver leaves
    them, 100, then 1,000, then 10,000 (``--sizes``). At each size a real
    ``trove-lite-api`` with two worker processes serves four client
    threads over keep-alive connections: the first page of 20, a page of
    20 after a marker in the middle of the project, and ``show`` of
    instances picked at random. Floor: the same HTTP server in a process
    of its own serving a body of the same size from a bare WSGI app. If a
    page's cost does not grow with the number of instances, each row's
    req/s stays the same from one size to the next.

``heartbeats``
    One real ``trove-lite-conductor`` on RabbitMQ (an exchange and
    topics of this run's own) and ``--guests`` simulated guests, each
    with its own sealing key, as ``trove-lite-guestagent`` sends them:
    the guest's ``ConductorAPI`` with its ``GuestSerializer``, from two
    sender processes. The conductor is stopped (SIGSTOP) while the
    senders queue ``--rounds`` heartbeats per guest, then resumed; the
    figure is heartbeats over the seconds until the conductor is through
    all of them (read from the ``sent`` stored: a guest whose round ``n``
    is stored counts ``n + 1``). Floor: the same sealed casts, queued the
    same way, drained by a bare oslo.messaging RPC server whose
    ``heartbeat`` only counts. Every wait is bounded (``--limit`` seconds
    in all, ``--stall`` seconds without progress) and says how far it got
    when it gives up.

    Figures (1,000 guests x 10 rounds, shared 2-core VM)::

                               before     after
        conductor heartbeats/s     50       681
        floor heartbeats/s       2334      2402
        ratio                    46.2       3.5

    (A second run "after", with other work on the machine: 415/s, floor
    1,808/s, ratio 4.4.)

    (The "before" floor drained the casts unsealed, a little less to
    carry; the floor is now the same sealed casts.)

    Before: four key lookups (a query and a Fernet decryption each) and
    four unseals per heartbeat, then three reads and a transaction of its
    own. After: keys kept in memory (``conductor/instance_keys.py``), the
    cipher built once per key, and heartbeats written in batches, one
    per instance, one locked read and one upsert per batch
    (``conductor/heartbeats.py``, ``instances.record_heartbeats``). The
    aim of 5,000/s is not met, and one conductor cannot meet it here: the
    floor itself, oslo.messaging delivering the casts to a server that
    does nothing, drains ~2,400/s on this machine. What is left of the
    conductor's own cost is mostly the four Fernet tokens of each
    message (the context and each argument are sealed apart; the wire
    format is the guests', so it stays) and the GIL shared by the RPC
    threads and the writer. Several conductors on the topic share the
    load.

``rss``
    Resident memory (``VmRSS``) of each service, idle, 5 s after it is
    ready: ``trove-lite-all`` as the embedded shape runs it (SQLite, the
    in-process bus), and the cloud shape's ``trove-lite-api``,
    ``-taskmanager``, ``-conductor`` and ``-guestagent`` on MariaDB and
    RabbitMQ with the fake compute driver. Floor: a Python interpreter
    that imported nothing (``python -c``). Aim (issue 18):
    ``trove-lite-all`` at most 120 MB. Nearly all of it is the code of the
    modules a process imports, so what a process needs only on first use
    (swiftclient, taskflow's patterns and networkx) is imported then,
    and eventlet never (``trove_lite/__init__.py``).

    python benchmarks/scale.py [--only api,heartbeats,rss]
        [--sizes 100,1000,10000] [--requests 1000] [--guests 1000]
        [--rounds 10] [--limit 300] [--stall 30]
"""

import argparse
import http.client
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import kombu
import pymysql
import sqlalchemy as sa

from trove_lite.cmd import common
from trove_lite.common import context
from trove_lite.common import sealing
from trove_lite.common import states
from trove_lite.db import api as db_api
from trove_lite.db import migration
from trove_lite.db import models
from trove_lite.db.repositories import datastores
from trove_lite.db.repositories import flavors
from trove_lite.db.repositories import instances

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import list_instances as bench  # noqa: E402  (sibling benchmark's helpers)

PROJECT = 'bench'
BIN = os.path.dirname(sys.executable)
RABBIT = 'rabbit://guest:guest@127.0.0.1:5672/'


# -- the infra database ------------------------------------------------------

class ScratchDatabase:
    """A MariaDB database of this run's own, dropped by ``drop()``."""

    def __init__(self, server):
        self.server = server
        self.name = 'tl_scale_%s' % uuid.uuid4().hex[:12]
        host, _, port = server.partition(':')
        self._connect = dict(host=host, port=int(port or 3306), user='root')
        with pymysql.connect(**self._connect) as conn:
            conn.cursor().execute('CREATE DATABASE %s' % self.name)
        self.url = 'mysql+pymysql://root@%s/%s' % (server, self.name)

    def drop(self):
        with pymysql.connect(**self._connect) as conn:
            conn.cursor().execute('DROP DATABASE IF EXISTS %s' % self.name)


def write_config(path, sections):
    with open(path, 'w') as handle:
        for section, values in sections.items():
            handle.write('[%s]\n' % section)
            for name, value in values.items():
                handle.write('%s = %s\n' % (name, value))
    return path


def prepare(state, db_url):
    """Migrate the database and make a datastore version and a flavor.

    :returns: the config file every process of the run reads.
    """
    config = write_config(os.path.join(state, 'base.conf'), {
        'DEFAULT': {'state_path': state, 'compute_driver': 'fake'},
        'database': {'connection': db_url}})
    common.init_process(['--config-file', config])
    migration.upgrade()
    ctx = context.get_admin_context()
    datastores.update_datastore(ctx, 'mysql')
    datastores.upsert_version(ctx, 'mysql', '10.11', 'mysql')
    flavors.create_flavor(ctx, '1', 'm1.tiny', 512, 1, 1)
    return config


def _template(ctx, version_id):
    """One instance made through the repositories, as the fake driver's
    create leaves it: its rows are the pattern the others are copied from.
    """
    row = instances.create(ctx, {
        'name': 'db00000', 'tenant_id': PROJECT, 'flavor_id': '1',
        'volume_size': 1, 'datastore_version_id': version_id})
    instances.update(ctx, row.id, server_status=states.SERVER_ACTIVE,
                     compute_instance_id=row.id,
                     addresses=[{'address': '127.77.0.2',
                                 'type': 'private'}])
    instances.finish(ctx, row.id, 'build_done', None)
    instances.record_heartbeat(ctx, row.id, 1.0, states.SVC_HEALTHY,
                               '0.1.0', 0.1, 1.0)
    return row.id


def grow(target, project=PROJECT):
    """Add instances until ``project`` has ``target``; returns their ids.

    The first is made through the repositories; the rest are copies of its
    rows (instance, service status, heartbeat) with ids of their own,
    inserted in batches: 10,000 instances through the repositories would
    take minutes of the run.
    """
    ctx = context.get_admin_context()
    engine = db_api.get_engine()
    tables = [models.Instance.__table__, models.ServiceStatus.__table__,
              models.AgentHeartbeat.__table__]
    with engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(
            tables[0])).scalar()
        count = conn.execute(sa.select(sa.func.count()).where(
            tables[0].c.tenant_id == project)).scalar()
    if total == 0:
        _template(ctx, _version_id(engine))
        total, count = 1, int(project == PROJECT)
    with engine.begin() as conn:
        patterns = [dict(conn.execute(sa.select(table).limit(1)).mappings()
                         .one()) for table in tables]
        batch = [[], [], []]
        for number in range(count, target):
            instance_id = str(uuid.uuid4())
            instance = dict(patterns[0], id=instance_id,
                            compute_instance_id=instance_id,
                            name='db%05d' % number, tenant_id=project,
                            addresses='[{"address": "127.77.%d.%d", '
                            '"type": "private"}]' % divmod(
                                (total + number) % 65000 + 2, 256))
            status = dict(patterns[1], id=str(uuid.uuid4()),
                          instance_id=instance_id)
            beat = dict(patterns[2], id=str(uuid.uuid4()),
                        instance_id=instance_id)
            for rows, row in zip(batch, (instance, status, beat)):
                rows.append(row)
            if len(batch[0]) == 1000:
                _insert(conn, tables, batch)
        _insert(conn, tables, batch)
        return [row.id for row in conn.execute(
            sa.select(tables[0].c.id).where(tables[0].c.tenant_id == project)
            .order_by(tables[0].c.id))]


def _version_id(engine):
    with engine.connect() as conn:
        return conn.execute(sa.select(
            models.DatastoreVersion.__table__.c.id)).scalar()


def _insert(conn, tables, batch):
    for table, rows in zip(tables, batch):
        if rows:
            conn.execute(table.insert(), rows)
        del rows[:]


# -- list and show -----------------------------------------------------------

def measure(port, paths, requests, threads):
    """Requests per second for ``requests`` GETs cycling through
    ``paths``.
    """
    per_thread = requests // threads
    errors = []

    def worker(offset):
        conn = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
        for number in range(per_thread):
            path = paths[(offset + number) % len(paths)]
            conn.request('GET', path, headers={'X-Auth-Token': 'bench'})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors.append(response.status)
        conn.close()

    workers = [threading.Thread(target=worker, args=(n * 997,))
               for n in range(threads)]
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


def floor_rate(state, port, path, args):
    """The floor's req/s for a body like the API's answer to ``path``."""
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
    conn.request('GET', path, headers={'X-Auth-Token': 'bench'})
    body = conn.getresponse().read()
    body_file = os.path.join(state, 'floor-%d.json' % len(body))
    with open(body_file, 'wb') as handle:
        handle.write(body)
    floor_port = bench.free_port()
    floor = bench.start([sys.executable, '-c', bench.FLOOR_APP,
                         str(floor_port), body_file], floor_port)
    try:
        return measure(floor_port, [path], args.requests, args.threads)
    finally:
        floor.terminate()
        floor.wait()


def run_api(args, state, config):
    print('list and show, %d requests per figure, %d client threads, '
          'two API workers, MariaDB' % (args.requests, args.threads))
    print('%9s %-16s %8s %12s %8s' % ('instances', 'request', 'req/s',
                                      'floor req/s', 'ratio'))
    floors = {}
    # NOTE(bench): a small project beside the large one: its pages must
    # not cost more as the other project's instances grow.
    grow(20, project='small')
    for size in args.sizes:
        ids = grow(size)
        random.seed(size)
        shown = random.sample(ids, min(len(ids), 200))
        v1 = '/v1.0/%s/instances' % PROJECT
        requests = [
            ('list first 20', ['%s?limit=20' % v1]),
            ('list middle 20',
             ['%s?limit=20&marker=%s' % (v1, ids[len(ids) // 2])]),
            ('list small 20', ['/v1.0/small/instances?limit=20']),
            ('show', ['%s/%s' % (v1, instance_id)
                      for instance_id in shown]),
        ]
        port = bench.free_port()
        api_config = write_config(os.path.join(state, 'api.conf'), {
            'DEFAULT': {'auth_strategy': 'noauth', 'bind_host': '127.0.0.1',
                        'bind_port': port, 'http_get_rate': 1000000,
                        'trove_api_workers': 2,
                        'transport_url': 'kombu+trove-lite-memory:////'}})
        api = bench.start([os.path.join(BIN, 'trove-lite-api'),
                           '--config-file', config, '--config-file',
                           api_config], port)
        try:
            for name, paths in requests:
                if name not in floors:
                    floors[name] = floor_rate(state, port, paths[0], args)
                measure(port, paths, 100, args.threads)  # warm up
                rate = measure(port, paths, args.requests, args.threads)
                print('%9d %-16s %8.0f %12.0f %8.2f' % (
                    size, name, rate, floors[name], floors[name] / rate),
                    flush=True)
        finally:
            api.terminate()
            api.wait()


# -- heartbeats --------------------------------------------------------------

# NOTE(bench): the floor reads cfg.CONF, not a ConfigOpts of its own:
# oslo.messaging 18 registers its [oslo_messaging_tracing] options on
# cfg.CONF only, and its server reads them for every message it receives;
# on another ConfigOpts each message failed (NoSuchOptError, unlogged in
# this bare process), so the floor counted nothing and the first trial of
# this benchmark waited for it until killed. It prints its count every
# 0.2 s, so that the run can say how far it got if it stalls.
FLOOR_SERVER = '''
import sys, threading, time
import oslo_messaging
from oslo_config import cfg
conf = cfg.CONF
conf([], project='bench')
oslo_messaging.set_transport_defaults(sys.argv[2])
transport = oslo_messaging.get_rpc_transport(conf, url=sys.argv[1])
expected = int(sys.argv[4])
count = [0]
lock = threading.Lock()
done = threading.Event()
class Endpoint:
    target = oslo_messaging.Target(version='1.3')
    def heartbeat(self, ctxt, instance_id, payload, sent):
        with lock:
            count[0] += 1
            if count[0] >= expected:
                done.set()
target = oslo_messaging.Target(topic=sys.argv[3], server='floor')
server = oslo_messaging.get_rpc_server(transport, target, [Endpoint()])
server.start()
print('ready', flush=True)
while not done.wait(0.2):
    print('count %d' % count[0], flush=True)
print('count %d' % count[0], flush=True)
print('done', flush=True)
server.stop()
server.wait()
'''


class Stalled(Exception):
    """A part of the run that stopped short; the message says how far it got."""


def _send(url, exchange, topic, guests, rounds, base):
    """Queue ``rounds`` heartbeats of each of ``guests`` (id, key) pairs,
    round after round, as their agents would send them.
    """
    import oslo_messaging
    from trove_lite.conductor import rpcapi as conductor_rpcapi
    from trove_lite import conf

    conf.CONF(['--config-file', os.environ['BENCH_CONFIG']],
              project='trove-lite')
    oslo_messaging.set_transport_defaults(exchange)
    transport = oslo_messaging.get_rpc_transport(conf.CONF, url=url)
    ctx = context.RequestContext(project_id=PROJECT)
    clients = [(guest_id, conductor_rpcapi.ConductorAPI(
        topic=topic, transport=transport,
        serializer=sealing.GuestSerializer(guest_id, key)))
        for guest_id, key in guests]
    payload = {'service_status': states.SVC_HEALTHY.description,
               'agent_version': '0.1.0', 'backups': [],
               'volume': {'used': 0.1, 'total': 1.0}}
    for number in range(rounds):
        for guest_id, client in clients:
            client.heartbeat(ctx, guest_id, payload, base + number)
    transport.cleanup()


def queue_heartbeats(config, exchange, topic, guests, rounds, base,
                     timeout=600):
    """Queue the heartbeats from two sender processes; returns seconds.

    :raises Stalled: a sender failed or did not finish within ``timeout``.
    """
    os.environ['BENCH_CONFIG'] = config
    halves = [guests[0::2], guests[1::2]]
    began = time.perf_counter()
    senders = [multiprocessing.get_context('spawn').Process(
        target=_send, args=(RABBIT, exchange, topic, half, rounds, base))
        for half in halves]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(max(0, began + timeout - time.perf_counter()))
        if sender.is_alive():
            sender.kill()
            raise Stalled('a sender did not finish within %d s' % timeout)
        if sender.exitcode:
            raise Stalled('a sender failed (exit code %d)' % sender.exitcode)
    return time.perf_counter() - began


def _wait_line(process, wanted, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise SystemExit('process ended before %r' % wanted)
        if wanted in line:
            return
    raise SystemExit('no %r within %d s' % (wanted, timeout))


def drain(what, progress, total, limit, stall):
    """Seconds until ``progress()`` reaches ``total``.

    Bounded: gives up after ``limit`` seconds, or after ``stall`` seconds
    in which the count did not move, and says what it saw.

    :raises Stalled:
    """
    began = time.perf_counter()
    seen, moved = 0, began
    while True:
        count = progress()
        now = time.perf_counter()
        if count >= total:
            return now - began
        if count != seen:
            seen, moved = count, now
        if now - began > limit or now - moved > stall:
            raise Stalled('%s: %d of %d after %.0f s (nothing new for %.0f '
                          's)' % (what, count, total, now - began,
                                  now - moved))
        time.sleep(0.05)


class FloorReader:
    """Reads the floor server's ``count N`` lines in a thread of its own,
    so that waiting for it never blocks on a silent pipe.
    """

    def __init__(self, process):
        self.count = 0
        self.ended = False
        self._process = process
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        for line in self._process.stdout:
            if line.startswith('count '):
                self.count = int(line.split()[1])
        self.ended = True


def _wait_log(path, wanted, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path) as handle:
                if wanted in handle.read():
                    return
        time.sleep(0.2)
    raise SystemExit('no %r in %s within %d s' % (wanted, path, timeout))


def stored(engine, base):
    """How many heartbeats the conductor is through, from the ``sent`` of
    what is stored: a guest whose round ``n`` (sent at ``base + n``) is
    stored counts ``n + 1``, since it handles a guest's heartbeats in the
    order they were queued (an older one is dropped anyway).
    """
    beats = models.AgentHeartbeat.__table__
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.coalesce(sa.func.sum(
            beats.c.sent - base + 1), 0)).where(
                beats.c.sent >= base)).scalar())


def run_floor(args, config, exchange, guests, total):
    """The floor: seconds a bare oslo.messaging server takes to drain
    ``total`` casts queued while it was stopped: the guests' casts, sealed
    as they seal them, which it neither unseals nor stores.
    """
    topic = exchange + '_floor'
    floor = subprocess.Popen(
        [sys.executable, '-c', FLOOR_SERVER, RABBIT, exchange, topic,
         str(total)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True)
    try:
        _wait_line(floor, 'ready')
        reader = FloorReader(floor)
        floor.send_signal(signal.SIGSTOP)
        queued = queue_heartbeats(config, exchange, topic, guests,
                                  args.rounds, 0)
        floor.send_signal(signal.SIGCONT)
        seconds = drain('floor', lambda: reader.count, total, args.limit,
                        args.stall)
    finally:
        floor.send_signal(signal.SIGCONT)
        floor.kill()
        floor.wait()
    print('floor: queued in %.1f s, drained in %.2f s: %.0f/s'
          % (queued, seconds, total / seconds), flush=True)
    return seconds


def run_conductor(args, state, config, exchange, guests, total):
    """Seconds the real ``trove-lite-conductor`` takes to get through
    ``total`` sealed heartbeats queued while it was stopped.
    """
    engine = db_api.get_engine()
    topic = exchange + '_conductor'
    log = os.path.join(state, 'conductor.log')
    conductor_config = write_config(os.path.join(state, 'conductor.conf'), {
        'DEFAULT': {'transport_url': RABBIT, 'control_exchange': exchange,
                    'conductor_queue': topic,
                    'taskmanager_queue': exchange + '_taskmanager',
                    'host': exchange, 'log_file': log}})
    conductor = subprocess.Popen(
        [os.path.join(BIN, 'trove-lite-conductor'), '--config-file', config,
         '--config-file', conductor_config], stderr=subprocess.DEVNULL)
    # NOTE(bench): ``sent`` of this run's heartbeats starts above anything
    # stored (the copies ``grow`` made carry 1.0), so what is stored says
    # how far the conductor got.
    base = float(int(time.time()))
    try:
        _wait_log(log, 'RPC service %s listening' % topic)
        conductor.send_signal(signal.SIGSTOP)
        queued = queue_heartbeats(config, exchange, topic, guests,
                                  args.rounds, base)
        conductor.send_signal(signal.SIGCONT)
        try:
            seconds = drain('conductor', lambda: stored(engine, base),
                            total, args.limit, args.stall)
        except Stalled as err:
            raise Stalled('%s; see %s' % (err, log))
    finally:
        conductor.send_signal(signal.SIGCONT)
        conductor.terminate()
        conductor.wait()
    print('conductor: queued in %.1f s, stored in %.2f s: %.0f/s'
          % (queued, seconds, total / seconds), flush=True)
    return seconds


def _delete_queues(names):
    """Delete this run's RabbitMQ queues (oslo.messaging makes its topic
    queues durable to the broker and never deletes them).
    """
    with kombu.Connection(RABBIT.replace('rabbit://', 'amqp://')) as conn:
        channel = conn.channel()
        for name in names:
            try:
                kombu.Queue(name, channel=channel).delete()
            except Exception as err:
                print('queue %s not deleted: %s' % (name, err))
                channel = conn.channel()


def run_heartbeats(args, state, config):
    ctx = context.get_admin_context()
    ids = grow(max(args.guests, 1))[:args.guests]
    guests = [(instance_id, sealing.generate_key()) for instance_id in ids]
    for instance_id, key in guests:
        instances.set_key(ctx, instance_id, key)
    total = len(guests) * args.rounds
    print('heartbeats, %d guests x %d rounds, one conductor, RabbitMQ'
          % (len(guests), args.rounds))
    exchange = 'tl_scale_%s' % uuid.uuid4().hex[:12]
    try:
        floor_seconds = run_floor(args, config, exchange, guests, total)
        seconds = run_conductor(args, state, config, exchange, guests,
                                total)
    except Stalled as err:
        print('heartbeats: stopped short: %s' % err, flush=True)
        return
    finally:
        _delete_queues([exchange + '_floor', exchange + '_floor.floor',
                        exchange + '_conductor',
                        '%s_conductor.%s' % (exchange, exchange)])
    print('heartbeats/s stored %.0f, floor %.0f, ratio %.2f'
          % (total / seconds, total / floor_seconds,
             seconds / floor_seconds), flush=True)


# -- idle memory -------------------------------------------------------------

def rss_kb(pid):
    with open('/proc/%d/status' % pid) as handle:
        for line in handle:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0


def children(pid):
    try:
        with open('/proc/%d/task/%d/children' % (pid, pid)) as handle:
            return [int(child) for child in handle.read().split()]
    except OSError:
        return []


def _idle(name, command, ready, settle=5):
    """Start ``command``, wait for ``ready()``, then ``settle`` seconds;
    print the RSS of it and of its children.
    """
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        ready()
        time.sleep(settle)
        own = rss_kb(process.pid)
        workers = [rss_kb(child) for child in children(process.pid)]
    finally:
        process.terminate()
        process.wait()
    extra = ''
    if workers:
        extra = '  (+ %d workers: %s MB)' % (len(workers), ', '.join(
            '%.1f' % (kb / 1024) for kb in workers))
    print('%-24s %8.1f%s' % (name, own / 1024, extra), flush=True)
    return own


def run_rss(args, state, config, db_url):
    floor = subprocess.run(
        [sys.executable, '-c', 'import sys; '
         'print(open("/proc/self/status").read())'],
        capture_output=True, text=True, check=True).stdout
    floor_kb = int([line for line in floor.splitlines()
                    if line.startswith('VmRSS:')][0].split()[1])
    print('idle RSS (MB), floor (bare python) %.1f MB' % (floor_kb / 1024))

    embedded_state = tempfile.mkdtemp(prefix='tl-scale-all-', dir='/tmp')
    port = bench.free_port()
    embedded = write_config(os.path.join(embedded_state, 'all.conf'), {
        'DEFAULT': {'state_path': embedded_state, 'auth_strategy': 'noauth',
                    'bind_host': '127.0.0.1', 'bind_port': port,
                    'log_file': os.path.join(embedded_state, 'all.log')}})
    subprocess.run([os.path.join(BIN, 'trove-lite-manage'), '--config-file',
                    embedded, 'db_sync'], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _idle('trove-lite-all', [os.path.join(BIN, 'trove-lite-all'),
                             '--config-file', embedded],
          lambda: _wait_http(port))
    subprocess.run(['rm', '-rf', embedded_state], check=True)

    exchange = 'tl_scale_%s' % uuid.uuid4().hex[:12]
    port = bench.free_port()
    bus = {'transport_url': RABBIT, 'control_exchange': exchange,
           'conductor_queue': exchange + '_conductor',
           'taskmanager_queue': exchange + '_taskmanager',
           'host': exchange, 'auth_strategy': 'noauth',
           'bind_host': '127.0.0.1', 'bind_port': port,
           'trove_api_workers': 2}
    for name, topic in (('conductor', bus['conductor_queue']),
                        ('taskmanager', bus['taskmanager_queue'])):
        log = os.path.join(state, 'rss-%s.log' % name)
        service_config = write_config(
            os.path.join(state, 'rss-%s.conf' % name),
            {'DEFAULT': dict(bus, log_file=log)})
        _idle('trove-lite-' + name,
              [os.path.join(BIN, 'trove-lite-' + name), '--config-file',
               config, '--config-file', service_config],
              lambda log=log, topic=topic: _wait_log(
                  log, 'RPC service %s listening' % topic))
    api_config = write_config(os.path.join(state, 'rss-api.conf'),
                              {'DEFAULT': bus})
    _idle('trove-lite-api', [os.path.join(BIN, 'trove-lite-api'),
                             '--config-file', config, '--config-file',
                             api_config], lambda: _wait_http(port))

    guest_id = str(uuid.uuid4())
    log = os.path.join(state, 'rss-guest.log')
    guest_config = write_config(os.path.join(state, 'guest_info.conf'), {
        'DEFAULT': {'guest_id': guest_id, 'datastore_manager': 'mysql',
                    'transport_url': RABBIT, 'control_exchange': exchange,
                    'conductor_queue': bus['conductor_queue'],
                    'log_file': log, 'state_path': state}})
    _idle('trove-lite-guestagent',
          [os.path.join(BIN, 'trove-lite-guestagent'), '--config-file',
           guest_config],
          lambda: _wait_log(log, 'listening'))


def _wait_http(port, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection('127.0.0.1', port, timeout=2)
            conn.request('GET', '/')
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit('nothing answers on port %d' % port)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--only', default='api,heartbeats,rss')
    parser.add_argument('--mysql', default='127.0.0.1:3306')
    parser.add_argument('--sizes', default='100,1000,10000',
                        type=lambda text: [int(n) for n in text.split(',')])
    parser.add_argument('--requests', type=int, default=1000)
    parser.add_argument('--threads', type=int, default=4)
    parser.add_argument('--guests', type=int, default=1000)
    parser.add_argument('--rounds', type=int, default=10)
    parser.add_argument('--limit', type=float, default=300,
                        help='seconds a heartbeat drain may take at most')
    parser.add_argument('--stall', type=float, default=30,
                        help='seconds without progress that end a drain')
    args = parser.parse_args()
    parts = args.only.split(',')
    state = tempfile.mkdtemp(prefix='tl-scale-', dir='/tmp')
    database = ScratchDatabase(args.mysql)
    try:
        config = prepare(state, database.url)
        if 'api' in parts:
            run_api(args, state, config)
        if 'heartbeats' in parts:
            run_heartbeats(args, state, config)
        if 'rss' in parts:
            run_rss(args, state, config, database.url)
    finally:
        db_api.dispose()
        database.drop()
        subprocess.run(['rm', '-rf', state], check=False)


if __name__ == '__main__':
    main()
