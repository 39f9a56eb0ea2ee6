"""Creates that outlive the process running them, on real MariaDB servers.

The operator's scenarios of the crash-safe control plane:

- embedded: three creates, ``kill -9`` of ``trove-lite-all`` 0.7 s later,
  then the same service started again on the same state: the local
  servers are adopted and the three create workflows are resumed by the
  restarted taskmanager from their last completed step;
- cloud-like: two taskmanagers on RabbitMQ with the infra database on
  MariaDB; one is killed ``-9`` mid-create and never started again: the
  other claims its workflows when their leases lapse and finishes them.

Both end with every instance ACTIVE (its database reachable with the
user the create asked for) and print how long that took after the
restart or the kill; nothing is left when the instances are deleted.
"""

import os
import pathlib
import tempfile
import time

import pymysql
import pytest
import requests

from tests.functional import conftest
from tests.functional import embedded as embedded_shape
from tests.functional import fixtures
from tests import waiting

CLOUD_PROJECT = '7c2f4e6a8b0d4c1e9f3a5b7d9e1f2a4c'
CRASH_AFTER = 0.7


def _create(v1, name):
    resp = requests.post(v1 + '/instances', timeout=30, json={
        'instance': {'name': name, 'flavorRef': '1', 'volume': {'size': 1},
                     'datastore': {'type': 'mysql'},
                     'databases': [{'name': 'app'}],
                     'users': [{'name': 'app', 'password': 'secret',
                                'databases': [{'name': 'app'}]}]}})
    assert resp.status_code == 200, resp.text
    return resp.json()['instance']['id']


def _shown(v1, instance_id):
    resp = requests.get('%s/instances/%s' % (v1, instance_id), timeout=10)
    return None if resp.status_code == 404 else resp.json()['instance']


def _works(address):
    conn = pymysql.connect(host=address, port=3306, user='app',
                           password='secret', database='app',
                           connect_timeout=10)
    with conn.cursor() as cursor:
        cursor.execute('SELECT 1')
        assert cursor.fetchone() == (1,)
    conn.close()


def _all_active(v1, ids, since, describe, what):
    for instance_id in ids:
        shown = waiting.wait_for_status(lambda: _shown(v1, instance_id),
                                        'ACTIVE', timeout=180,
                                        describe=describe)
        _works(shown['ip'][0])
    took = time.monotonic() - since
    print('\n%d creates ACTIVE %.1f s after %s' % (len(ids), took, what))
    return took


def _delete_all(v1, ids, describe):
    for instance_id in ids:
        assert requests.delete('%s/instances/%s' % (v1, instance_id),
                               timeout=10).status_code == 202
    for instance_id in ids:
        waiting.wait_for_status(lambda: _shown(v1, instance_id),
                                waiting.GONE, timeout=120,
                                describe=describe)
        assert embedded_shape.processes_mentioning(instance_id) == []


@pytest.fixture(scope='module')
def embedded():
    with embedded_shape.start() as service:
        yield service


def test_creates_resume_after_the_service_is_killed(embedded):
    v1 = embedded.endpoint
    ids = [_create(v1, 'crash-%d' % n) for n in range(3)]
    time.sleep(CRASH_AFTER)
    embedded.crash_and_start()
    restarted = time.monotonic()
    _all_active(v1, ids, restarted, embedded.process.log,
                'trove-lite-all was killed -9 and started again')
    assert 'resuming after' in embedded.process.log()
    _delete_all(v1, ids, embedded.process.log)


@pytest.fixture(scope='module')
def two_taskmanagers(infra_db_url):
    """The cloud-like shape (as ``test_instance_lifecycle_cloud``) with
    two taskmanagers, ``tm-a`` and ``tm-b``.
    """
    state = pathlib.Path(tempfile.mkdtemp(prefix='tl-', dir='/tmp'))
    os.chmod(state, 0o755)
    port = fixtures.free_port()
    bus = fixtures.unique_bus()
    config = fixtures.write_config(state / 'trove-lite.conf', {
        'DEFAULT': dict(bus, auth_strategy='noauth', bind_host='127.0.0.1',
                        bind_port=port, state_path=state / 'state',
                        transport_url=fixtures.RABBIT_URL,
                        host='cloud-%d' % port, report_interval=2),
        'database': {'connection': infra_db_url},
        'local': {'agent_mode': 'process',
                  'address_range': fixtures.private_address_range()},
    })
    conftest.manage_setup(config)
    processes = {}
    for name in ('conductor', 'api'):
        processes[name] = conftest.Process(
            'trove-lite-' + name, ['--config-file', config],
            state / ('%s.log' % name))
    for host in ('tm-a', 'tm-b'):
        own = fixtures.write_config(state / ('%s.conf' % host), {
            'DEFAULT': {'host': '%s-%d' % (host, port)}})
        processes[host] = conftest.Process(
            'trove-lite-taskmanager',
            ['--config-file', config, '--config-file', own],
            state / ('%s.log' % host))
    base = 'http://127.0.0.1:%d' % port
    conftest.wait_for_http(base + '/', processes['api'])
    for name in ('conductor', 'tm-a', 'tm-b'):
        topic = bus['conductor_queue' if name == 'conductor'
                    else 'taskmanager_queue']
        conftest.wait_for_log(processes[name],
                              'RPC service %s listening' % topic)

    def logs():
        return '\n'.join('== %s\n%s' % (name, process.log()[-3000:])
                         for name, process in processes.items())

    try:
        yield {'v1': '%s/v1.0/%s' % (base, CLOUD_PROJECT),
               'processes': processes, 'logs': logs}
        for name, process in processes.items():
            if name != 'tm-a':
                assert process.stop() == 0, process.log()
    finally:
        for process in processes.values():
            process.stop()
        conftest.remove_state(state)


def test_the_other_taskmanager_finishes_what_a_dead_one_began(
        two_taskmanagers):
    cloud = two_taskmanagers
    ids = [_create(cloud['v1'], 'tm-crash-%d' % n) for n in range(3)]
    time.sleep(CRASH_AFTER)
    dead = cloud['processes']['tm-a']
    dead.popen.kill()
    dead.popen.wait()
    killed = time.monotonic()
    _all_active(cloud['v1'], ids, killed, cloud['logs'],
                'one of two taskmanagers was killed -9 (never restarted)')
    # What tm-a had begun, tm-b claimed once tm-a's leases lapsed.
    assert 'resuming after' in cloud['processes']['tm-b'].log()
    _delete_all(cloud['v1'], ids, cloud['logs'])
