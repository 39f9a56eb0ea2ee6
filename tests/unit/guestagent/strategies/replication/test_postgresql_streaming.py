"""The ``postgresql_streaming`` replication strategy without a server: its
checks, positions and state, its record and role files, and the
decisions of its steps on simulated servers (``FakeServer``, the tools
and the server's lifecycle recorded; the real ones are
``tests/functional/test_replication_postgresql.py``).
"""

import contextlib
import json
import os

import pytest

from trove_lite.common import exception
from trove_lite.common import plugins
from trove_lite.conf import datastores as datastores_conf
from trove_lite.guestagent.datastores.postgresql import config
from trove_lite.guestagent.datastores.postgresql import manager as pg_manager
from trove_lite.guestagent import info as guest_info
from trove_lite.guestagent.strategies.replication import base
from trove_lite.guestagent.strategies.replication import postgresql_streaming

SOURCE_INFO = {'host': '127.77.1.2', 'port': 5432, 'user': 'os_repl',
               'password': 'pw-1', 'settings': {'max_connections': 32}}
SOURCE = {key: SOURCE_INFO[key] for key in ('host', 'port', 'user',
                                            'password')}
OTHER_INFO = dict(SOURCE_INFO, host='127.77.9.9', password='pw-2')
INSTANCE_ID = '0b5e8f3c-0c6e-4f0e-9d55-2f1f3c7d9a10'
SLOT = 'trove_0b5e8f3c_0c6e_4f0e_9d55_2f1f3c7d9a10'


def _manager(tmp_path):
    info = guest_info.GuestInfo(
        guest_id=INSTANCE_ID, datastore_manager='postgresql',
        datastore_version='15', instance_dir=str(tmp_path),
        bind_host='127.77.3.4', port=5432)
    return pg_manager.Manager(info)


def test_installed_and_named_by_the_postgresql_datastore(tmp_path):
    manager = _manager(tmp_path)
    strategy = plugins.load(datastores_conf.REPLICATION_NAMESPACE,
                            'postgresql_streaming', args=(manager,))
    assert isinstance(strategy,
                      postgresql_streaming.PostgreSQLStreamingReplication)
    assert isinstance(manager.replication(),
                      postgresql_streaming.PostgreSQLStreamingReplication)


# -- positions and state ------------------------------------------------------

def _row(**values):
    row = {'in_recovery': True, 'current_lsn': None,
           'receive_lsn': '0/5000000', 'replay_lsn': '0/4FFFF00',
           'lag': 1.5, 'receiver': 'streaming',
           'conninfo': 'host=127.77.1.2 port=5432 user=os_repl'}
    row.update(values)
    return row


def test_state_of_a_source_and_a_standalone():
    row = _row(in_recovery=False, current_lsn='0/6000000')
    assert postgresql_streaming.parse_state('source', row) == {
        'role': 'source', 'source': None, 'running': False, 'lag': None,
        'position': 0x6000000, 'error': None}
    assert postgresql_streaming.parse_state(None, row)['error'] is None


def test_state_of_a_streaming_replica():
    assert postgresql_streaming.parse_state('replica', _row()) == {
        'role': 'replica', 'source': {'host': '127.77.1.2', 'port': 5432},
        'running': True, 'lag': 1.5, 'position': 0x5000000, 'error': None}


def test_a_replica_position_is_the_furthest_of_received_and_replayed():
    # A WAL receiver that restarted reports from the start of a segment.
    state = postgresql_streaming.parse_state('replica', _row(
        receive_lsn='0/4000000', replay_lsn='0/4FFFF00'))
    assert state['position'] == 0x4FFFF00
    never = postgresql_streaming.parse_state('replica', _row(receive_lsn=None))
    assert never['position'] == 0x4FFFF00


def test_state_of_a_replica_whose_stream_is_down():
    down = postgresql_streaming.parse_state('replica', _row(receiver=None))
    assert down['running'] is False and down['lag'] is None
    assert '127.77.1.2:5432' in down['error']
    assert 'not running' in down['error']
    waiting = postgresql_streaming.parse_state('replica',
                                               _row(receiver='waiting'))
    assert 'waiting' in waiting['error']


