"""Seconds from a source's death to the first write on its replacement.

Starts ``trove-lite-all`` on the real RabbitMQ with guest agents as
``trove-lite-guestagent`` processes (so that one can be killed), creates
a MariaDB source with two replicas through the REST API, with
semi-synchronous replication (``[mysql] replication_semi_sync``) and the
source's ``failover`` attribute on, then ``--runs`` times:

failover
    a client writes one row per transaction to the current source and
    remembers every commit the server acknowledged; after ``--write-for``
    seconds the source's ``mariadbd`` and its guest agent are killed
    (SIGKILL); the clock runs from the kill until one of the replicas
    accepts a write. Rows lost: acknowledged commits missing from the new
    source. ``semi-sync``: the commits a replica had acknowledged on the
    killed source (``off`` when it was not semi-synchronous). The old
    source is then started again (the API's restart) and must come back
    as a replica of the new source with its rows; ``old extra``: the rows
    it has that the new source lacks (a transaction it was committing
    when it died), or ``diverged`` when it could not follow (it is then
    replaced by a fresh replica). The next run kills the new source.
floor
    a planned promote of a replica of the same group
    (``promote_to_replica_source``): from the API call until the promoted
    replica accepts a write. It is what the failover does once it has
    noticed the death; the difference is the detection, bounded below by
    ``[replication] failover_deadline`` (``--deadline``).

Printed per run and as medians, with the ratio failover / (floor +
deadline): 1.0 means failover costs nothing beyond noticing the death.
The aim is at most 10 s from the kill to the first write and 0 rows
lost; an old source that rejoins with nothing extra.

    python benchmarks/failover.py [--runs 3] [--deadline 4] [--write-for 2]

Needs RabbitMQ on 127.0.0.1:5672 (guest/guest) and MariaDB installed; run
from a checkout with the project installed, as root or a user that may
run ``mariadbd``.
"""

import argparse
import os
import signal
import statistics
import sys
import threading
import time

import pymysql
import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from tests.functional import embedded  # noqa: E402
from tests.functional import fixtures  # noqa: E402

USER, PASSWORD, DATABASE = 'bench', 'bench-pw-1', 'bench'
POLL = 0.05


class Group:
    """The replication group under test, through the REST API."""

    def __init__(self, service):
        self.service = service

    def api(self, method, path, **kwargs):
        resp = requests.request(method, self.service.endpoint + path,
                                timeout=30, **kwargs)
        if resp.status_code >= 400:
            raise SystemExit('%s %s: %s %s' % (method, path,
                                               resp.status_code, resp.text))
        return resp.json() if resp.content else None

    def flavor(self):
        return next(f['id'] for f in self.api('GET', '/flavors')['flavors']
                    if f['name'] == 'm1.tiny')

    def create(self, name, **fields):
        return self.api('POST', '/instances', json={'instance': dict(
            name=name, **fields)})['instance']['id']

    def wait(self, instance_id, status='ACTIVE'):
        return embedded.wait_for(self.service, instance_id, [status],
                                 deadline=300)

    def members(self):
        """``(source id, [replica ids])`` as the API shows them now."""
        rows = self.api('GET', '/instances/detail')['instances']
        [source] = [row for row in rows if row.get('replicas')]
        return source['id'], [r['id'] for r in source['replicas']]

    def address(self, instance_id):
        return embedded.shown(self.service, instance_id)['ip'][0]


def connect(address):
    return pymysql.connect(host=address, port=3306, user=USER,
                           password=PASSWORD, database=DATABASE,
                           autocommit=True, connect_timeout=2,
                           read_timeout=5, write_timeout=5)


def try_write(address, row_id):
    try:
        with connect(address) as conn, conn.cursor() as cursor:
            cursor.execute('INSERT INTO t (id) VALUES (%s)', (row_id,))
        return True
    except pymysql.err.MySQLError:
        return False


