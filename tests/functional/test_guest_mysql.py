"""A real MariaDB instance driven through its guest agent.

The agent runs in-process (as in ``trove-lite-all``) on the in-memory bus,
reads its identity from a ``guest_info.conf`` in a fresh instance
directory, and is driven through ``GuestAgentAPI`` exactly as the
taskmanager drives it. A fake conductor on the same bus collects the
heartbeats and faults. The server is this machine's ``mariadbd``, bound
to a loopback address of its own (never 127.0.0.1:3306, where the
machine's shared MariaDB listens).

A missing ``mariadbd`` is a failure, not a skip: these tests exist to
prove the agent runs the real server.
"""

import os
import subprocess
import sys
import time
import uuid

import oslo_messaging
import pymysql
import pytest

from tests.functional import fixtures
from tests.functional import guests
from tests.functional.guests import bus  # noqa: F401
from tests.functional.guests import conductor  # noqa: F401
from tests.functional.guests import guest  # noqa: F401
from tests.unit.guestagent import fakes
from tests.unit import rpc_fixtures
from tests.unit.rpc_fixtures import conf_overrides  # noqa: F401
from tests.unit.rpc_fixtures import start_service  # noqa: F401
from trove_lite.common import context
from trove_lite.common import exception
from trove_lite.common import rpc
from trove_lite.guestagent.datastores.mysql import manager as mysql_manager
from trove_lite.guestagent import rpcapi

PORT = 3306
READY_DEADLINE = 120
FAULT_DEADLINE = 60
GUEST = {'datastore_manager': 'mariadb', 'datastore_version': '10.11',
         'port': PORT}


MARIADB = 'mariadbd .*%s'


def _pids_of(instance_dir):
    """Pids of the servers whose command line names ``instance_dir`` (a
    standalone agent names it too, in its --config-file).
    """
    return guests.pids_of(MARIADB, instance_dir)


@pytest.fixture
def instance_dir():
    guests.require('mariadb-server', mysql_manager.SERVER_BINARIES)
    with guests.instance_dir(MARIADB) as path:
        yield path


def _connect(agent, user='app', password='secret', database='app'):
    return pymysql.connect(host=agent.info.bind_host, port=PORT, user=user,
                           password=password, database=database,
                           connect_timeout=10, autocommit=True)


def test_prepare_restart_adopt_stop(guest, conductor, instance_dir):  # noqa: F811
    agent, api = guest()
    start = time.monotonic()
    api.prepare(512, [{'name': 'app', 'character_set': 'utf8mb4'}],
                [{'name': 'app', 'password': 'secret',
                  'databases': [{'name': 'app'}]}], volume_size=2)
    guests.wait_status(conductor, 'healthy')
    print('mariadb create -> healthy: %.1fs' % (time.monotonic() - start))
    assert 'building' in conductor.statuses()
    assert not conductor.faults

    conn = _connect(agent)
    with conn.cursor() as cursor:
        cursor.execute('CREATE TABLE t (x INT)')
        cursor.execute('INSERT INTO t VALUES (42)')
        cursor.execute('SELECT x FROM t')
        assert cursor.fetchall() == ((42,),)
        # The binary log is on (replication and point-in-time recovery
        # need it) and it lives in the volume.
        cursor.execute("SELECT @@log_bin, @@binlog_format, @@log_bin_basename")
        log_bin, binlog_format, basename = cursor.fetchone()
        assert (log_bin, binlog_format) == (1, 'ROW')
        assert basename.startswith(agent.datastore.volume.path + os.sep)
    conn.close()
    # Root is not reachable over TCP without a password.
    with pytest.raises(pymysql.err.OperationalError):
        _connect(agent, user='root', password='', database=None)

    beat = conductor.heartbeats[-1]['payload']
    assert beat['volume']['total'] == 2.0
    assert 0 < beat['volume']['used'] < 2.0
    stats = api.get_filesystem_stats()
    assert stats['total'] == 2.0 and 0 < stats['used'] < 2.0

    pid_file = agent.datastore.paths.pid_file
    with open(pid_file) as handle:
        first_pid = int(handle.read())
    start = time.monotonic()
    api.restart()
    print('restart: %.1fs' % (time.monotonic() - start))
    with open(pid_file) as handle:
        assert int(handle.read()) != first_pid
    conn = _connect(agent)
    conn.close()

    # The server outlives its agent; the next agent adopts it.
    with open(pid_file) as handle:
        server_pid = int(handle.read())
    agent.stop()
    agent.wait()
    conn = _connect(agent)
    conn.close()
    seen = len(conductor.heartbeats)
    second, api = guest()
    assert second.datastore.adopt() == server_pid
    guests.wait_status(conductor, 'healthy', after=seen, deadline=30)
    assert _pids_of(instance_dir) == [server_pid]

    api.stop_db()
    assert not os.path.exists(pid_file)
    assert _pids_of(instance_dir) == []
    seen = len(conductor.heartbeats)
    guests.wait_status(conductor, 'shutdown', after=seen - 1, deadline=30)


