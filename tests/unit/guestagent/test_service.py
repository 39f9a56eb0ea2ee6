"""The guest agent's endpoint: tenant errors are expected, not ERRORs.

An agent on the in-memory bus with the ``fake`` datastore manager, called
through the real guest client, so the reply crosses the same sealing and
exception paths as in production.
"""

import logging
import os
import threading
import time
import uuid

import pytest

from tests.unit.guestagent import fakes
from tests.unit.rpc_fixtures import conf_overrides  # noqa: F401
from tests.unit.rpc_fixtures import memory_bus  # noqa: F401
from tests.unit.rpc_fixtures import start_service  # noqa: F401
from tests import waiting
from trove_lite.common import exception
from trove_lite.common import sealing
from trove_lite.guestagent.datastores import fake
from trove_lite.guestagent import info as guest_info
from trove_lite.guestagent import rpcapi as guest_rpcapi
from trove_lite.guestagent import service as guest_service

# Public methods of the endpoint that are not calls a tenant's request
# leads to (a cast, a ping, and a helper for the agent's own shutdown).
# Casts whose outcome goes to the conductor, and helpers.
NOT_TENANT_CALLS = {'rpc_ping', 'prepare', 'wait_for_prepare', 'create_backup',
                    'abort_backup'}


def test_every_call_declares_tenant_errors_expected():
    calls = [name for name in dir(guest_service.GuestAgentEndpoint)
             if not name.startswith('_') and name != 'target'
             and name not in NOT_TENANT_CALLS]
    assert len(calls) >= 18
    undeclared = [name for name in calls if not hasattr(
        getattr(guest_service.GuestAgentEndpoint, name), '__wrapped__')]
    assert undeclared == []


@pytest.fixture
def guest(memory_bus, start_service, ctx):  # noqa: F811
    """A guest client of a running agent whose fake datastore has a
    database ``app`` and a user ``u``.
    """
    instance_id = 'guest-service-test'
    key = sealing.generate_key()
    datastore = fake.Manager(guest_info.GuestInfo(
        guest_id=instance_id, datastore_manager='fake'))
    datastore.prepare(512, [{'name': 'app'}],
                      [{'name': 'u', 'password': 'p'}])
    endpoint = guest_service.GuestAgentEndpoint(instance_id, datastore)
    start_service(guest_rpcapi.topic_for(instance_id), instance_id,
                  endpoint, serializer=sealing.GuestSerializer(
                      instance_id, key))
    return guest_rpcapi.GuestAgentAPI(ctx, instance_id, key)


def _errors(caplog):
    return ['%s: %s' % (record.name, record.getMessage())
            for record in caplog.records if record.levelno >= logging.ERROR]


@pytest.mark.parametrize('call,args,error', [
    ('delete_database', ('nosuch',), exception.DatabaseNotFound),
    ('create_users', ([{'name': 'u', 'password': 'p'}],),
     exception.UserAlreadyExists),
    ('revoke_access', ('u', '%', 'nosuch'), exception.DatabaseNotFound),
    ('delete_user', ('nobody', '%'), exception.UserNotFound),
    ('create_databases', ([{'name': 'bad name'}],), exception.BadValue),
])
def test_a_tenant_error_reaches_the_caller_and_is_no_error(
        guest, caplog, call, args, error):
    # NOTE(issue13): 33 such requests made 1,866 ERROR lines in an agent.
    with pytest.raises(error) as caught:
        getattr(guest, call)(*args)
    assert type(caught.value) is error
    assert 'Traceback' not in str(caught.value)
    assert _errors(caplog) == []


# -- backups (API 1.3) ----------------------------------------------------------

class BackupReports:
    """What a ``status.StatusReporter`` does with backups, recorded."""

    def __init__(self):
        self.updates = []
        self.running = set()

    def backup_started(self, backup_id):
        if backup_id in self.running:
            return False
        self.running.add(backup_id)
        return True

    def backup_ended(self, backup_id):
        self.running.discard(backup_id)

    def update_backup(self, backup_id, fields):
        self.updates.append((backup_id, fields['state']))
        return True

    def report_progress(self, *args):
        return True