def first_write(addresses, row_id, timeout=180):
    """Poll until one of ``addresses`` takes a write; that address."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for address in addresses:
            if try_write(address, row_id):
                return address
        time.sleep(POLL)
    raise SystemExit('no replica took a write within %d s' % timeout)


class Writer(threading.Thread):
    """Writes rows to ``address`` until a write fails; ``acked`` holds the
    ids whose commit the server acknowledged.
    """

    def __init__(self, address, first_id):
        super().__init__(daemon=True)
        self.address = address
        self.next_id = first_id
        self.acked = []

    def run(self):
        try:
            with connect(self.address) as conn, conn.cursor() as cursor:
                while True:
                    cursor.execute('INSERT INTO t (id) VALUES (%s)',
                                   (self.next_id,))
                    self.acked.append(self.next_id)
                    self.next_id += 1
        except pymysql.err.MySQLError:
            return


def semi_sync_status(address):
    """The source's semi-synchronous replication status variables."""
    try:
        with connect(address) as conn, conn.cursor() as cursor:
            cursor.execute("SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_%'")
            return dict(cursor.fetchall())
    except pymysql.err.MySQLError as err:
        return 'unknown (%s)' % err


def present(address, ids):
    with connect(address) as conn, conn.cursor() as cursor:
        cursor.execute('SELECT id FROM t')
        found = {row[0] for row in cursor.fetchall()}
    return [i for i in ids if i in found]