def test_prepare_on_a_busy_port_reports_failure(guest, conductor,  # noqa
                                                instance_dir):
    _, fault = guests.prepare_on_a_busy_port(
        guest, conductor, PORT, FAULT_DEADLINE, memory_mb=256,
        volume_size=1)
    assert 'mariadbd exited' in fault['details']
    # The log tail tells an admin why.
    assert 'bind' in fault['details'].lower() or \
        'address already in use' in fault['details'].lower()
    assert _pids_of(instance_dir) == []


# -- the standalone agent process ---------------------------------------------

@pytest.fixture
def rabbit_bus(conf_overrides):  # noqa: F811
    """The test process on RabbitMQ, on an exchange of its own."""
    rpc_fixtures.register_messaging_opts()
    exchange = fixtures.unique_exchange('trove_lite_guest')
    conf_overrides.set('transport_url', fixtures.RABBIT_URL)
    conf_overrides.set('control_exchange', exchange)
    conf_overrides.set('rpc_ping_timeout', 2)
    conf_overrides.set('agent_call_low_timeout', 2)
    rpc.init()
    yield exchange
    rpc.cleanup()


def _agent_process(bus_conf, info_conf, log_path):
    script = os.path.join(os.path.dirname(sys.executable),
                          'trove-lite-guestagent')
    with open(log_path, 'a') as log:
        return subprocess.Popen(
            [script, '--config-file', bus_conf, '--config-file', info_conf],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def _wait_for_ping(api, process, log_path, deadline=30):
    end = time.monotonic() + deadline
    while True:
        if process.poll() is not None:
            pytest.fail('trove-lite-guestagent exited with %s:\n%s'
                        % (process.returncode, log_path.read_text()))
        try:
            return api.rpc_ping()
        except (exception.RPCTimeout, oslo_messaging.MessageUndeliverable):
            if time.monotonic() > end:
                pytest.fail('trove-lite-guestagent did not answer:\n%s'
                            % log_path.read_text())


def _terminate(process):
    if process.poll() is None:
        process.terminate()
        try:
            return process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def test_standalone_agent_reads_guest_info_and_server_survives_it(
        rabbit_bus, conf_overrides, start_service,  # noqa: F811
        instance_dir, tmp_path):
    topic = rpc_fixtures.unique_topic('conductor')
    conf_overrides.set('conductor_queue', topic)
    collector = fakes.FakeConductor()
    start_service(topic, 'conductor-1', collector)
    address = fixtures.free_loopback_address(PORT)
    guest_id = str(uuid.uuid4())
    bus_conf = fixtures.write_config(tmp_path / 'bus.conf', {'DEFAULT': {
        'transport_url': fixtures.RABBIT_URL, 'control_exchange': rabbit_bus,
        'conductor_queue': topic, 'report_interval': 2}})
    info_conf = fixtures.write_config(
        os.path.join(instance_dir, 'guest_info.conf'), {
            'DEFAULT': {'guest_id': guest_id},
            'guest': {'datastore_manager': 'mysql', 'tenant_id': 't-1',
                      'instance_dir': instance_dir, 'bind_host': address}})
    log_path = tmp_path / 'agent.log'
    api = rpcapi.GuestAgentAPI(context.get_admin_context(), guest_id)
    processes = []
    try:
        processes.append(_agent_process(bus_conf, info_conf, log_path))
        # A cast to a queue nobody declared yet is dropped by RabbitMQ:
        # wait until the agent answers before casting prepare.
        _wait_for_ping(api, processes[0], log_path)
        api.prepare(256, [{'name': 'app'}],
                    [{'name': 'app', 'password': 'secret',
                      'databases': [{'name': 'app'}]}], volume_size=1)
        ok = collector.wait_for(lambda c: 'healthy' in c.statuses(),
                                READY_DEADLINE)
        assert ok, (collector.statuses(), collector.faults,
                    log_path.read_text())
        assert collector.heartbeats[-1]['instance_id'] == guest_id
        assert _terminate(processes[0]) == 0, log_path.read_text()
        servers = _pids_of(instance_dir)
        assert len(servers) == 1, servers
        pymysql.connect(host=address, port=PORT, user='app',
                        password='secret', database='app').close()
        # A new agent process adopts the running server and stops it.
        seen = len(collector.heartbeats)
        processes.append(_agent_process(bus_conf, info_conf, log_path))
        assert collector.wait_for(
            lambda c: 'healthy' in c.statuses()[seen:], 60), \
            log_path.read_text()
        assert _pids_of(instance_dir) == servers
        assert 'Adopted mariadbd' in log_path.read_text()
        api.stop_db()
        assert _pids_of(instance_dir) == []
    finally:
        for process in processes:
            _terminate(process)