def test_state_of_a_fenced_source():
    state = postgresql_streaming.parse_state('source', _row(
        conninfo='', receive_lsn=None, receiver=None))
    assert state == {'role': 'source', 'source': None, 'running': False,
                     'lag': None, 'position': 0x4FFFF00, 'error': None}


def test_state_of_a_replica_that_follows_nobody():
    assert postgresql_streaming.parse_state('replica',
                                            _row(conninfo=''))['error']
    assert postgresql_streaming.parse_state('replica', _row(
        in_recovery=False, current_lsn='0/1'))['error']


@pytest.mark.parametrize('change', [
    {'host': 'a\nb'}, {'host': ''}, {'host': 'a b'}, {'port': '5432'},
    {'port': True}, {'port': 0}, {'port': 65536}, {'user': 'os repl'},
    {'user': None}, {'user': "os_repl'"}, {'password': ''},
    {'password': 'a\nb'}, {'password': None}])
def test_a_source_a_replica_must_not_use_is_refused(change):
    with pytest.raises(exception.BadValue):
        postgresql_streaming.check_source(dict(SOURCE_INFO, **change))


def test_a_source_keeps_only_what_a_replica_connects_with():
    assert postgresql_streaming.check_source(
        dict(SOURCE_INFO, extra=1)) == SOURCE


@pytest.mark.parametrize('settings', [
    'many', {'shared_buffers': 1}, {'max_connections': -1},
    {'max_connections': True}, {'max_connections': '100'},
    {'max_connections': 2 ** 40}])
def test_invalid_source_settings_are_refused(settings):
    with pytest.raises(exception.BadValue):
        postgresql_streaming.check_minimums(
            dict(SOURCE_INFO, settings=settings))


def test_source_settings_are_optional():
    assert postgresql_streaming.check_minimums(SOURCE) == {}
    assert postgresql_streaming.check_minimums(SOURCE_INFO) == {
        'max_connections': 32}


def test_the_password_file_line_escapes_its_separators():
    assert postgresql_streaming.passfile_line(
        dict(SOURCE, password='a:b\\c')) == \
        '127.77.1.2:5432:*:os_repl:a\\:b\\\\c\n'


# -- a strategy on simulated servers ------------------------------------------

class FakeServer:
    """What the strategy's SQL does to a PostgreSQL server, simulated."""

    def __init__(self, in_recovery=False):
        self.recovery = in_recovery
        self.calls = []
        self.current = {'max_connections': 20, 'max_worker_processes': 8,
                        'max_wal_senders': 10,
                        'max_prepared_transactions': 0,
                        'max_locks_per_transaction': 64}
        self.slot_names = set()
        self.promoted = True

    def in_recovery(self):
        return self.recovery

    def state_row(self):
        return _row(in_recovery=self.recovery, current_lsn='0/6000000')

    def settings(self, names):
        return {name: self.current[name] for name in names}

    def reload(self):
        self.calls.append('reload')

    def promote(self, timeout):
        self.calls.append(('promote', timeout))
        if self.promoted:
            self.recovery = False
        return self.promoted

    def set_account(self, password):
        self.calls.append(('set_account', password))

    def ensure_slot(self, name):
        self.calls.append(('ensure_slot', name))
        self.slot_names.add(name)

    def slots(self):
        return sorted(self.slot_names)

    def drop_slot(self, name):
        self.calls.append(('drop_slot', name))
        self.slot_names.discard(name)


class Tools:
    """The tools and the server's lifecycle, recorded in order
    (``events``); ``results`` says how each tool ends.
    """

    def __init__(self, manager, local):
        self.manager = manager
        self.local = local
        self.events = []
        self.results = {}
        self.start_failures = 0

    def run_tool(self, binary_name, args, timeout, run_as):
        self.events.append((binary_name, args))
        return self.results.get(binary_name, True)

    def stop_db(self):
        self.events.append('stop')

    def start_db(self):
        self.events.append('start')
        if self.start_failures:
            self.start_failures -= 1
            raise exception.GuestError(message='did not start')
        self.local.recovery = os.path.exists(
            self.manager.paths.standby_signal)

    def restart(self):
        self.stop_db()
        self.start_db()

    def ran(self, name):
        return [args for event in self.events
                if isinstance(event, tuple) and event[0] == name
                for args in [event[1]]]

    def lifecycle(self):
        return [event if isinstance(event, str) else event[0]
                for event in self.events]


