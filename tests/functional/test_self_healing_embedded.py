"""Self-healing servers, seen by the tenant, in the embedded shape.

``trove-lite-all`` with its defaults (SQLite, in-process RPC, the local
compute driver, guest agents as threads) runs two real ``mariadbd``
instances; the module's agents have a small crash limit
(``[guest_agent] server_crash_limit`` = 3) and short back-offs. Every
crash is caused for real:

* ``kill -9`` of a ``mariadbd``: nobody calls restart, and the instance
  is ACTIVE and HEALTHY again, its data there, on a new server process;
* a restart through the API in between is not taken for a crash (the
  next ``kill -9`` is the second crash of the window, not the third);
* a replica killed so comes back in its role: following its source,
  read-only to the tenant;
* a server whose configuration was broken behind the agent's back and is
  then killed dies at every start: the instance ends ERROR, its fault
  names the crashes and carries the server's own words (``unknown
  variable``), and a restart once the configuration is mended brings it
  back.

Everything is read through the REST API and the server's pid file; the
service's log shows what its agents did.
"""

import os
import signal
import uuid

import pytest
import requests

from tests.functional import datastore_clients
from tests.functional import embedded as embedded_shape
from tests import waiting

CRASH_LIMIT = 3
USER, PASSWORD, DATABASE = 'app', 'app-pw-1', 'app'
BROKEN = 'no_such_option_%s' % uuid.uuid4().hex[:6]


@pytest.fixture(scope='module')
def service():
    with embedded_shape.start({
            'guest_agent': {'server_crash_limit': CRASH_LIMIT,
                            'server_crash_window': 600,
                            'server_restart_backoff': 0.5,
                            'server_restart_backoff_max': 2,
                            'server_check_interval': 0.2}},
            report_interval=1) as running:
        yield running


def api(service, method, path, **kwargs):
    return requests.request(method, service.endpoint + path, timeout=30,
                            **kwargs)


@pytest.fixture(scope='module')
def instances(service):
    """``{'healing': shown, 'looping': shown}``: two ACTIVE instances with
    a database and a user, built at once.
    """
    flavor = next(flavor['id'] for flavor in api(
        service, 'GET', '/flavors').json()['flavors']
        if flavor['name'] == 'm1.tiny')
    created = {}
    for name in ('healing', 'looping'):
        resp = api(service, 'POST', '/instances', json={'instance': {
            'name': name, 'flavorRef': flavor, 'volume': {'size': 1},
            'datastore': {'type': 'mysql'},
            'databases': [{'name': DATABASE}],
            'users': [{'name': USER, 'password': PASSWORD,
                       'databases': [{'name': DATABASE}]}]}})
        assert resp.status_code == 200, resp.text
        created[name] = resp.json()['instance']['id']
    yield {name: embedded_shape.wait_for(service, instance_id, ['ACTIVE'])
           for name, instance_id in created.items()}
    for instance_id in created.values():
        api(service, 'DELETE', '/instances/%s' % instance_id)
    for instance_id in created.values():
        embedded_shape.wait_until_gone(service, instance_id)
        instance_dir = service.instance_dir(instance_id)
        assert not instance_dir.exists()
        assert embedded_shape.processes_mentioning(str(instance_dir)) == []


def client(shown):
    [address] = shown['ip']
    return datastore_clients.Client('mysql', address)


def server_pid(service, instance_id):
    """The pid of the instance's running ``mariadbd``, or None."""
    path = service.instance_dir(instance_id) / 'run' / 'mysqld.pid'
    try:
        pid = int(path.read_text().strip() or 0)
    except (OSError, ValueError):
        return None
    return pid if pid and os.path.exists('/proc/%d' % pid) else None


def kill_9(service, instance_id):
    pid = server_pid(service, instance_id)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    return pid


def crash_lines(service, instance_id):
    """What the service's log says of the instance's crashes."""
    return [line for line in service.process.log().splitlines()
            if 'of instance %s died on its own' % instance_id in line]


def back_up_on_a_new_server(service, instance_id, killed):
    """Wait until another ``mariadbd`` runs for the instance and the API
    shows it ACTIVE and HEALTHY again; returns the instance as shown.
    """
    assert waiting.wait_for(
        lambda: server_pid(service, instance_id) not in (None, killed),
        timeout=120), service.process.log()[-6000:]
    return embedded_shape.wait_for(service, instance_id, ['ACTIVE'])


def test_a_killed_server_comes_back_with_its_data(service, instances):
    shown = instances['healing']
    instance_id = shown['id']
    mysql = client(shown)
    mysql.works(USER, PASSWORD, DATABASE,
                'CREATE TABLE kept (x INT); INSERT INTO kept VALUES (42)')

    killed = kill_9(service, instance_id)
    # Nobody calls restart: the instance's own agent starts it again.
    back_up_on_a_new_server(service, instance_id, killed)
    assert mysql.works(USER, PASSWORD, DATABASE,
                       'SELECT x FROM kept') == '42'
    [crash] = crash_lines(service, instance_id)
    assert '(1 of %d crashes allowed' % CRASH_LIMIT in crash
    assert 'Started mariadbd of instance %s again after it died on its ' \
        'own' % instance_id in service.process.log()
    shown = embedded_shape.shown(service, instance_id)
    assert 'fault' not in shown