@pytest.fixture
def backup_endpoint(backup_plugins, tmp_path):
    manager = fake.Manager(guest_info.GuestInfo(guest_id='i-1',
                                                datastore_manager='fake'))
    strategy = fakes.FileStrategy(manager, b'rows' * 1000)
    backup_plugins['file'] = strategy
    reports = BackupReports()
    endpoint = guest_service.GuestAgentEndpoint('i-1', manager, reports)
    storage = {'driver': 'local', 'path': str(tmp_path / 'backups')}
    info = {'id': 'b-1', 'instance_id': 'i-1', 'backup_type': 'full',
            'storage': storage, 'parent': None}
    return endpoint, strategy, reports, info, tmp_path / 'backups'


def test_a_backup_is_taken_and_reported(ctx, backup_endpoint):
    endpoint, _, reports, info, stored = backup_endpoint
    endpoint.create_backup(ctx, info)
    assert waiting.wait_for(lambda: ('b-1', 'COMPLETED') in reports.updates)
    assert reports.updates[0] == ('b-1', 'BUILDING')
    assert os.listdir(stored) == ['b-1.file.zst']
    assert waiting.wait_for(lambda: not reports.running)


def test_an_aborted_backup_stops_and_keeps_nothing(ctx, backup_endpoint):
    endpoint, strategy, reports, info, stored = backup_endpoint
    strategy.delay = 30
    endpoint.create_backup(ctx, info)
    assert waiting.wait_for(lambda: strategy.tools)
    endpoint.abort_backup(ctx, 'b-1')
    assert waiting.wait_for(lambda: ('b-1', 'FAILED') in reports.updates)
    assert not os.path.exists(stored) or os.listdir(stored) == []
    assert strategy.tools[0].process.poll() is not None


def test_a_backup_aborted_before_it_arrives_is_not_taken(ctx,
                                                         backup_endpoint):
    endpoint, strategy, reports, info, _ = backup_endpoint
    endpoint.abort_backup(ctx, 'b-1')
    endpoint.create_backup(ctx, info)
    assert strategy.tools == [] and reports.updates == []


# -- replication (API 1.4) -------------------------------------------------------

class Changes:
    """A reporter that counts ``status_changed`` (a heartbeat at once)."""

    def __init__(self):
        self.count = 0

    def status_changed(self):
        self.count += 1


@pytest.fixture
def agents(memory_bus, start_service, ctx):  # noqa: F811
    """``agents()``: ``(client, datastore, reporter)`` of a new agent on
    the bus whose fake datastore has a database ``app``.
    """
    def _agent():
        instance_id = str(uuid.uuid4())
        key = sealing.generate_key()
        datastore = fake.Manager(guest_info.GuestInfo(
            guest_id=instance_id, datastore_manager='fake'))
        datastore.prepare(512, [{'name': 'app'}], [])
        reporter = Changes()
        endpoint = guest_service.GuestAgentEndpoint(instance_id, datastore,
                                                    reporter)
        start_service(guest_rpcapi.topic_for(instance_id), instance_id,
                      endpoint, serializer=sealing.GuestSerializer(
                          instance_id, key))
        client = guest_rpcapi.GuestAgentAPI(ctx, instance_id, key)
        return client, datastore, reporter

    return _agent


