"""How instance create fails, seen by the tenant, in the cloud-like shape.

Separate trove-lite-api, -taskmanager and -conductor processes on the real
RabbitMQ (an exchange per control plane), the infrastructure database on
the real MariaDB (one for the module: the operator's trove-lite-manage
steps are slow), guest agents as ``trove-lite-guestagent`` processes and
real ``mariadbd`` servers. Each failure is caused for real, never mocked:

* an agent that exits at once (``[local] agent_command`` names a bus
  config file that does not exist);
* a datastore that refuses to start (its address and port are taken);
* a taskmanager killed (SIGKILL) in the middle of a create, and not
  started again (the build deadline ends it) or started again (it
  resumes the create);
* forged heartbeats sent over RabbitMQ;
* progress reports: genuine, replayed and forged;
* bad create requests.

Every outcome is read through the REST API: the status, the fault (its
``details`` too: noauth requests are admin), and that nothing is left
behind (no process, no instance directory).
"""

import contextlib
import os
import pathlib
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import pymysql
import pytest
import requests
from sqlalchemy.engine import url as sa_url

from tests.functional import conftest
from tests.functional import fixtures
from tests.unit import rpc_fixtures
from tests import waiting
from trove_lite.cmd import common
from trove_lite.common import context as trove_context
from trove_lite.common import key_storage
from trove_lite.common import rpc
from trove_lite.common import sealing
from trove_lite.common import states
from trove_lite.conductor import rpcapi as conductor_rpcapi

# Deadlines of the control planes that must fail before them: generous,
# so that an ERROR seen before them proves the flow noticed the failure.
LONG_BUILD_TIMEOUT = 300
SHORT_BUILD_TIMEOUT = 8
EXPIRY_MESSAGE = 'The instance did not become ready within %d seconds.'
# [DEFAULT] inst_rpc_key_encr_key of the control planes.
KEY_SECRET = 'functional-test-key-secret'


class ControlPlane:
    """An api, a taskmanager and a conductor of their own (exchange, host,
    state directory, address range) on the module's infra database.
    """

    SERVICES = ('trove-lite-conductor', 'trove-lite-taskmanager',
                'trove-lite-api')

    def __init__(self, infra_url, name, default=None, local=None):
        # NOTE(local): a short directory the mysql user may enter: a unix
        # socket path has at most 107 characters.
        self.root = pathlib.Path(tempfile.mkdtemp(prefix='tl-', dir='/tmp'))
        os.chmod(self.root, 0o755)
        self.port = fixtures.free_port()
        self.address_range = fixtures.private_address_range(28)
        options = {'auth_strategy': 'noauth', 'bind_host': '127.0.0.1',
                   'bind_port': self.port,
                   'state_path': self.root / 'state',
                   'transport_url': fixtures.RABBIT_URL,
                   'host': '%s-%s' % (name, uuid.uuid4().hex[:8]),
                   'report_interval': 1, 'reconcile_interval': 1,
                   'build_timeout': LONG_BUILD_TIMEOUT,
                   # As on a real cloud: one secret for every service.
                   'inst_rpc_key_encr_key': KEY_SECRET}
        options.update(fixtures.unique_bus('trove_lite_fail'))
        options.update(default or {})
        self.options = options
        local_options = {'agent_mode': 'process',
                         'address_range': self.address_range,
                         'process_stop_timeout': 5}
        local_options.update(local or {})
        self.config = fixtures.write_config(self.root / 'trove-lite.conf', {
            'DEFAULT': options,
            'database': {'connection': infra_url},
            'local': local_options,
        })
        self.instances_path = self.root / 'state' / 'instances'
        self.base = 'http://127.0.0.1:%d' % self.port
        self.processes = {}
        self.dead = []

    def start(self, name):
        number = sum(1 for p in self.dead if p.name == name)
        process = conftest.Process(
            name, ['--config-file', self.config],
            self.root / ('%s-%d.log' % (name, number)))
        self.processes[name] = process
        return process

    def wait_ready(self, names=SERVICES):
        if 'trove-lite-api' in names:
            conftest.wait_for_http(self.base + '/',
                                   self.processes['trove-lite-api'])
        # NOTE(rabbit): a cast to a topic whose queue is not declared yet
        # is dropped; wait until the conductor and taskmanager listen.
        for name, topic in (
                ('trove-lite-conductor', self.options['conductor_queue']),
                ('trove-lite-taskmanager', self.options['taskmanager_queue'])):
            if name in names:
                conftest.wait_for_log(self.processes[name],
                                      'RPC service %s listening' % topic)

    def kill(self, name):
        process = self.processes.pop(name)
        process.popen.send_signal(signal.SIGKILL)
        process.popen.wait()
        process.stop()
        self.dead.append(process)

    def log(self, name):
        return self.processes[name].log()

    def logs(self):
        return '\n'.join('== %s\n%s' % (p.name, p.log()[-6000:])
                         for p in list(self.processes.values()) + self.dead)

    def stop(self):
        codes = {name: process.stop()
                 for name, process in self.processes.items()}
        conftest.remove_state(self.root)
        return codes

    def api(self, project):
        return Tenant(self, '%s/v1.0/%s' % (self.base, project))


