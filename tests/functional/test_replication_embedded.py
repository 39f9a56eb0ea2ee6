"""Replication with the real CLI, real servers and real failures.

``trove-lite-all`` runs on the real RabbitMQ with guest agents as
``trove-lite-guestagent`` processes (so that a test can kill one), real
``mariadbd``, ``postgres`` and ``redis-server`` instances. What the issue
asks is done as a tenant does it, with the ``openstack`` CLI, and checked
on the servers themselves:

* MariaDB: a source with data and two replicas (one seeded through a
  backup in storage, as every MariaDB replica is); rows flow to both; a
  replica refuses the tenant's writes; a promote makes the old source
  follow the new one and rows flow the other way; a detach makes a
  writable instance of its own;
* PostgreSQL: a replica (a hot standby) gets the rows and refuses
  writes; a promote makes the old source follow it;
* Redis: a replica gets the keys (with the source's password) and
  refuses writes; a promote makes the old source follow it;
* failover: the source's server and agent are killed (SIGKILL) with
  failover on; a replica takes writes within the deadline, the other
  follows it, no row committed before the kill is lost (semi-sync), and
  the old source comes back as a replica;
* eject, with failover off: refused while the source's heartbeat is
  fresh; once its agent and server are gone and the heartbeat is stale,
  it makes the replica the source, and the old source comes back as its
  replica.
"""

import os
import signal

import pymysql
import pytest
import requests

from tests.functional import datastore_clients
from tests.functional import embedded as embedded_shape
from tests.functional.embedded import cli
from tests.functional.embedded import run_cli
from tests.functional import fixtures
from tests import waiting

USER, PASSWORD, DATABASE = 'shop', 'shop-pw-1', 'shop'
FAILOVER_DEADLINE = 4
# Seconds without a heartbeat before an agent counts as lost (an eject
# waits that long); short, but well above a heartbeat's delay on a busy
# machine.
HEARTBEAT_EXPIRY = 15


@pytest.fixture(scope='module')
def service():
    options = dict(fixtures.unique_bus('trove_lite_repl'),
                   transport_url=fixtures.RABBIT_URL, report_interval=1,
                   reconcile_interval=1,
                   agent_heartbeat_expiry=HEARTBEAT_EXPIRY)
    with embedded_shape.start({
            'local': {'agent_mode': 'process', 'process_stop_timeout': 5},
            'replication': {'failover_deadline': FAILOVER_DEADLINE,
                            'failover_check_interval': 0.5},
            'mysql': {'replication_semi_sync': True}},
            **options) as running:
        yield running


def create(service, name, datastore, *extra):
    if '--replica-of' in extra:
        # A replica has its source's datastore, flavor and volume.
        return cli(service, 'database', 'instance', 'create', name, *extra)
    args = ['database', 'instance', 'create', name, '--flavor', 'm1.tiny',
            '--size', '1', '--datastore', datastore] + list(extra)
    if datastore != 'redis':
        args += ['--databases', DATABASE, '--users',
                 '%s:%s' % (USER, PASSWORD)]
    return cli(service, *args)


def active(service, instance_id):
    return embedded_shape.wait_for(service, instance_id, ['ACTIVE'],
                                   deadline=240)


def replicas_named(service, prefix):
    return {row['Name']: row['ID']
            for row in cli(service, 'database', 'instance', 'list')
            if row['Name'].startswith(prefix)}


def roles(service):
    return {row['ID']: row['Role']
            for row in cli(service, 'database', 'instance', 'list')}


# -- MariaDB ---------------------------------------------------------------

def mysql_connect(shown, user=USER, password=PASSWORD):
    return pymysql.connect(host=shown['ip'][0], port=3306, user=user,
                           password=password, database=DATABASE,
                           autocommit=True, connect_timeout=10)


def mysql_rows(shown):
    with mysql_connect(shown) as conn, conn.cursor() as cursor:
        cursor.execute('SELECT COUNT(*) FROM orders')
        return cursor.fetchone()[0]


def mysql_insert(shown, first, count):
    with mysql_connect(shown) as conn, conn.cursor() as cursor:
        cursor.executemany(
            'INSERT INTO orders (id, item) VALUES (%s, %s)',
            [(i, 'item-%d' % i) for i in range(first, first + count)])


def wait_rows(reader, shown, expected, deadline=60):
    def counted():
        try:
            return reader(shown) == expected
        except Exception:
            return False
    assert waiting.wait_for(counted, timeout=deadline, interval=0.3), (
        'expected %d rows on %s' % (expected, shown['id']))