@pytest.fixture
def local():
    return FakeServer()


@pytest.fixture
def source_server():
    return FakeServer()


@pytest.fixture
def strategy(tmp_path, local, source_server, monkeypatch):
    manager = _manager(tmp_path)
    for directory in (manager.paths.datadir, manager.paths.rundir,
                      manager.paths.logdir):
        os.makedirs(directory)
    server_conf = config.render({'max_connections': 20},
                                includes=[manager.paths.replication_conf])
    with open(manager.paths.conf, 'w') as handle:
        handle.write(server_conf)
    strategy = postgresql_streaming.PostgreSQLStreamingReplication(manager)
    tools = Tools(manager, local)
    monkeypatch.setattr(manager, '_run_as', lambda: None)
    for name in ('stop_db', 'start_db', 'restart'):
        monkeypatch.setattr(manager, name, getattr(tools, name))
    monkeypatch.setattr(strategy, '_run_tool', tools.run_tool)
    sources = []

    @contextlib.contextmanager
    def session():
        yield local

    @contextlib.contextmanager
    def source_session(source):
        sources.append(source)
        yield source_server
    monkeypatch.setattr(strategy, '_session', session)
    monkeypatch.setattr(strategy, '_source_session', source_session)
    strategy.tools = tools
    strategy.sources = sources
    return strategy


def _role_config(strategy):
    with open(strategy.manager.paths.replication_conf) as handle:
        return config.parse(handle.read())


def _standby(strategy):
    return os.path.exists(strategy.manager.paths.standby_signal)


def _make_replica(strategy, local):
    assert strategy.seed(SOURCE_INFO, {'backup': None}, None) is True
    # Started with its role's files: a standby with the source's 32.
    local.recovery = True
    local.current['max_connections'] = 32
    strategy.tools.events.clear()


def test_enable_as_source_generates_the_password_once(strategy, local):
    info = strategy.enable_as_source()
    assert info == {'host': '127.77.3.4', 'port': 5432, 'user': 'os_repl',
                    'password': info['password'],
                    'settings': local.current}
    assert len(info['password']) >= 24
    assert strategy.enable_as_source() == info
    assert local.calls == [('set_account', info['password']), 'reload'] * 2
    assert strategy.recorded()['role'] == base.SOURCE
    assert _role_config(strategy) == {}
    assert not _standby(strategy)
    assert strategy.tools.events == []


def test_the_record_keeps_the_password_private(strategy, tmp_path):
    strategy.enable_as_source()
    path = tmp_path / base.RECORD_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    assert json.loads(path.read_text())['password']


def test_a_replica_is_not_made_a_source_without_a_promote(strategy, local):
    _make_replica(strategy, local)
    with pytest.raises(exception.GuestError):
        strategy.enable_as_source()
    assert local.recovery and _standby(strategy)


def test_snapshot_stages_no_backup_even_with_storage(strategy):
    info = {'id': 'snap-1', 'storage': {'driver': 'local', 'path': '/b'}}
    assert strategy.snapshot(SOURCE_INFO, info) == {'backup': None}
    assert strategy.snapshot(SOURCE_INFO, None) == {'backup': None}


def test_seed_copies_the_source_through_the_replicas_slot(
        strategy, source_server):
    assert strategy.seed(SOURCE_INFO, {'backup': None}, None) is True
    paths = strategy.manager.paths
    assert source_server.calls == [('ensure_slot', SLOT)]
    assert strategy.sources == [SOURCE]
    [args] = strategy.tools.ran('pg_basebackup')
    assert '--slot=%s' % SLOT in args
    assert '--wal-method=stream' in args
    assert '--pgdata=%s' % paths.datadir in args
    dbname = [arg for arg in args if arg.startswith('--dbname=')][0]
    assert 'passfile=%s' % paths.passfile in dbname
    assert 'pw-1' not in ' '.join(args)
    # The password is in a private file of the server's user.
    assert os.stat(paths.passfile).st_mode & 0o777 == 0o600
    with open(paths.passfile) as handle:
        assert handle.read() == '127.77.1.2:5432:*:os_repl:pw-1\n'
    # The source's ALTER SYSTEM settings are not the replica's.
    with open(os.path.join(paths.datadir, 'postgresql.auto.conf')) as handle:
        assert 'ALTER SYSTEM' in handle.read()
    # It starts as a standby of the source.
    assert _standby(strategy)
    role = _role_config(strategy)
    assert role['primary_slot_name'] == "'%s'" % SLOT
    assert 'host=127.77.1.2' in role['primary_conninfo']
    assert 'pw-1' not in role['primary_conninfo']
    assert role['hot_standby'] == 'on'
    assert role['recovery_target_timeline'] == "'latest'"
    # The source allows more connections than the replica's own 20.
    assert role['max_connections'] == '32'
    assert 'max_wal_senders' not in role
    recorded = strategy.recorded()
    assert (recorded['role'], recorded['source']) == (base.REPLICA, SOURCE)


