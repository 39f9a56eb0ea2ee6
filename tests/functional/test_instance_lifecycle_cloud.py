"""The same life in the cloud-like shape: separate processes, real bus.

trove-lite-api, -taskmanager and -conductor run as processes of their own,
talk over the real RabbitMQ (an exchange of this run's own) and keep the
infrastructure database on the real MariaDB; the local compute driver
starts each guest agent as a ``trove-lite-guestagent`` process, which
reaches the conductor over RabbitMQ too, as a broker user of its own that
the create made and the delete removes.
"""

import configparser
import os
import pathlib
import subprocess
import tempfile

import pymysql
import pytest
import requests

from tests.functional import conftest
from tests.functional import fixtures
from tests import waiting

PROJECT = '5b1e3a4c9d8f4e2a8c7b6a5f4e3d2c1b'


@pytest.fixture(scope='module')
def cloud(infra_db_url):
    # NOTE(local): a short directory the mysql user may enter: pytest's
    # temporary root is private, and a unix socket path has at most 107
    # characters.
    state = pathlib.Path(tempfile.mkdtemp(prefix='tl-', dir='/tmp'))
    os.chmod(state, 0o755)
    port = fixtures.free_port()
    bus = fixtures.unique_bus()
    config = fixtures.write_config(state / 'trove-lite.conf', {
        'DEFAULT': dict(bus, auth_strategy='noauth', bind_host='127.0.0.1',
                        bind_port=port, state_path=state / 'state',
                        transport_url=fixtures.RABBIT_URL,
                        host='cloud-%s' % port, report_interval=2),
        'database': {'connection': infra_db_url},
        'local': {'agent_mode': 'process',
                  'address_range': fixtures.private_address_range()},
        # NOTE(wake): a fallback poll longer than any wait below: the
        # taskmanager learns that its guest is healthy only from the
        # conductor's fanout status_changed cast over RabbitMQ.
        'taskmanager': {'status_poll_interval': 600},
    })
    manage = ['--config-file', config]
    conftest.manage_setup(config)
    processes = [conftest.Process(name, manage, state / ('%s.log' % name))
                 for name in ('trove-lite-conductor',
                              'trove-lite-taskmanager', 'trove-lite-api')]
    base = 'http://127.0.0.1:%d' % port
    conftest.wait_for_http(base + '/', processes[-1])
    # NOTE(rabbit): a cast to a topic whose queue is not declared yet is
    # dropped; wait until the conductor and taskmanager listen.
    for process, topic in zip(processes, (bus['conductor_queue'],
                                          bus['taskmanager_queue'])):
        conftest.wait_for_log(process, 'RPC service %s listening' % topic)
    yield {'v1': '%s/v1.0/%s' % (base, PROJECT), 'state': state,
           'processes': processes}
    try:
        for process in processes:
            assert process.stop() == 0, process.log()
    finally:
        conftest.remove_state(state)


def logs(cloud):
    return '\n'.join('== %s\n%s' % (p.name, p.log()[-4000:])
                     for p in cloud['processes'])


def show(cloud, instance_id):
    return requests.get('%s/instances/%s' % (cloud['v1'], instance_id),
                        timeout=10)


def shown(cloud, instance_id):
    resp = show(cloud, instance_id)
    return None if resp.status_code == 404 else resp.json()['instance']


def wait_status(cloud, instance_id, wanted, deadline=180):
    seen = []
    instance = waiting.wait_for_status(
        lambda: shown(cloud, instance_id), wanted, timeout=deadline,
        seen=seen, describe=lambda: logs(cloud))
    return instance, seen


def guest_transport_url(cloud, instance_id):
    config = configparser.ConfigParser(interpolation=None)
    config.read(cloud['state'] / 'state' / 'instances' / instance_id /
                'guest_info.conf')
    return config['DEFAULT']['transport_url']


def broker_users():
    listed = subprocess.run(['rabbitmqctl', '--quiet', 'list_users'],
                            capture_output=True, text=True, check=True,
                            timeout=60)
    return {line.split('\t')[0] for line in listed.stdout.splitlines()}


def broker_queues():
    listed = subprocess.run(['rabbitmqctl', '--quiet', 'list_queues',
                             'name'], capture_output=True, text=True,
                            check=True, timeout=60)
    return listed.stdout.split()


def test_lifecycle_across_processes(cloud):
    resp = requests.post(cloud['v1'] + '/instances', timeout=30, json={
        'instance': {'name': 'db1', 'flavorRef': '1',
                     'volume': {'size': 1},
                     'datastore': {'type': 'mysql', 'version': '10.11'},
                     'databases': [{'name': 'app'}],
                     'users': [{'name': 'app', 'password': 'secret',
                                'databases': [{'name': 'app'}]}]}})
    assert resp.status_code == 200, resp.text
    instance_id = resp.json()['instance']['id']
    instance, _ = wait_status(cloud, instance_id, 'ACTIVE')
    [address] = instance['ip']
    conn = pymysql.connect(host=address, port=3306, user='app',
                           password='secret', database='app')
    with conn.cursor() as cursor:
        cursor.execute('SELECT 1')
        assert cursor.fetchone() == (1,)
    conn.close()
    # The guest reaches the bus with a broker user of its own
    # ([guest_broker] driver auto -> rabbitmq), not the service's.
    user = 'trove-guest-%s' % instance_id
    guest_url = guest_transport_url(cloud, instance_id)
    assert guest_url.startswith('rabbit://%s:' % user)
    assert 'guest:guest' not in guest_url
    assert user in broker_users()

    resp = requests.post('%s/instances/%s/action' % (cloud['v1'],
                                                     instance_id),
                         json={'restart': {}}, timeout=10)
    assert resp.status_code == 202
    _, seen = wait_status(cloud, instance_id, 'ACTIVE')
    assert 'REBOOT' in seen

    # The agent's own log, for an administrator, through the API: what
    # it did (and would say why it failed) without a shell on the host.
    resp = requests.post('%s/instances/%s/log' % (cloud['v1'], instance_id),
                         json={'name': 'guest', 'publish': 1}, timeout=60)
    assert resp.status_code == 200, resp.text
    log = resp.json()['log']
    # (The agent logs its own publish: more is pending at once.)
    assert log['type'] == 'SYS' and log['published'] > 0, log
    published = cloud['state'] / 'state' / 'backups' / log['container']
    text = ''.join(path.read_text() for path in sorted(
        (published / log['prefix']).glob('log-*')) if path.is_file()
        and not path.name.endswith('.json'))
    assert 'Instance %s is prepared' % instance_id in text, text[-2000:]

    instance_dir = cloud['state'] / 'state' / 'instances' / instance_id
    assert requests.delete('%s/instances/%s' % (cloud['v1'], instance_id),
                           timeout=10).status_code == 202
    wait_status(cloud, instance_id, waiting.GONE, deadline=120)
    assert not instance_dir.exists()
    assert user not in broker_users()
    # Its agent's topic queues went with it (they outlive the user).
    assert not [name for name in broker_queues() if instance_id in name]
