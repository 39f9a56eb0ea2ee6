"""Backups and restores with the real CLI, real servers and real storage.

``trove-lite-all`` in its embedded shape takes backups of real
``mariadbd``, ``postgres`` and ``redis-server`` instances with the real
tools (``mariabackup``, ``pg_basebackup``, ``redis-cli --rdb``) into its
local storage directory, or into the session's real OpenStack Swift
(``--storage-driver swift``), and restores them into new instances: every
row written before each backup is there afterwards (table checksums
equal). The faults of the issue are provoked for real: a corrupted
object, Swift cut off, and the API's refusals (a guest agent killed
while it streams is in ``test_instance_failures``, whose agents are
processes).
"""

import contextlib
import os
import subprocess
import urllib.parse

import pytest
import requests
from swiftclient import client as swift_client

from tests.chaos import proxy

from tests.functional import datastore_clients
from tests.functional import embedded as embedded_shape
from tests.functional.embedded import cli
from tests import waiting

USER, PASSWORD, DATABASE = 'shop', 'shop-pw-1', 'shop'


class SwiftAccess:
    """The session's Swift behind a proxy this module can cut."""

    def __init__(self, swift):
        self.swift = swift
        upstream = urllib.parse.urlsplit(swift.auth_url)
        self.proxy = proxy.SeverableProxy(
            upstream=(upstream.hostname, upstream.port)).start()
        # tempauth names the storage URL after the host it was asked on.
        self.storage_url = 'http://%s/v1/AUTH_test' % self.proxy.url_host

    def backup_options(self):
        return {'swift_auth': 'static',
                'swift_auth_url': 'http://%s/auth/v1.0' % (
                    self.proxy.url_host),
                'swift_user': self.swift.user, 'swift_key': self.swift.key}

    @contextlib.contextmanager
    def cut_off(self):
        """Swift refuses every connection (and drops live ones)."""
        self.proxy.sever(refuse_seconds=3600)
        try:
            yield
        finally:
            self.proxy.accept_again()

    def object_exists(self, location):
        container, name = location[len(self.storage_url) + 1:].split('/', 1)
        try:
            self.swift.connection().head_object(container, name)
        except swift_client.ClientException as err:
            if err.http_status == 404:
                return False
            raise
        return True


@pytest.fixture(scope='module')
def service(swift_service):
    """One embedded service for the module: local storage by default,
    the session's Swift when a request names it.
    """
    access = SwiftAccess(swift_service)
    backup_options = dict(access.backup_options(), schedule_poll_interval=1)
    with embedded_shape.start({'backup': backup_options}) as running:
        running.swift = access
        yield running


def api(service, method, path, **kwargs):
    return requests.request(method, service.endpoint + path, timeout=30,
                            **kwargs)


def backup_shown(service, backup_id):
    resp = api(service, 'GET', '/backups/' + backup_id)
    assert resp.status_code == 200, resp.text
    return resp.json()['backup']


def wait_backup(service, backup_id, wanted=('COMPLETED',), deadline=180):
    """Wait for a backup's status; fail at once on an unexpected end."""
    found = {}

    def ended():
        found['backup'] = backup_shown(service, backup_id)
        status = found['backup']['status']
        if status in wanted:
            return True
        assert status not in ('COMPLETED', 'FAILED', 'DELETE_FAILED'), \
            found['backup']
        return False
    assert waiting.wait_for(ended, timeout=deadline, interval=0.5), \
        found.get('backup')
    return found['backup']


def create_instance(service, name, datastore, *extra):
    args = ['database', 'instance', 'create', name, '--flavor', 'm1.tiny',
            '--size', '1', '--datastore', datastore] + list(extra)
    if datastore != 'redis' and '--backup' not in extra:
        args += ['--databases', DATABASE, '--users',
                 '%s:%s' % (USER, PASSWORD)]
    created = cli(service, *args)
    return created


def active(service, created):
    shown = embedded_shape.wait_for(service, created['id'], ['ACTIVE'])
    created['address'] = shown['ip'][0]
    return created


def take_backup(service, name, instance_id, *extra):
    created = cli(service, 'database', 'backup', 'create', name,
                  '--instance', instance_id, *extra)
    assert created['status'] == 'NEW'
    return wait_backup(service, created['id'])


# -- MySQL: full, incremental, restore of the chain -----------------------------

SQL_TABLE = ('CREATE TABLE orders (id INT PRIMARY KEY, item VARCHAR(64), '
             'qty INT)')


def mysql(created):
    return datastore_clients.Client('mysql', created['address'])


def insert_orders(created, first, last):
    values = ', '.join("(%d, 'item-%d', %d)" % (n, n, n * 7)
                       for n in range(first, last + 1))
    mysql(created).works(USER, PASSWORD, DATABASE,
                         'INSERT INTO orders VALUES %s' % values)


def mysql_checksum(created, user=USER, password=PASSWORD):
    return mysql(created).works(user, password, DATABASE,
                                'CHECKSUM TABLE orders; '
                                'SELECT COUNT(*), MAX(id) FROM orders')