def test_a_failed_copy_fails_the_seed(strategy):
    strategy.tools.results['pg_basebackup'] = False
    with pytest.raises(exception.GuestError):
        strategy.seed(SOURCE_INFO, {'backup': None}, None)
    assert 'role' not in strategy.recorded()
    assert not _standby(strategy)


def test_a_source_with_fewer_connections_raises_nothing(strategy, local):
    strategy.seed(dict(SOURCE_INFO, settings={'max_connections': 10}),
                  {'backup': None}, None)
    assert 'max_connections' not in _role_config(strategy)


def test_attach_of_a_new_replica_keeps_its_stream(strategy, local,
                                                  source_server):
    _make_replica(strategy, local)
    before = _role_config(strategy)
    strategy.attach(SOURCE_INFO, {'backup': None})
    strategy.attach(SOURCE_INFO, {'backup': None})
    assert strategy.tools.events == []
    assert _role_config(strategy) == before
    assert local.calls == ['reload', 'reload']
    assert source_server.calls.count(('ensure_slot', SLOT)) == 3


def test_a_replica_is_repointed_by_a_reload(strategy, local, source_server):
    _make_replica(strategy, local)
    strategy.attach(OTHER_INFO)
    assert strategy.tools.events == []
    assert local.calls == ['reload']
    assert 'host=127.77.9.9' in _role_config(strategy)['primary_conninfo']
    assert strategy.sources[-1]['host'] == '127.77.9.9'
    with open(strategy.manager.paths.passfile) as handle:
        assert handle.read() == '127.77.9.9:5432:*:os_repl:pw-2\n'
    assert strategy.recorded()['source']['host'] == '127.77.9.9'


def test_a_replica_restarts_when_its_new_source_needs_more(strategy, local):
    _make_replica(strategy, local)
    local.current['max_connections'] = 32
    strategy.attach(dict(OTHER_INFO, settings={'max_connections': 64}))
    assert strategy.tools.lifecycle() == ['stop', 'start']
    assert 'reload' not in local.calls
    assert _role_config(strategy)['max_connections'] == '64'


def test_a_former_source_is_rewound_and_started_as_a_standby(
        strategy, local, source_server):
    strategy.enable_as_source()
    local.slot_names = {'trove_r1', 'trove_r2'}
    local.current['max_connections'] = 32
    strategy.attach(OTHER_INFO)
    assert strategy.tools.lifecycle() == ['stop', 'pg_rewind', 'start']
    [args] = strategy.tools.ran('pg_rewind')
    assert '--target-pgdata=%s' % strategy.manager.paths.datadir in args
    server_arg = [arg for arg in args
                  if arg.startswith('--source-server=')][0]
    assert 'host=127.77.9.9' in server_arg and 'dbname=postgres' in \
        server_arg
    assert local.recovery and _standby(strategy)
    assert 'host=127.77.9.9' in _role_config(strategy)['primary_conninfo']
    # Its replicas' slots went with its role.
    assert local.slot_names == set()
    assert source_server.slot_names == {SLOT}
    recorded = strategy.recorded()
    assert recorded['role'] == base.REPLICA and 'fenced' not in recorded
    # A repeat re-points the standby it is now.
    strategy.tools.events.clear()
    strategy.attach(OTHER_INFO)
    assert strategy.tools.events == []


def test_a_former_source_that_cannot_be_rewound_is_seeded_again(
        strategy, local):
    strategy.enable_as_source()
    strategy.tools.results['pg_rewind'] = False
    strategy.attach(OTHER_INFO)
    assert strategy.tools.lifecycle() == ['stop', 'pg_rewind',
                                          'pg_basebackup', 'start']
    assert local.recovery and _standby(strategy)