def kill(service, instance_id):
    directory = str(service.instance_dir(instance_id))
    for pid in embedded.processes_mentioning(directory):
        try:
            os.kill(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass


def failover_run(group, next_id, write_for):
    source, replicas = group.members()
    writer = Writer(group.address(source), next_id)
    writer.start()
    time.sleep(write_for)
    addresses = {group.address(r): r for r in replicas}
    semi_sync = semi_sync_status(group.address(source))
    kill(group.service, source)
    killed = time.monotonic()
    address = first_write(list(addresses), 10 ** 12 + next_id)
    seconds = time.monotonic() - killed
    writer.join(30)
    found = set(present(address, writer.acked))
    missing = [i for i in writer.acked if i not in found]
    lost = len(missing)
    if missing:
        # Which ones: the last acknowledged commits, or older ones? And
        # was the source semi-synchronous when it was killed?
        print('  lost ids %s; the last acknowledged was %d; the source '
              'before the kill: %s' % (missing[:10], writer.acked[-1],
                                       semi_sync), file=sys.stderr)
        # How the new source was picked, and whether a replica did not
        # answer (it would have been left out of the pick).
        for line in group.service.process.log().splitlines():
            if any(word in line for word in (
                    'goes furthest', 'does not tell its replication',
                    'stops following', 'did not apply')):
                print('  ' + line[:400], file=sys.stderr)
    new_source = addresses[address]
    deadline = time.monotonic() + 120
    while group.members()[0] != new_source:
        if time.monotonic() > deadline:
            raise SystemExit('the topology did not change after the write')
        time.sleep(0.2)
    extra = rejoin(group, source, new_source)
    return (seconds, lost, len(writer.acked), writer.next_id + 2000,
            semi_sync_acks(semi_sync), extra)


def semi_sync_acks(status):
    """Commits the source had acknowledged by a replica before the kill
    (``Rpl_semi_sync_master_yes_tx``), or None when it was not
    semi-synchronous then.
    """
    if not isinstance(status, dict) or \
            status.get('Rpl_semi_sync_master_status') != 'ON':
        return None
    return int(status.get('Rpl_semi_sync_master_yes_tx', 0))


def all_ids(address):
    with connect(address) as conn, conn.cursor() as cursor:
        cursor.execute('SELECT id FROM t')
        return {row[0] for row in cursor.fetchall()}


def rejoin(group, old_source, new_source):
    """Start the killed source again (the API's restart) and wait until
    it follows the new source with its data.

    :returns: the rows it has that the new source lacks (the transaction
        it was committing when it died), or None when it does not catch
        up (its history diverged from the new source's: it is then
        replaced by a fresh replica, so that the next run starts from a
        sound group of three).
    """
    group.api('POST', '/instances/%s/action' % old_source,
              json={'restart': {}})
    group.wait(old_source)
    deadline = time.monotonic() + 120
    while ((embedded.shown(group.service, old_source).get('replication')
            or {}).get('reported_role') != 'replica'):
        if time.monotonic() > deadline:
            raise SystemExit('the old source %s did not come back as a '
                             'replica' % old_source)
        time.sleep(0.3)
    old, new = group.address(old_source), group.address(new_source)
    deadline = time.monotonic() + 60
    while True:
        mine, theirs = all_ids(old), all_ids(new)
        if theirs <= mine:
            return len(mine - theirs)
        if time.monotonic() > deadline:
            break
        time.sleep(0.3)
    group.api('DELETE', '/instances/%s' % old_source)
    embedded.wait_until_gone(group.service, old_source)
    group.wait(group.create('bench-rep-%s' % old_source[:8],
                            replica_of=new_source))
    return None


def promote_run(group, next_id):
    source, replicas = group.members()
    replica = replicas[0]
    address = group.address(replica)
    start = time.monotonic()
    group.api('POST', '/instances/%s/action' % replica,
              json={'promote_to_replica_source': {}})
    first_write([address], next_id)
    seconds = time.monotonic() - start
    for member in [replica, source] + replicas[1:]:
        group.wait(member)
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--deadline', type=int, default=4,
                        help='[replication] failover_deadline, seconds')
    parser.add_argument('--write-for', type=float, default=2.0)
    args = parser.parse_args()
    options = dict(fixtures.unique_bus('trove_lite_bench'),
                   transport_url=fixtures.RABBIT_URL, report_interval=1,
                   reconcile_interval=1)
    sections = {'local': {'agent_mode': 'process',
                          'process_stop_timeout': 5},
                'replication': {'failover_deadline': args.deadline,
                                'failover_check_interval': 0.2},
                'mysql': {'replication_semi_sync': True}}
    with embedded.start(sections, **options) as service:
        group = Group(service)
        flavor = group.flavor()
        source = group.create(
            'bench-src', flavorRef=flavor, volume={'size': 1},
            datastore={'type': 'mysql'}, failover=True,
            databases=[{'name': DATABASE}],
            users=[{'name': USER, 'password': PASSWORD,
                    'databases': [{'name': DATABASE}]}])
        group.wait(source)
        with connect(group.address(source)) as conn, conn.cursor() as cur:
            cur.execute('CREATE TABLE t (id BIGINT PRIMARY KEY)')
        group.create('bench-rep', replica_of=source, replica_count=2)
        for member in group.members()[1]:
            group.wait(member)
        floors, failovers, losses = [], [], []
        next_id = 1
        extras = []
        print('run  promote->write  kill->write  rows acked  semi-sync  '
              'rows lost  old extra')
        for run in range(1, args.runs + 1):
            floor = promote_run(group, next_id)
            next_id += 1
            seconds, lost, acked, next_id, acks, extra = failover_run(
                group, next_id, args.write_for)
            floors.append(floor)
            failovers.append(seconds)
            losses.append(lost)
            extras.append(extra)
            print('%3d  %13.2fs  %10.2fs  %10d  %9s  %9d  %9s' % (
                run, floor, seconds, acked,
                'off' if acks is None else acks, lost,
                'diverged' if extra is None else extra))
        floor = statistics.median(floors)
        failover = statistics.median(failovers)
        print('median: promote->write %.2f s, kill->write %.2f s '
              '(deadline %d s); ratio kill->write / (promote + deadline) '
              '%.2f; rows lost %d in all; rows only the rejoined old '
              'source had %d in all; old sources that could not rejoin '
              '%d'
              % (floor, failover, args.deadline,
                 failover / (floor + args.deadline), sum(losses),
                 sum(extra for extra in extras if extra is not None),
                 extras.count(None)))
        source, replicas = group.members()
        for member in replicas + [source]:
            group.api('DELETE', '/instances/%s' % member)
            embedded.wait_until_gone(service, member)


if __name__ == '__main__':
    main()
