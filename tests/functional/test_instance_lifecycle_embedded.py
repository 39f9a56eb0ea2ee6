"""A MySQL instance's whole life in the embedded shape, through the CLI.

``trove-lite-all`` with its defaults (SQLite, in-process RPC, the local
compute driver, guest agents as threads) and the real ``openstack`` CLI:
create an instance with a database and a user, wait for ACTIVE/HEALTHY,
connect with the real ``mysql`` client to the address the API returns,
restart it (through REBOOT back to ACTIVE), delete it, and check that no
process, directory or address of it is left.
"""

import subprocess
import time

import pytest
import requests

from tests.functional import embedded as embedded_shape
from tests.functional.embedded import api_show
from tests.functional.embedded import cli
from tests.functional.embedded import processes_mentioning
from tests.functional.embedded import wait_for


@pytest.fixture(scope='module')
def embedded():
    with embedded_shape.start() as service:
        yield service


def mysql(address, *sql_args):
    return subprocess.run(
        ['mysql', '-h', address, '-u', 'app', '-psecret', 'app', '-N',
         '-e'] + list(sql_args), capture_output=True, text=True,
        timeout=60, stdin=subprocess.DEVNULL)


def test_create_connect_restart_delete(embedded):
    created = cli(embedded, 'database', 'instance', 'create', 'db1',
                  '--flavor', 'm1.tiny', '--size', '1', '--datastore',
                  'mysql', '--databases', 'app', '--users', 'app:secret')
    instance_id = created['id']
    assert created['status'] == 'BUILD'

    shown = wait_for(embedded, instance_id, ['ACTIVE'])
    [address] = shown['ip']
    assert address.startswith('127.') and address != '127.0.0.1'
    assert shown['volume']['size'] == 1

    listed = cli(embedded, 'database', 'instance', 'list')
    assert [(i['Name'], i['Status'], i['Operating Status'])
            for i in listed] == [('db1', 'ACTIVE', 'HEALTHY')]

    result = mysql(address, 'CREATE TABLE t (x INT); INSERT INTO t '
                   'VALUES (42); SELECT x FROM t;')
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '42'

    uptime = int(mysql(address, "SHOW GLOBAL STATUS LIKE 'Uptime'")
                 .stdout.split()[1])
    time.sleep(1.1)  # so that a restarted server's uptime is smaller
    cli(embedded, 'database', 'instance', 'restart', instance_id,
        parse=False)
    # The API sets REBOOT before it answers; the restart itself takes the
    # guest a moment, so the status right after the call shows it.
    assert api_show(embedded, instance_id).json()['instance'][
        'status'] in ('REBOOT', 'ACTIVE')
    wait_for(embedded, instance_id, ['ACTIVE'])
    result = mysql(address, "SHOW GLOBAL STATUS LIKE 'Uptime'")
    assert int(result.stdout.split()[1]) < uptime + 1, result.stdout
    result = mysql(address, 'SELECT x FROM t;')
    assert result.stdout.strip() == '42', result.stderr

    resp = requests.post('%s/instances/%s/action' % (
        embedded['endpoint'], instance_id), json={'restart': {}},
        timeout=10)
    assert resp.status_code == 202
    assert api_show(embedded, instance_id).json()['instance'][
        'status'] == 'REBOOT'
    wait_for(embedded, instance_id, ['ACTIVE'])

    instance_dir = embedded['state'] / 'state' / 'instances' / instance_id
    assert instance_dir.is_dir()
    assert processes_mentioning(str(instance_dir))

    cli(embedded, 'database', 'instance', 'delete', instance_id,
        parse=False)
    embedded_shape.wait_until_gone(embedded, instance_id)
    assert not instance_dir.exists()
    assert processes_mentioning(str(instance_dir)) == []
    assert mysql(address, 'SELECT 1').returncode != 0
    assert cli(embedded, 'database', 'instance', 'list') == []