@pytest.fixture(scope='module')
def mysql_group(service):
    """A MariaDB source with 100 rows and two replicas of it."""
    source = create(service, 'repl-src', 'mysql')
    shown = active(service, source['id'])
    with mysql_connect(shown) as conn, conn.cursor() as cursor:
        cursor.execute('CREATE TABLE orders (id INT PRIMARY KEY, '
                       'item VARCHAR(64))')
    mysql_insert(shown, 0, 100)
    created = create(service, 'repl-rep', 'mysql', '--replica-of',
                     source['id'], '--replica-count', '2')
    assert created['replica_of'] == source['id']
    replicas = replicas_named(service, 'repl-rep-')
    assert sorted(replicas) == ['repl-rep-1', 'repl-rep-2']
    return {'source': source['id'], 'replicas': replicas}


def test_mariadb_replicas_follow_refuse_writes_promote_and_detach(
        service, mysql_group):
    source_id = mysql_group['source']
    first = mysql_group['replicas']['repl-rep-1']
    second = mysql_group['replicas']['repl-rep-2']
    shown = {member: active(service, member)
             for member in (source_id, first, second)}
    assert roles(service)[source_id] == 'primary'
    assert {roles(service)[first], roles(service)[second]} == {'replica'}
    # The rows before the replicas, and a database and rows after.
    for replica in (first, second):
        wait_rows(mysql_rows, shown[replica], 100)
    mysql_insert(shown[source_id], 100, 50)
    for replica in (first, second):
        wait_rows(mysql_rows, shown[replica], 150)
    # The server itself refuses the tenant's writes on a replica.
    with pytest.raises(pymysql.err.OperationalError) as refused:
        mysql_insert(shown[first], 1000, 1)
    assert refused.value.args[0] == 1290, refused.value  # read-only
    # The instance view shows how far behind a replica is (from its next
    # heartbeat).

    def replication_view():
        return embedded_shape.shown(service, first)['replication']
    assert waiting.wait_for(lambda: replication_view()['running'] is True,
                            timeout=30, interval=0.3), replication_view()
    view = replication_view()
    assert view['role'] == 'replica' and view['lag'] is not None
    # Promote the first replica: the old source and the second follow it.
    cli(service, 'database', 'instance', 'promote', first, parse=False)
    for member in (first, source_id, second):
        active(service, member)
    now = roles(service)
    assert (now[first], now[source_id], now[second]) == (
        'primary', 'replica', 'replica'), now
    mysql_insert(shown[first], 150, 25)
    for member in (source_id, second):
        wait_rows(mysql_rows, shown[member], 175)
    with pytest.raises(pymysql.err.OperationalError):
        mysql_insert(shown[source_id], 2000, 1)
    # Detach the second: a writable instance of its own.
    cli(service, 'database', 'instance', 'detach', second, parse=False)
    active(service, second)
    assert roles(service)[second] == ''
    mysql_insert(shown[second], 3000, 1)
    assert mysql_rows(shown[second]) == 176
    # The new source still may not go while it has a replica.
    refused = run_cli(service, 'database', 'instance', 'delete', first)
    assert refused.returncode == 1
    for member in (second, source_id, first):
        cli(service, 'database', 'instance', 'delete', member, parse=False)
        if member == source_id:
            embedded_shape.wait_until_gone(service, member)
    embedded_shape.wait_until_gone(service, first)


# -- PostgreSQL ------------------------------------------------------------

def pg_client(shown):
    return datastore_clients.Client('postgresql', shown['ip'][0])


def pg_rows(shown):
    return int(pg_client(shown).works(USER, PASSWORD, DATABASE,
                                      'SELECT count(*) FROM orders'))


def pg_insert(shown, first, count):
    pg_client(shown).works(
        USER, PASSWORD, DATABASE,
        'INSERT INTO orders SELECT generate_series(%d, %d)'
        % (first, first + count - 1))