def test_replication_calls_reach_the_strategy(agents, caplog):
    source, source_store, _ = agents()
    replica, replica_store, changes = agents()
    seeded = source.get_replication_snapshot(None)
    assert seeded['snapshot'] == {'backup': None}
    assert seeded['source']['instance_id'] == source.instance_id
    assert source.get_replication_state()['role'] == 'source'

    replica_store.create_databases([{'name': 'lost'}])
    replica.attach_replica(seeded['source'])
    assert replica_store.list_databases() == [{'name': 'app'}]
    assert replica.get_replication_state()['role'] == 'replica'
    assert changes.count == 1
    with pytest.raises(exception.BadRequest) as caught:
        replica.create_databases([{'name': 'refused'}])
    assert 'read-only' in str(caught.value)

    source.fence_replica_source()
    with pytest.raises(exception.BadRequest):
        source.create_databases([{'name': 'refused'}])

    promoted = replica.promote_to_replica_source()
    assert promoted['instance_id'] == replica.instance_id
    assert changes.count == 2
    replica.create_databases([{'name': 'written'}])
    source.attach_replica(promoted)
    assert {'name': 'written'} in source_store.list_databases()

    assert replica.remove_replica(source.instance_id) is None
    source.detach_replica()
    assert source.get_replication_state()['role'] is None
    source.create_databases([{'name': 'standalone'}])
    # NOTE(logs): refused writes are the tenant's errors; the fake's
    # GuestError made the agent log each with a traceback.
    assert _errors(caplog) == []


@pytest.mark.parametrize('call, args', [
    ('get_replication_snapshot', (None,)), ('attach_replica', ({},)),
    ('promote_to_replica_source', ()), ('fence_replica_source', ()),
    ('detach_replica', ()), ('remove_replica', ('r',)),
    ('get_replication_state', ())])
def test_a_datastore_without_replication_refuses_each_call(
        agents, override, caplog, call, args):
    override('replication_strategy', None, group='fake')
    client, _, changes = agents()
    with pytest.raises(exception.DatastoreOperationNotSupported):
        getattr(client, call)(*args)
    assert changes.count == 0
    assert _errors(caplog) == []


class _OverlapStrategy:
    """A replication strategy that counts how many of its changes run at
    once (each waits until another could have started).
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0

    def _change(self):
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.05)
        with self.lock:
            self.running -= 1

    def enable_as_source(self):
        self._change()
        return {'host': 'h', 'port': 1}

    def snapshot(self, source_info, snapshot_info):
        self._change()
        return {'backup': None}

    def attach(self, source_info):
        self._change()


def test_replication_changes_of_one_instance_run_one_at_a_time():
    # Two replicas created together ask their source for a snapshot at
    # the same moment; its record and settings must not be written twice
    # at once.
    strategy = _OverlapStrategy()
    manager = fake.Manager(guest_info.GuestInfo(guest_id='i-1',
                                                datastore_manager='fake'))
    manager.replication = lambda: strategy
    endpoint = guest_service.GuestAgentEndpoint('i-1', manager)
    threads = [threading.Thread(target=call) for call in (
        lambda: endpoint.get_replication_snapshot(None),
        lambda: endpoint.get_replication_snapshot(None),
        lambda: endpoint.attach_replica(None, {}))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert strategy.most == 1


# -- resize (API 1.6) -----------------------------------------------------------

class StatusReports:
    """What a ``status.StatusReporter`` is told of statuses, recorded."""

    def __init__(self):
        self.said = []

    def set_status(self, status):
        self.said.append(status.api_name)

    def clear_status(self):
        self.said.append('cleared')

    def status_changed(self):
        self.said.append('changed')


def test_a_flavor_resize_is_restarting_while_it_runs(ctx):
    manager = fake.Manager(guest_info.GuestInfo(guest_id='i-1',
                                                datastore_manager='fake'))
    manager.prepare(512, [], [], volume_size=1)
    reports = StatusReports()
    endpoint = guest_service.GuestAgentEndpoint('i-1', manager, reports)
    endpoint.resize_flavor(ctx, 2048)
    assert manager.memory_mb == 2048
    assert reports.said == ['RESTARTING', 'cleared']
    endpoint.resize_fs(ctx, 4)
    assert manager.filesystem_stats()['total'] == 4.0
    assert reports.said[-1] == 'changed'


def test_resize_over_the_bus(guest):
    guest.resize_flavor(1024)
    guest.resize_fs(2)
    assert guest.get_filesystem_stats()['total'] == 2.0