def test_a_rewound_server_that_does_not_start_is_seeded_again(
        strategy, local):
    strategy.enable_as_source()
    strategy.tools.start_failures = 1
    strategy.attach(OTHER_INFO)
    assert strategy.tools.lifecycle() == ['stop', 'pg_rewind', 'start',
                                          'stop', 'pg_basebackup', 'start']
    assert local.recovery and _standby(strategy)


def test_fence_makes_the_source_a_standby_of_nobody(strategy, local):
    strategy.enable_as_source()
    strategy.fence()
    assert strategy.tools.lifecycle() == ['stop', 'start']
    assert local.recovery and _standby(strategy)
    role = _role_config(strategy)
    assert role['primary_conninfo'] == "''"
    assert role['hot_standby'] == 'on'
    recorded = strategy.recorded()
    assert recorded['role'] == base.SOURCE and recorded['fenced'] is True
    # A repeat: it is a standby already.
    local.calls.clear()
    strategy.fence()
    assert strategy.tools.lifecycle() == ['stop', 'start']
    assert local.calls == ['reload']


def test_a_source_is_a_source_again_when_its_fence_is_lifted(
        strategy, local):
    info = strategy.enable_as_source()
    strategy.fence()
    assert strategy.enable_as_source() == info
    assert ('promote', postgresql_streaming.PROMOTE_TIMEOUT) in local.calls
    assert not local.recovery and not _standby(strategy)
    assert 'fenced' not in strategy.recorded()


def test_fence_leaves_a_replica_as_it_is(strategy, local):
    _make_replica(strategy, local)
    role = _role_config(strategy)
    strategy.fence()
    assert strategy.tools.events == []
    assert _role_config(strategy) == role
    assert 'fenced' not in strategy.recorded()


def test_promote_ends_recovery_then_becomes_a_source(strategy, local):
    _make_replica(strategy, local)
    info = strategy.promote()
    assert local.calls[:2] == [
        ('promote', postgresql_streaming.PROMOTE_TIMEOUT),
        ('set_account', info['password'])]
    assert not local.recovery and not _standby(strategy)
    assert _role_config(strategy) == {}
    recorded = strategy.recorded()
    assert recorded['role'] == base.SOURCE and 'source' not in recorded
    assert info['host'] == '127.77.3.4' and info['user'] == 'os_repl'
    assert strategy.promote() == info
    assert [call for call in local.calls if call[0] == 'promote'] == [
        ('promote', postgresql_streaming.PROMOTE_TIMEOUT)]
    assert strategy.state()['role'] == base.SOURCE


def test_a_promotion_that_does_not_end_fails(strategy, local):
    _make_replica(strategy, local)
    local.promoted = False
    with pytest.raises(exception.GuestError):
        strategy.promote()
    assert strategy.recorded()['role'] == base.REPLICA


def test_detach_makes_a_writable_standalone(strategy, local):
    _make_replica(strategy, local)
    strategy.detach()
    strategy.detach()
    assert [call for call in local.calls if call[0] == 'promote'] == [
        ('promote', postgresql_streaming.PROMOTE_TIMEOUT)]
    assert not local.recovery and not _standby(strategy)
    assert not os.path.exists(strategy.manager.paths.passfile)
    assert _role_config(strategy) == {}
    assert 'role' not in strategy.recorded()
    assert strategy.state() == {'role': None, 'source': None,
                                'running': False, 'lag': None,
                                'position': 0x6000000, 'error': None}


def test_remove_replica_drops_its_slot(strategy, local):
    local.slot_names = {SLOT, 'trove_other'}
    strategy.remove_replica({'id': INSTANCE_ID})
    strategy.remove_replica({'id': INSTANCE_ID})
    assert local.slot_names == {'trove_other'}
    with pytest.raises(exception.BadValue):
        strategy.remove_replica({'id': "x'; DROP"})
    with pytest.raises(exception.BadValue):
        strategy.remove_replica(None)


def test_state_reports_the_recorded_role(strategy, local):
    _make_replica(strategy, local)
    assert strategy.state() == {
        'role': 'replica', 'source': {'host': '127.77.1.2', 'port': 5432},
        'running': True, 'lag': 1.5, 'position': 0x5000000, 'error': None}
