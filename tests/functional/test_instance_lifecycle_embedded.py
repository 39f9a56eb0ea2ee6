"""A MySQL instance's whole life in the embedded shape, through the CLI.

``trove-lite-all`` with its defaults (SQLite, in-process RPC, the local
compute driver, guest agents as threads) and the real ``openstack`` CLI:
create an instance with a database and a user, wait for ACTIVE/HEALTHY,
connect with the real ``mysql`` client to the address the API returns,
restart it (through REBOOT back to ACTIVE), delete it, and check that no
process, directory or address of it is left.
"""

import json
import os
import pathlib
import subprocess
import tempfile
import time

import pytest
import requests

from tests.functional import conftest
from tests.functional import fixtures

PROJECT = '0d6f3c3ee52f4b7aa0d0f4a7c1a2b3c4'


@pytest.fixture(scope='module')
def embedded():
    # NOTE(local): a short directory the mysql user may enter: pytest's
    # temporary root is private, and a unix socket path has at most 107
    # characters.
    state = pathlib.Path(tempfile.mkdtemp(prefix='tl-', dir='/tmp'))
    os.chmod(state, 0o755)
    port = fixtures.free_port()
    config = fixtures.write_config(state / 'trove-lite.conf', {
        'DEFAULT': {'bind_host': '127.0.0.1', 'bind_port': port,
                    'state_path': state / 'state', 'report_interval': 2},
    })
    process = conftest.Process('trove-lite-all', ['--config-file', config],
                               state / 'all.log')
    base = 'http://127.0.0.1:%d' % port
    conftest.wait_for_http(base + '/', process)
    yield {'endpoint': '%s/v1.0/%s' % (base, PROJECT), 'state': state,
           'process': process}
    try:
        assert process.stop() == 0, process.log()
    finally:
        conftest.remove_state(state)


def cli(embedded, *args, parse=True):
    result = subprocess.run(
        [os.path.join(conftest.BIN_DIR, 'openstack'), '--os-auth-type',
         'none', '--os-endpoint', embedded['endpoint']] + list(args) +
        (['-f', 'json'] if parse else []),
        capture_output=True, text=True, timeout=120,
        stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if parse else result.stdout


def api_show(embedded, instance_id):
    return requests.get('%s/instances/%s' % (embedded['endpoint'],
                                             instance_id), timeout=10)


def wait_for(embedded, instance_id, statuses, seen=None, deadline=180):
    """Poll until the status is one of ``statuses``; fail on ERROR."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        shown = api_show(embedded, instance_id).json()['instance']
        if seen is not None:
            seen.append(shown['status'])
        if shown['status'] in statuses and (
                shown['status'] != 'ACTIVE' or
                shown['operating_status'] == 'HEALTHY'):
            return shown
        assert shown['status'] != 'ERROR', (shown, embedded['process'].log())
        time.sleep(0.5)
    raise AssertionError('%s never reached %s:\n%s' % (
        instance_id, statuses, embedded['process'].log()))


def mysql(address, *sql_args):
    return subprocess.run(
        ['mysql', '-h', address, '-u', 'app', '-psecret', 'app', '-N',
         '-e'] + list(sql_args), capture_output=True, text=True,
        timeout=60, stdin=subprocess.DEVNULL)


def processes_mentioning(text):
    found = subprocess.run(['pgrep', '-f', text], capture_output=True,
                           text=True)
    return found.stdout.split()


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
    end = time.monotonic() + 120
    while api_show(embedded, instance_id).status_code != 404:
        assert time.monotonic() < end, embedded['process'].log()
        time.sleep(0.5)
    assert not instance_dir.exists()
    assert processes_mentioning(str(instance_dir)) == []
    assert mysql(address, 'SELECT 1').returncode != 0
    assert cli(embedded, 'database', 'instance', 'list') == []