class Tenant:
    """The REST API as one project sees it."""

    def __init__(self, plane, endpoint):
        self.plane = plane
        self.endpoint = endpoint

    def create(self, name='db1', **fields):
        body = {'name': name, 'flavorRef': '1', 'volume': {'size': 1},
                'datastore': {'type': 'mysql', 'version': '10.11'}}
        body.update(fields)
        return requests.post(self.endpoint + '/instances',
                             json={'instance': body}, timeout=30)

    def created(self, name='db1', **fields):
        resp = self.create(name, **fields)
        assert resp.status_code == 200, resp.text
        return resp.json()['instance']['id']

    def show(self, instance_id):
        return requests.get('%s/instances/%s' % (self.endpoint, instance_id),
                            timeout=10)

    def list(self):
        resp = requests.get(self.endpoint + '/instances', timeout=10)
        assert resp.status_code == 200, resp.text
        return resp.json()['instances']

    def delete(self, instance_id):
        return requests.delete('%s/instances/%s' % (self.endpoint,
                                                    instance_id), timeout=10)

    def shown(self, instance_id):
        resp = self.show(instance_id)
        return None if resp.status_code == 404 else resp.json()['instance']

    def wait(self, instance_id, wanted, deadline=180):
        """Poll until the status is ``wanted`` (ACTIVE: and HEALTHY)."""
        return waiting.wait_for_status(
            lambda: self.shown(instance_id), wanted, timeout=deadline,
            describe=self.plane.logs)

    def wait_gone(self, instance_id, deadline=60):
        self.wait(instance_id, waiting.GONE, deadline=deadline)


def processes_naming(path):
    found = subprocess.run(['pgrep', '-f', str(path)], capture_output=True,
                           text=True)
    return found.stdout.split()


def assert_nothing_left(plane, instance_id):
    instance_dir = plane.instances_path / instance_id
    assert not instance_dir.exists(), sorted(os.listdir(instance_dir))
    assert processes_naming(instance_dir) == [], plane.logs()


@pytest.fixture(scope='module')
def infra_url():
    """The module's infrastructure database, set up once as an operator
    would (schema, the mysql datastore, flavor 1).
    """
    with fixtures.mariadb_database('trove_lite_fail') as url:
        root = pathlib.Path(tempfile.mkdtemp(prefix='tl-', dir='/tmp'))
        try:
            config = fixtures.write_config(root / 'manage.conf', {
                'DEFAULT': {}, 'database': {'connection': url}})
            conftest.manage_setup(config)
        finally:
            conftest.remove_state(root)
        yield url


@contextlib.contextmanager
def running(plane):
    try:
        for name in ControlPlane.SERVICES:
            plane.start(name)
        plane.wait_ready()
        yield plane
    except BaseException:
        plane.stop()
        raise
    codes = plane.stop()
    assert set(codes.values()) == {0}, (codes, plane.logs())


@pytest.fixture(scope='module')
def cloud(infra_url):
    """A healthy control plane with a low volume quota."""
    with running(ControlPlane(infra_url, 'fail', default={
            'max_volumes_per_tenant': 5})) as plane:
        yield plane


def infra_row(infra_url, sql, *args):
    url = sa_url.make_url(infra_url)
    conn = pymysql.connect(host=url.host, port=url.port or 3306,
                           user=url.username, password=url.password or '',
                           database=url.database, autocommit=True)
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql, args)
            return cursor.fetchone()
    finally:
        conn.close()