@pytest.fixture(scope='module')
def mysql_source(service):
    created = active(service, create_instance(service, 'bk-mysql', 'mysql'))
    mysql(created).works(USER, PASSWORD, DATABASE, SQL_TABLE)
    insert_orders(created, 1, 500)
    return created


def test_mysql_full_then_incremental_restores_every_row(service,
                                                        mysql_source):
    source = mysql_source
    full = take_backup(service, 'mysql-full', source['id'],
                       '--description', 'before the sale')
    assert full['instance_id'] == source['id']
    assert full['datastore']['type'] == 'mysql'
    assert full['size'] > 0 and full['locationRef']
    assert full['parent_id'] is None
    # The instance is back to ACTIVE once the backup is done.
    assert embedded_shape.shown(service, source['id'])['status'] == 'ACTIVE'

    insert_orders(source, 501, 900)
    incremental = take_backup(service, 'mysql-inc', source['id'],
                              '--parent', full['id'])
    assert incremental['parent_id'] == full['id']
    expected = mysql_checksum(source)

    listed = cli(service, 'database', 'backup', 'list')
    assert {full['id'], incremental['id']} <= {row['ID'] for row in listed}
    of_instance = cli(service, 'database', 'backup', 'list', 'instance',
                      source['id'])
    assert {full['id'], incremental['id']} <= {
        row['ID'] for row in of_instance}

    restored = active(service, create_instance(
        service, 'mysql-restored', 'mysql', '--backup', incremental['id']))
    # Users come with the data: the tenant's own login works.
    assert mysql_checksum(restored) == expected
    assert 'orders' in mysql(restored).works(USER, PASSWORD, DATABASE,
                                             'SHOW TABLES')


def test_mysql_round_trip_through_swift(service, mysql_source):
    source = mysql_source
    stored = take_backup(service, 'mysql-swift', source['id'],
                         '--storage-driver', 'swift')
    assert stored['locationRef'].startswith(service.swift.storage_url)
    expected = mysql_checksum(source)
    restored = active(service, create_instance(
        service, 'mysql-from-swift', 'mysql', '--backup', stored['id']))
    assert mysql_checksum(restored) == expected
    # Deleting it removes the object from Swift.
    cli(service, 'database', 'backup', 'delete', stored['id'], parse=False)
    assert waiting.wait_for(lambda: api(
        service, 'GET', '/backups/' + stored['id']).status_code == 404,
        timeout=60)
    assert not service.swift.object_exists(stored['locationRef'])


# -- PostgreSQL and Redis: full round trips -------------------------------------

def test_postgresql_round_trip(service):
    source = active(service, create_instance(service, 'bk-pg',
                                             'postgresql'))
    client = datastore_clients.Client('postgresql', source['address'])
    client.works(USER, PASSWORD, DATABASE,
                 'CREATE TABLE notes (id INT PRIMARY KEY, body TEXT); '
                 "INSERT INTO notes SELECT g, 'note ' || g FROM "
                 'generate_series(1, 2000) g')
    digest = ("SELECT COUNT(*), md5(string_agg(body, ',' ORDER BY id)) "
              'FROM notes')
    expected = client.works(USER, PASSWORD, DATABASE, digest)
    full = take_backup(service, 'pg-full', source['id'])
    restored = active(service, create_instance(
        service, 'pg-restored', 'postgresql', '--backup', full['id']))
    restored_client = datastore_clients.Client('postgresql',
                                               restored['address'])
    assert restored_client.works(USER, PASSWORD, DATABASE,
                                 digest) == expected


def redis_cli(created, password, *command):
    result = subprocess.run(
        ['redis-cli', '-h', created['address'], '--no-auth-warning', '-a',
         password] + list(command), capture_output=True, text=True,
        timeout=30)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_redis_round_trip(service):
    created = create_instance(service, 'bk-redis', 'redis')
    password = created['password']
    source = active(service, created)
    for n in range(200):
        redis_cli(source, password, 'SET', 'key:%d' % n, 'value-%d' % n)
    full = take_backup(service, 'redis-full', source['id'])
    restored_created = create_instance(service, 'redis-restored', 'redis',
                                       '--backup', full['id'])
    restored = active(service, restored_created)
    restored_password = restored_created['password']
    assert redis_cli(restored, restored_password, 'DBSIZE') == '200'
    assert redis_cli(restored, restored_password, 'GET',
                     'key:123') == 'value-123'


# -- faults --------------------------------------------------------------------

