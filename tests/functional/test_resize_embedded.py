"""Resize with the real CLI on a real MariaDB instance.

``trove-lite-all`` (embedded: SQLite, in-process agents, the local
driver) makes the instance's volume a filesystem of its size (an ext4
image on a loop device, mounted on its ``data/``: we run as root). One
instance with a database and rows is resized as a tenant does it, with
``openstack database instance resize volume|flavor``, and checked where
it shows: ``df`` of the data directory grows with the volume, the
server's ``innodb_buffer_pool_size`` follows the flavor's memory, the
rows stay; a refused resize gets upstream's error and changes nothing;
the delete leaves nothing mounted.
"""

import os
import subprocess

import pymysql
import pytest

from tests.functional import embedded as embedded_shape
from tests.functional.embedded import cli
from tests.functional.embedded import run_cli
from trove_lite.guestagent.datastores.mysql import config as mysql_config

USER, PASSWORD, DATABASE = 'shop', 'shop-pw-1', 'shop'
GB = 1024 ** 3
MB = 1024 ** 2
ROWS = 500


@pytest.fixture(scope='module')
def service():
    with embedded_shape.start(report_interval=1) as running:
        yield running


def connect(shown):
    return pymysql.connect(host=shown['ip'][0], port=3306, user=USER,
                           password=PASSWORD, database=DATABASE,
                           connect_timeout=10, autocommit=True)


def rows(shown):
    with connect(shown) as conn, conn.cursor() as cursor:
        cursor.execute('SELECT COUNT(*), SUM(n) FROM items')
        return cursor.fetchone()


def buffer_pool(shown):
    with connect(shown) as conn, conn.cursor() as cursor:
        cursor.execute('SELECT @@GLOBAL.innodb_buffer_pool_size')
        return int(cursor.fetchone()[0])


def data_dir(service, shown):
    return str(service.instance_dir(shown['id']) / 'data')


def df_total(path):
    """What ``df`` says the filesystem of ``path`` holds, in bytes."""
    output = subprocess.run(['df', '-B1', '--output=size', path],
                            capture_output=True, text=True, check=True)
    return int(output.stdout.split()[-1])


def refused(service, expect, *args):
    result = run_cli(service, *args)
    assert result.returncode == 1, result
    assert expect in result.stderr, result.stderr


@pytest.fixture(scope='module')
def instance(service):
    created = cli(service, 'database', 'instance', 'create', 'resized',
                  '--flavor', 'm1.tiny', '--size', '1', '--datastore',
                  'mysql', '--databases', DATABASE, '--users',
                  '%s:%s' % (USER, PASSWORD))
    shown = embedded_shape.wait_for(service, created['id'], ['ACTIVE'],
                                    deadline=240)
    with connect(shown) as conn, conn.cursor() as cursor:
        cursor.execute('CREATE TABLE items (id INT PRIMARY KEY, n INT, '
                       'pad VARCHAR(200))')
        cursor.executemany('INSERT INTO items VALUES (%s, %s, %s)',
                           [(i, i * 3, 'x' * 200) for i in range(ROWS)])
    state = {'shown': shown, 'rows': rows(shown),
             'data': data_dir(service, shown),
             'image': os.path.join(service.state, 'state', 'volumes',
                                   '%s.img' % shown['id'])}
    yield state
    cli(service, 'database', 'instance', 'delete', shown['id'], parse=False)
    embedded_shape.wait_until_gone(service, shown['id'])
    # Nothing of its volume is left: not mounted, no loop device, no image.
    assert not os.path.exists(state['data'])
    assert not os.path.exists(state['image'])
    attached = subprocess.run(['losetup', '-j', state['image']],
                              capture_output=True, text=True)
    assert attached.stdout.strip() == ''
    with open('/proc/self/mountinfo') as handle:
        assert state['data'] not in handle.read()


def test_the_volume_is_a_filesystem_of_its_size(instance):
    assert os.path.ismount(instance['data'])
    assert os.path.exists(instance['image'])
    total = df_total(instance['data'])
    # ext4 keeps a little of the device for itself.
    assert 0.9 * GB < total <= GB
    assert instance['rows'] == (ROWS, 3 * sum(range(ROWS)))


def test_a_volume_that_does_not_grow_is_refused(service, instance):
    shown = instance['shown']
    refused(service, "The new volume 'size' must be larger than the "
            "current volume size of '1'. (HTTP 400)",
            'database', 'instance', 'resize', 'volume', shown['id'], '1')
    assert embedded_shape.shown(service, shown['id'])['status'] == 'ACTIVE'
    assert df_total(instance['data']) <= GB


def test_resize_volume_grows_the_filesystem_and_keeps_the_rows(
        service, instance):
    shown = instance['shown']
    cli(service, 'database', 'instance', 'resize', 'volume', shown['id'],
        '2', parse=False)
    after = embedded_shape.wait_for(service, shown['id'], ['ACTIVE'],
                                    deadline=240)
    assert after['volume']['size'] == 2
    assert 1.9 * GB < df_total(instance['data']) <= 2 * GB
    assert rows(after) == instance['rows']
    shown_by_cli = cli(service, 'database', 'instance', 'show',
                       shown['id'])
    assert shown_by_cli['volume'] == 2


def test_resize_flavor_retunes_the_server_and_keeps_the_rows(
        service, instance):
    shown = instance['shown']
    before = buffer_pool(shown)
    assert before == mysql_config.buffer_pool_mb(512) * MB
    refused(service, "The new flavor id must be different than the "
            "current flavor id of '1'. (HTTP 400)",
            'database', 'instance', 'resize', 'flavor', shown['id'],
            'm1.tiny')
    cli(service, 'database', 'instance', 'resize', 'flavor', shown['id'],
        'm1.small', parse=False)
    after = embedded_shape.wait_for(service, shown['id'], ['ACTIVE'],
                                    deadline=240)
    assert after['flavor']['id'] == '2'
    assert buffer_pool(after) == mysql_config.buffer_pool_mb(2048) * MB
    assert buffer_pool(after) > before
    assert rows(after) == instance['rows']
    # The volume is what it was.
    assert after['volume']['size'] == 2
    assert 'fault' not in after