# -- 1. the guest agent never starts -----------------------------------------

def test_an_agent_that_cannot_start_fails_the_build_at_once(infra_url):
    missing = '/tmp/tl-no-such-dir-%s/bus.conf' % uuid.uuid4().hex[:8]
    agent = '%s --config-file %s' % (
        conftest.console_script('trove-lite-guestagent'), missing)
    with running(ControlPlane(infra_url, 'noagent',
                              local={'agent_command': agent})) as plane:
        tenant = plane.api(uuid.uuid4().hex)
        started = time.monotonic()
        instance_id = tenant.created()
        instance = tenant.wait(instance_id, 'ERROR',
                               deadline=90)
        # Before the deadline: the flow saw the agent die; it did not
        # wait for the reconciler.
        assert time.monotonic() - started < LONG_BUILD_TIMEOUT
        fault = instance['fault']
        assert fault['message'] == (
            'The guest agent of the instance could not be started; delete '
            'the instance and create it again.'), plane.logs()
        assert 'is not running' in fault['details']
        # The agent's own words, from its log.
        assert 'Failed to find some config files: %s' % missing in \
            fault['details']
        assert not instance.get('ip')  # its address was released
        assert_nothing_left(plane, instance_id)

        assert tenant.delete(instance_id).status_code == 202
        tenant.wait_gone(instance_id)
        assert tenant.list() == []


# -- 2. the datastore refuses to start ---------------------------------------

def take_port_once_allocated(plane, instance_id, port=3306):
    """Listen on ``port`` of the instance's address as soon as it has one.

    The local driver skips addresses whose port something holds, so the
    port is taken in the moment between allocation and the datastore's
    start (``mariadb-install-db`` runs first): what a process of another
    deployment starting at the same time would do.
    """
    log = plane.processes['trove-lite-taskmanager']
    marker = 'Local server of instance %s at ' % instance_id
    conftest.wait_for_log(log, marker)
    address = log.log().split(marker, 1)[1].split()[0]
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((address, port))
    sock.listen(1)
    return sock


def test_a_datastore_that_cannot_start_ends_in_error_with_its_reason(cloud):
    tenant = cloud.api(uuid.uuid4().hex)
    instance_id = tenant.created()
    with take_port_once_allocated(cloud, instance_id):
        instance = tenant.wait(instance_id, 'ERROR', deadline=90)
    fault = instance['fault']
    assert 'could not be set up' in fault['message'], fault
    assert 'mariadbd exited' in fault['message'], fault
    # The reason, from mariadbd's error log.
    assert 'Address already in use' in fault['details'], fault
    assert EXPIRY_MESSAGE % LONG_BUILD_TIMEOUT != fault['message']
    assert_nothing_left(cloud, instance_id)
    assert subprocess.run(['pgrep', '-f', 'mariadbd.*%s' % instance_id],
                          capture_output=True).returncode == 1

    assert tenant.delete(instance_id).status_code == 202
    tenant.wait_gone(instance_id)
    assert tenant.list() == []


# -- 3. the taskmanager dies mid-create --------------------------------------

def _kill_the_taskmanager_mid_create(plane):
    """Create an instance and SIGKILL the taskmanager once the server is
    made and its agent runs; returns (tenant, instance id).
    """
    tenant = plane.api(uuid.uuid4().hex)
    instance_id = tenant.created()
    conftest.wait_for_log(plane.processes['trove-lite-taskmanager'],
                          'Started the guest agent of instance %s'
                          % instance_id)
    plane.kill('trove-lite-taskmanager')
    return tenant, instance_id


def test_a_create_whose_taskmanager_died_expires_and_deletes(infra_url):
    with running(ControlPlane(infra_url, 'killed', default={
            'build_timeout': SHORT_BUILD_TIMEOUT})) as plane:
        tenant, instance_id = _kill_the_taskmanager_mid_create(plane)
        instance_dir = plane.instances_path / instance_id
        assert processes_naming(instance_dir)

        instance = tenant.wait(instance_id, 'ERROR',
                               deadline=SHORT_BUILD_TIMEOUT + 30)
        assert instance['fault']['message'] == \
            EXPIRY_MESSAGE % SHORT_BUILD_TIMEOUT, plane.logs()
        assert 'passed its deadline' in instance['fault']['details']

        # A new taskmanager adopts what is left, and delete removes it.
        plane.start('trove-lite-taskmanager')
        plane.wait_ready(['trove-lite-taskmanager'])
        assert tenant.delete(instance_id).status_code == 202
        tenant.wait_gone(instance_id)
        assert tenant.list() == []
        assert_nothing_left(plane, instance_id)