def test_a_corrupt_backup_fails_the_restore_and_stays(service,
                                                      mysql_source):
    backup = take_backup(service, 'mysql-to-corrupt', mysql_source['id'])
    path = backup['locationRef']
    assert os.path.isfile(path), path
    with open(path, 'r+b') as handle:
        handle.seek(os.path.getsize(path) // 2)
        byte = handle.read(1)
        handle.seek(-1, os.SEEK_CUR)
        handle.write(bytes([byte[0] ^ 0xFF]))
    created = create_instance(service, 'from-corrupt', 'mysql', '--backup',
                              backup['id'])
    shown = waiting.wait_for_status(
        lambda: embedded_shape.shown(service, created['id']), ['ERROR'],
        timeout=180, describe=service.process.log)
    assert 'backup checksum mismatch' in shown['fault']['message']
    # The backup is kept, for inspection.
    assert backup_shown(service, backup['id'])['status'] == 'COMPLETED'
    assert os.path.isfile(path)


def test_swift_cut_off_fails_the_backup_with_the_reason(service,
                                                        mysql_source):
    with service.swift.cut_off():
        created = cli(service, 'database', 'backup', 'create', 'no-swift',
                      '--instance', mysql_source['id'], '--storage-driver',
                      'swift')
        failed = wait_backup(service, created['id'], ('FAILED',))
    assert 'swift' in failed['fault']['message'].lower()
    embedded_shape.wait_for(service, mysql_source['id'], ['ACTIVE'])


def test_refusals(service, mysql_source):
    # Straight through the API: the CLI's own start-up (seconds on a busy
    # machine) can outlast the build it is meant to catch.
    flavor = next(flavor['id'] for flavor in api(
        service, 'GET', '/flavors').json()['flavors']
        if flavor['name'] == 'm1.tiny')
    resp = api(service, 'POST', '/instances', json={'instance': {
        'name': 'bk-building', 'flavorRef': flavor, 'volume': {'size': 1},
        'datastore': {'type': 'mysql'}}})
    assert resp.status_code == 200, resp.text
    building = resp.json()['instance']
    resp = api(service, 'POST', '/backups', json={'backup': {
        'name': 'too-soon', 'instance': building['id']}})
    assert resp.status_code == 422, resp.text
    assert 'unprocessableEntity' in resp.json()
    resp = api(service, 'POST', '/backups', json={'backup': {
        'name': 'orphan', 'instance': mysql_source['id'],
        'parent_id': '00000000-0000-4000-8000-000000000000'}})
    assert resp.status_code == 404, resp.text
    embedded_shape.wait_for(service, building['id'], ['ACTIVE'])
    of_other = take_backup(service, 'of-building', building['id'])
    resp = api(service, 'POST', '/backups', json={'backup': {
        'name': 'crossed', 'instance': mysql_source['id'],
        'parent_id': of_other['id']}})
    assert resp.status_code == 400, resp.text
    assert 'badRequest' in resp.json()


def test_a_running_backup_can_be_deleted(service, mysql_source):
    """The owner deletes a backup the guest is still streaming: the
    guest stops, nothing of it stays in storage, the instance is ACTIVE.
    """
    created = cli(service, 'database', 'backup', 'create', 'interrupted',
                  '--instance', mysql_source['id'])
    cli(service, 'database', 'backup', 'delete', created['id'], parse=False)
    assert waiting.wait_for(lambda: api(
        service, 'GET', '/backups/' + created['id']).status_code == 404,
        timeout=90, interval=0.3)
    storage = service.state / 'state' / 'backups'
    # Neither the object nor a half-written temporary one.
    assert not [name for name in os.listdir(storage)
                if created['id'] in name]
    embedded_shape.wait_for(service, mysql_source['id'], ['ACTIVE'])


# -- schedules (last: a schedule keeps the instance busy) ----------------------

def test_a_schedule_keeps_exactly_the_newest_three(service, mysql_source):
    """A schedule every 2 s with keep=3: once it has made at least five
    backups, the ones left are exactly its newest three COMPLETED ones.
    """
    path = '/instances/%s/backup_schedules' % mysql_source['id']
    resp = api(service, 'POST', path, json={'backup_schedule': {
        'name': 'every2s', 'pattern': '@every 2s', 'keep': 3}})
    assert resp.status_code == 200, resp.text
    schedule = resp.json()['backup_schedule']
    made = {}

    def newest_three_kept():
        resp = api(service, 'GET', '/backups?instance_id=%s'
                   % mysql_source['id'])
        assert resp.status_code == 200, resp.text
        mine = [b for b in resp.json()['backups']
                if b['name'].startswith('every2s-')]
        for backup in mine:
            made[backup['id']] = backup['created']
        completed = [b for b in mine if b['status'] == 'COMPLETED']
        if len(made) < 5 or len(completed) != 3:
            return False
        kept = {b['id'] for b in completed}
        oldest_kept = min(b['created'] for b in completed)
        gone = set(made) - {b['id'] for b in mine}
        return bool(gone) and all(made[g] <= oldest_kept for g in gone) \
            and kept.isdisjoint(gone)
    try:
        assert waiting.wait_for(newest_three_kept, timeout=240,
                                interval=0.5), made
        listed = api(service, 'GET', path).json()['backup_schedules']
        assert [s['id'] for s in listed] == [schedule['id']]
        assert listed[0]['last_backup_id'] in made
    finally:
        assert api(service, 'DELETE', '%s/%s' % (
            path, schedule['id'])).status_code == 202