def test_postgresql_replica_follows_refuses_writes_and_promotes(service):
    source = create(service, 'pg-src', 'postgresql')
    source_shown = active(service, source['id'])
    pg_client(source_shown).works(USER, PASSWORD, DATABASE,
                                  'CREATE TABLE orders (id INT PRIMARY KEY)')
    pg_insert(source_shown, 0, 100)
    replica = create(service, 'pg-rep', 'postgresql', '--replica-of',
                     source['id'])
    replica_shown = active(service, replica['id'])
    assert (roles(service)[source['id']],
            roles(service)[replica['id']]) == ('primary', 'replica')
    wait_rows(pg_rows, replica_shown, 100)
    pg_insert(source_shown, 100, 50)
    wait_rows(pg_rows, replica_shown, 150)
    # A hot standby: the server refuses the tenant's writes.
    refused = pg_client(replica_shown).refused(
        USER, PASSWORD, DATABASE, 'INSERT INTO orders VALUES (-1)')
    assert 'read-only transaction' in refused, refused
    cli(service, 'database', 'instance', 'promote', replica['id'],
        parse=False)
    for member in (replica['id'], source['id']):
        active(service, member)
    assert (roles(service)[replica['id']],
            roles(service)[source['id']]) == ('primary', 'replica')
    pg_insert(replica_shown, 150, 10)
    wait_rows(pg_rows, source_shown, 160)
    refused = pg_client(source_shown).refused(
        USER, PASSWORD, DATABASE, 'INSERT INTO orders VALUES (-2)')
    assert 'read-only transaction' in refused, refused
    for member in (source['id'], replica['id']):
        cli(service, 'database', 'instance', 'delete', member, parse=False)
        embedded_shape.wait_until_gone(service, member)


# -- Redis --------------------------------------------------------------------

def redis_cli(shown, password, *command):
    return datastore_clients.redis_cli(shown['ip'][0], password, *command)


def test_redis_replica_gets_the_keys_refuses_writes_and_promotes(service):
    source = create(service, 'rd-src', 'redis')
    password = source['password']
    source_shown = active(service, source['id'])
    assert redis_cli(source_shown, password, 'SET', 'before', '1') == 'OK'
    replica = create(service, 'rd-rep', 'redis', '--replica-of',
                     source['id'])
    replica_shown = active(service, replica['id'])
    for n in range(50):
        redis_cli(source_shown, password, 'SET', 'key:%d' % n, str(n))

    def keys(shown):
        return redis_cli(shown, password, 'DBSIZE')
    assert waiting.wait_for(lambda: keys(replica_shown) == '51',
                            timeout=60, interval=0.3), keys(replica_shown)
    assert redis_cli(replica_shown, password, 'GET', 'key:7') == '7'
    assert redis_cli(replica_shown, password, 'SET', 'refused',
                     '1').startswith('READONLY')
    cli(service, 'database', 'instance', 'promote', replica['id'],
        parse=False)
    for member in (replica['id'], source['id']):
        active(service, member)
    assert (roles(service)[replica['id']],
            roles(service)[source['id']]) == ('primary', 'replica')
    assert redis_cli(replica_shown, password, 'SET', 'after', '2') == 'OK'
    assert waiting.wait_for(lambda: redis_cli(
        source_shown, password, 'GET', 'after') == '2', timeout=60,
        interval=0.3)
    assert redis_cli(source_shown, password, 'SET', 'refused',
                     '1').startswith('READONLY')
    for member in (source['id'], replica['id']):
        cli(service, 'database', 'instance', 'delete', member, parse=False)
        embedded_shape.wait_until_gone(service, member)


# -- failover ------------------------------------------------------------------

def kill_instance_processes(service, instance_id):
    """SIGKILL the instance's datastore server and its guest agent: the
    processes whose command line names its instance directory (the
    server's option file, the agent's guest_info.conf).
    """
    directory = str(service.instance_dir(instance_id))
    killed = []
    for pid in embedded_shape.processes_mentioning(directory):
        try:
            os.kill(int(pid), signal.SIGKILL)
            killed.append(pid)
        except ProcessLookupError:
            pass
    assert killed, directory
    return killed


def writable(shown):
    try:
        with mysql_connect(shown) as conn, conn.cursor() as cursor:
            cursor.execute('INSERT INTO orders (id, item) VALUES '
                           '(%s, %s)', (100000, 'after the failover'))
        return True
    except pymysql.err.MySQLError:
        return False