def test_a_restarted_taskmanager_resumes_the_create_it_was_running(
        infra_url):
    # The create's workflow record names this taskmanager's previous life;
    # started again, it takes the record back at once and goes on from the
    # last step (the server was saved: it waits for the guest).
    with running(ControlPlane(infra_url, 'restarted', default={
            'build_timeout': LONG_BUILD_TIMEOUT})) as plane:
        tenant, instance_id = _kill_the_taskmanager_mid_create(plane)
        plane.start('trove-lite-taskmanager')
        plane.wait_ready(['trove-lite-taskmanager'])

        # ACTIVE long before its deadline, with no fault.
        instance = tenant.wait(instance_id, 'ACTIVE', deadline=60)
        assert 'fault' not in instance or not instance['fault'], instance
        assert 'resuming after' in plane.logs()
        assert tenant.delete(instance_id).status_code == 202
        tenant.wait_gone(instance_id)
        assert_nothing_left(plane, instance_id)


# -- 4. forged heartbeats ----------------------------------------------------

@pytest.fixture
def bus(cloud):
    """This process on the control plane's bus, as a guest would be."""
    rpc_fixtures.register_messaging_opts()
    overrides = rpc_fixtures.Overrides()
    overrides.set('transport_url', fixtures.RABBIT_URL)
    for option in ('control_exchange', 'conductor_queue'):
        overrides.set(option, cloud.options[option])
    rpc.init()
    yield
    rpc.cleanup()
    overrides.clear()


def _decrypt_with(secret, stored):
    """What a thief who also stole the control plane's secret reads."""
    common.CONF.set_override('inst_rpc_key_encr_key', secret)
    try:
        return key_storage.decrypt(stored)
    finally:
        common.CONF.clear_override('inst_rpc_key_encr_key')


def _stored_heartbeat(infra_url, instance_id):
    return infra_row(
        infra_url, 'SELECT h.sent, h.guest_agent_version, s.status_id '
        'FROM agent_heartbeats h JOIN service_statuses s '
        'ON s.instance_id = h.instance_id WHERE h.instance_id = %s',
        instance_id)


def test_forged_heartbeats_are_refused(cloud, infra_url, bus):
    tenant = cloud.api(uuid.uuid4().hex)
    victim = tenant.created('victim')
    other = tenant.created('other')
    for instance_id in (victim, other):
        tenant.wait(instance_id, 'ACTIVE')
    [stored_key] = infra_row(infra_url, 'SELECT encrypted_key FROM '
                             'instances WHERE id = %s', other)
    assert stored_key.startswith(key_storage.PREFIX), 'encrypted at rest'
    other_key = _decrypt_with(KEY_SECRET, stored_key)
    before = _stored_heartbeat(infra_url, victim)
    assert before[2] == states.SVC_HEALTHY.code

    # Sent "in an hour", so that, were it stored, the victim's genuine
    # heartbeats would all be dropped as older.
    payload = {'service_status': states.SVC_SHUTDOWN.description,
               'agent_version': 'forged'}
    sent = time.time() + 3600
    ctxt = trove_context.get_admin_context()
    forgers = {
        # The other guest, honest about who it is, reports on the victim.
        'by_other': sealing.GuestSerializer(other, other_key),
        # The other guest's key, claiming to be the victim.
        'posing': sealing.GuestSerializer(victim, other_key),
        # No seal at all.
        'unsealed': None,
    }
    for serializer in forgers.values():
        conductor_rpcapi.ConductorAPI(serializer=serializer).heartbeat(
            ctxt, victim, payload, sent)
        conductor_rpcapi.ConductorAPI(serializer=serializer).report_fault(
            ctxt, victim, 'forged fault', 'forged', time.time())

    conductor = cloud.processes['trove-lite-conductor']
    for refusal in ('Refused a heartbeat about instance %s sealed by %s'
                    % (victim, other),
                    'Refused a heartbeat about instance %s sealed by None'
                    % victim,
                    'Refused a fault report about instance %s sealed by %s'
                    % (victim, other)):
        conftest.wait_for_log(conductor, refusal, deadline=30)
    conftest.wait_for_log(conductor, 'A message was not sealed with the key '
                          'of the instance it claims to come from',
                          deadline=30)

    # The victim's genuine heartbeats still count: newer ones arrive and
    # are stored, and it stays ACTIVE and HEALTHY.
    end = time.monotonic() + 30
    while True:
        stored = _stored_heartbeat(infra_url, victim)
        if stored[0] > before[0]:
            break
        assert time.monotonic() < end, (before, stored, cloud.logs())
        time.sleep(0.3)
    assert stored[0] < time.time() + 60
    assert stored[1] != 'forged'
    assert stored[2] == states.SVC_HEALTHY.code
    shown = tenant.show(victim).json()['instance']
    assert (shown['status'], shown['operating_status']) == (
        'ACTIVE', 'HEALTHY')
    assert 'fault' not in shown

    for instance_id in (victim, other):
        assert tenant.delete(instance_id).status_code == 202
    for instance_id in (victim, other):
        tenant.wait_gone(instance_id)
        assert_nothing_left(cloud, instance_id)