def test_a_restart_is_not_a_crash(service, instances):
    instance_id = instances['healing']['id']
    before = server_pid(service, instance_id)
    resp = api(service, 'POST', '/instances/%s/action' % instance_id,
               json={'restart': {}})
    assert resp.status_code == 202, resp.text
    seen = []
    embedded_shape.wait_for(service, instance_id, ['ACTIVE'], seen=seen)
    assert 'REBOOT' in seen
    assert server_pid(service, instance_id) not in (None, before)

    # Had the restart's stop counted, this kill would be the third crash
    # of the window, and the last.
    killed = kill_9(service, instance_id)
    back_up_on_a_new_server(service, instance_id, killed)
    crashes = crash_lines(service, instance_id)
    assert len(crashes) == 2, crashes
    assert '(2 of %d crashes allowed' % CRASH_LIMIT in crashes[-1]
    assert client(instances['healing']).works(
        USER, PASSWORD, DATABASE, 'SELECT x FROM kept') == '42'


def test_a_killed_replica_comes_back_following_its_source(
        service, instances):
    source = instances['healing']
    resp = api(service, 'POST', '/instances', json={'instance': {
        'name': 'healing-replica', 'replica_of': source['id']}})
    assert resp.status_code == 200, resp.text
    replica_id = resp.json()['instance']['id']
    try:
        replica = embedded_shape.wait_for(service, replica_id, ['ACTIVE'],
                                          deadline=240)
        assert following(service, replica_id)
        killed = kill_9(service, replica_id)
        back_up_on_a_new_server(service, replica_id, killed)
        # Started again in its role (its configuration says so): it
        # follows its source and refuses the tenant's writes.
        assert following(service, replica_id)
        client(source).works(USER, PASSWORD, DATABASE,
                             'INSERT INTO kept VALUES (43)')
        assert waiting.wait_for(lambda: client(replica).run(
            USER, PASSWORD, DATABASE,
            'SELECT COUNT(*) FROM kept').stdout.strip() == '2', timeout=60)
        refused = client(replica).refused(USER, PASSWORD, DATABASE,
                                          'INSERT INTO kept VALUES (44)')
        assert 'read-only' in refused, refused
    finally:
        api(service, 'DELETE', '/instances/%s' % replica_id)
        embedded_shape.wait_until_gone(service, replica_id)


def following(service, instance_id):
    """Whether the instance's heartbeats come to say that its replication
    stream runs (within a minute).
    """
    return waiting.wait_for(
        lambda: (embedded_shape.shown(service, instance_id).get(
            'replication') or {}).get('running') is True,
        timeout=60, interval=0.3)


def test_a_server_that_dies_at_every_start_ends_in_error_with_its_reason(
        service, instances):
    shown = instances['looping']
    instance_id = shown['id']
    my_cnf = service.instance_dir(instance_id) / 'my.cnf'
    good = my_cnf.read_text()
    # Broken behind the agent's back (the running server never notices).
    my_cnf.write_text(good + '\n[mysqld]\n%s = 1\n' % BROKEN)
    kill_9(service, instance_id)

    waiting.wait_for_status(
        lambda: embedded_shape.shown(service, instance_id), 'ERROR',
        timeout=120, describe=service.process.log)
    # NOTE(race): the fault and the FAILED heartbeat are separate casts
    # (the fault sent first); the conductor may store the status first.
    assert waiting.wait_for(
        lambda: 'fault' in embedded_shape.shown(service, instance_id))
    failed = embedded_shape.shown(service, instance_id)
    assert (failed['status'], failed['operating_status']) == (
        'ERROR', 'FAILED')
    fault = failed['fault']
    assert 'stopped on its own %d times' % CRASH_LIMIT in fault['message']
    assert 'restart the instance' in fault['message']
    # The server's own words, from its error log: its error for the
    # tenant, the log's tail for administrators (noauth is admin).
    assert "[ERROR] " in fault['message'], fault
    assert "mariadbd: unknown variable '%s=1'." % BROKEN in \
        fault['message'], fault
    assert "unknown variable '%s=1'" % BROKEN in fault['details'], fault
    assert len(crash_lines(service, instance_id)) == CRASH_LIMIT - 1
    assert server_pid(service, instance_id) is None

    # Mended, and restarted by its owner: back, with its data.
    my_cnf.write_text(good)
    resp = api(service, 'POST', '/instances/%s/action' % instance_id,
               json={'restart': {}})
    assert resp.status_code == 202, resp.text
    shown = embedded_shape.wait_for(service, instance_id, ['ACTIVE'])
    assert 'fault' not in shown
    assert client(shown).works(USER, PASSWORD, DATABASE) == '1'