def test_failover_promotes_a_replica_and_fences_the_old_source(service):
    source = create(service, 'fo-src', 'mysql')
    source_shown = active(service, source['id'])
    with mysql_connect(source_shown) as conn, conn.cursor() as cursor:
        cursor.execute('CREATE TABLE orders (id INT PRIMARY KEY, '
                       'item VARCHAR(64))')
    create(service, 'fo-rep', 'mysql', '--replica-of', source['id'],
           '--replica-count', '2')
    replicas = sorted(replicas_named(service, 'fo-rep-').values())
    shown = {member: active(service, member) for member in replicas}
    # Failover is the owner's choice (trove_lite's "failover" attribute).
    resp = requests.put('%s/instances/%s' % (service.endpoint, source['id']),
                        json={'instance': {'failover': True}}, timeout=10)
    assert resp.status_code == 202, resp.text
    # Committed with semi-synchronous replication: acknowledged by a
    # replica before the commit returned.
    mysql_insert(source_shown, 0, 500)
    kill_instance_processes(service, source['id'])
    # A replica takes writes once the conductor has failed over.
    assert waiting.wait_for(
        lambda: any(writable(shown[member]) for member in replicas),
        timeout=120, interval=0.2), service.process.log()
    assert waiting.wait_for(lambda: 'primary' in [
        roles(service)[member] for member in replicas], timeout=60,
        interval=0.3)
    [new_source] = [member for member in replicas
                    if roles(service)[member] == 'primary']
    [other] = [member for member in replicas if member != new_source]
    assert mysql_rows(shown[new_source]) == 501
    wait_rows(mysql_rows, shown[other], 501)
    assert roles(service)[source['id']] == 'replica'
    # The old source comes back (its agent started again, by a restart)
    # as a replica of the new source, never as a second source.
    cli(service, 'database', 'instance', 'restart', source['id'],
        parse=False)
    active(service, source['id'])
    assert waiting.wait_for(lambda: (embedded_shape.shown(
        service, source['id']).get('replication') or {}).get(
        'reported_role') == 'replica', timeout=60, interval=0.5)
    mysql_insert(shown[new_source], 1000, 10)
    wait_rows(mysql_rows, source_shown, 511)
    assert not writable(source_shown)
    for member in [source['id'], other, new_source]:
        cli(service, 'database', 'instance', 'delete', member, parse=False)
        if member != new_source:
            embedded_shape.wait_until_gone(service, member)
    embedded_shape.wait_until_gone(service, new_source)


def test_eject_waits_for_a_lost_source_then_promotes_its_replica(service):
    source = create(service, 'ej-src', 'mysql')
    source_shown = active(service, source['id'])
    with mysql_connect(source_shown) as conn, conn.cursor() as cursor:
        cursor.execute('CREATE TABLE orders (id INT PRIMARY KEY, '
                       'item VARCHAR(64))')
    mysql_insert(source_shown, 0, 40)
    replica = create(service, 'ej-rep', 'mysql', '--replica-of',
                     source['id'])
    replica_shown = active(service, replica['id'])
    wait_rows(mysql_rows, replica_shown, 40)
    # Failover is off (the default): nothing happens by itself, and the
    # source's heartbeat is fresh, so an eject is refused.
    refused = run_cli(service, 'database', 'instance', 'eject',
                      source['id'])
    assert refused.returncode == 1
    assert 'cannot be ejected' in refused.stderr and \
        '(HTTP 400)' in refused.stderr, refused.stderr
    kill_instance_processes(service, source['id'])
    # Still refused until the heartbeat is older than the expiry; then
    # accepted. Nothing promoted the replica in between.

    def ejected():
        return run_cli(service, 'database', 'instance', 'eject',
                       source['id']).returncode == 0
    assert not ejected()
    assert roles(service)[replica['id']] == 'replica'
    assert waiting.wait_for(ejected, timeout=HEARTBEAT_EXPIRY * 4,
                            interval=2), service.process.log()
    assert waiting.wait_for(lambda: writable(replica_shown), timeout=120,
                            interval=0.3), service.process.log()
    active(service, replica['id'])
    assert roles(service)[replica['id']] == 'primary'
    assert roles(service)[source['id']] == 'replica'
    assert mysql_rows(replica_shown) == 41
    # The old source comes back as the new source's replica.
    cli(service, 'database', 'instance', 'restart', source['id'],
        parse=False)
    active(service, source['id'])
    assert waiting.wait_for(lambda: (embedded_shape.shown(
        service, source['id']).get('replication') or {}).get(
        'reported_role') == 'replica', timeout=60, interval=0.5)
    wait_rows(mysql_rows, source_shown, 41)
    assert not writable(source_shown)
    for member in [source['id'], replica['id']]:
        cli(service, 'database', 'instance', 'delete', member, parse=False)
        if member == source['id']:
            embedded_shape.wait_until_gone(service, member)
    embedded_shape.wait_until_gone(service, replica['id'])