# -- 4b. progress reports, and replays ----------------------------------------

class _Recording(sealing.GuestSerializer):
    """Seals like the guest, and keeps the sealed message for a replay."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.captured = {'ctxt': None, 'args': []}

    def serialize_context(self, ctxt):
        self.captured['ctxt'] = super().serialize_context(ctxt)
        return self.captured['ctxt']

    def serialize_entity(self, ctxt, entity):
        sealed = super().serialize_entity(ctxt, entity)
        self.captured['args'].append(sealed)
        return sealed


class _Replaying(sealing.GuestSerializer):
    """Sends a captured message again, byte for byte (as a thief would)."""

    def __init__(self, captured):
        super().__init__(None, None)
        self.captured = {'ctxt': captured['ctxt'],
                         'args': list(captured['args'])}

    def serialize_context(self, ctxt):
        return self.captured['ctxt']

    def serialize_entity(self, ctxt, entity):
        return self.captured['args'].pop(0)


def _stored_progress(infra_url, instance_id, operation):
    return infra_row(
        infra_url, 'SELECT step, percent, bytes_done, bytes_total, message '
        'FROM operation_progress WHERE resource_kind = %s AND '
        'resource_id = %s AND operation = %s', 'instance', instance_id,
        operation)


def test_progress_reports_are_sealed_and_good_once(cloud, infra_url, bus):
    tenant = cloud.api(uuid.uuid4().hex)
    instance_id = tenant.created('progress')
    tenant.wait(instance_id, 'ACTIVE')
    [stored_key] = infra_row(infra_url, 'SELECT encrypted_key FROM '
                             'instances WHERE id = %s', instance_id)
    key = _decrypt_with(KEY_SECRET, stored_key)
    ctxt = trove_context.get_admin_context()
    conductor = cloud.processes['trove-lite-conductor']

    # The guest's genuine report is stored.
    guest = _Recording(instance_id, key)
    assert conductor_rpcapi.ConductorAPI(serializer=guest).report_progress(
        ctxt, 'instance', instance_id, 'restore',
        {'step': 'copy', 'percent': 40, 'bytes_done': 4 << 30,
         'bytes_total': 10 << 30, 'message': 'copying'}, time.time())
    end = time.monotonic() + 30
    while _stored_progress(infra_url, instance_id, 'restore') is None:
        assert time.monotonic() < end, cloud.logs()
        time.sleep(0.2)
    assert _stored_progress(infra_url, instance_id, 'restore') == (
        'copy', 40.0, 4 << 30, 10 << 30, 'copying')

    # The same message again, captured off the bus, is refused.
    conductor_rpcapi.ConductorAPI(
        serializer=_Replaying(guest.captured)).report_progress(
        ctxt, 'instance', instance_id, 'restore', {}, 0)
    conftest.wait_for_log(
        conductor, 'Refused a sealed message claiming to come from %s: A '
        'sealed message was received twice (a replay).' % instance_id,
        deadline=30)

    # A key that is not the instance's cannot report for it.
    posing = sealing.GuestSerializer(instance_id, sealing.generate_key())
    conductor_rpcapi.ConductorAPI(serializer=posing).report_progress(
        ctxt, 'instance', instance_id, 'restore', {'percent': 99},
        time.time())
    conftest.wait_for_log(
        conductor, 'Refused a sealed message claiming to come from %s: A '
        'message was not sealed with the key' % instance_id, deadline=30)
    assert 'Traceback' not in conductor.log()
    assert _stored_progress(infra_url, instance_id,
                            'restore')[1] == 40.0

    # The instance's reports go with it.
    assert tenant.delete(instance_id).status_code == 202
    tenant.wait_gone(instance_id)
    assert infra_row(infra_url, 'SELECT COUNT(*) FROM operation_progress '
                     'WHERE instance_id = %s', instance_id) == (0,)
    assert_nothing_left(cloud, instance_id)


# -- 5. bad create requests --------------------------------------------------

def _fault(resp, status, name, text):
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert list(body) == [name], body
    assert body[name]['code'] == status
    assert text in body[name]['message'], body
    return body[name]['message']


def test_bad_create_requests_create_nothing(cloud):
    tenant = cloud.api(uuid.uuid4().hex)
    before = sorted(os.listdir(cloud.instances_path)) if \
        cloud.instances_path.exists() else []
    user = {'name': 'app', 'password': 'secret'}
    cases = [
        (dict(flavorRef='99'), 400, 'badRequest', 'Flavor 99'),
        (dict(datastore={'type': 'nosuch'}), 404, 'itemNotFound',
         'nosuch'),
        (dict(datastore={'type': 'mysql', 'version': '0.1'}), 400,
         'badRequest', '0.1'),
        (dict(volume={'size': 11}), 413, 'overLimit', '11'),
        (dict(volume={'size': 0}), 400, 'badRequest', 'Validation error'),
        (dict(name='!!!'), 400, 'badRequest', 'Validation error'),
        (dict(databases=[{'name': 'app'}, {'name': 'app'}]), 400,
         'badRequest', 'app'),
        (dict(databases=[{'name': 'app'}], users=[user, user]), 400,
         'badRequest', 'app'),
        # 6 GB fit max_accepted_volume_size (10) but not the quota (5).
        (dict(volume={'size': 6}), 413, 'overLimit',
         'Quota exceeded for resources'),
    ]
    for fields, status, name, text in cases:
        fields = dict(fields)
        resp = tenant.create(fields.pop('name', 'db1'), **fields)
        _fault(resp, status, name, text)
    assert tenant.list() == []
    after = sorted(os.listdir(cloud.instances_path)) if \
        cloud.instances_path.exists() else []
    assert after == before


# -- backups: the guest agent dies while it streams one ----------------------

def test_a_guest_killed_during_a_backup_fails_the_backup(infra_url):
    """kill -9 of the instance's agent right after the backup was asked:
    whether the agent had confirmed the start or not, the conductor fails
    the backup once the agent's heartbeats expire, with the reason, long
    before the backup's own deadline; the instance does not stay BACKUP.
    """
    with running(ControlPlane(infra_url, 'bkill', default={
            'agent_heartbeat_expiry': 6})) as plane:
        tenant = plane.api(uuid.uuid4().hex)
        instance_id = tenant.created()
        tenant.wait(instance_id, 'ACTIVE')
        agents = processes_naming('trove-lite-guestagent.*%s' % instance_id)
        assert agents, plane.logs()
        resp = requests.post(tenant.endpoint + '/backups', json={
            'backup': {'name': 'doomed', 'instance': instance_id}},
            timeout=30)
        assert resp.status_code == 202, resp.text
        backup_id = resp.json()['backup']['id']
        for pid in agents:
            os.kill(int(pid), signal.SIGKILL)

        def backup():
            found = requests.get('%s/backups/%s' % (tenant.endpoint,
                                                    backup_id), timeout=10)
            assert found.status_code == 200, found.text
            return found.json()['backup']
        assert waiting.wait_for(lambda: backup()['status'] == 'FAILED',
                                timeout=90, interval=0.5), plane.logs()
        failed = backup()
        assert 'guest agent' in failed['fault']['message'], failed
        assert tenant.shown(instance_id)['status'] != 'BACKUP'
        assert tenant.delete(instance_id).status_code == 202
        tenant.wait_gone(instance_id)
