"""The ``mariadb_gtid`` replication strategy without a server: its
checks, positions and state, its record and role configuration, and the
decisions of its steps on a simulated server (``FakeServer``; the real
one is ``tests/functional/test_replication_mariadb.py``).
"""

import contextlib
import json

import pytest

from trove_lite.common import exception
from trove_lite.common import plugins
from trove_lite.conf import datastores as datastores_conf
from trove_lite.guestagent import backups
from trove_lite.guestagent.datastores.mysql import manager as mysql_manager
from trove_lite.guestagent import info as guest_info
from trove_lite.guestagent.strategies.replication import base
from trove_lite.guestagent.strategies.replication import mariadb_gtid

SOURCE_INFO = {'host': '127.77.1.2', 'port': 3306, 'user': 'os_repl',
               'password': 'pw-1'}


@pytest.mark.parametrize('name', ['mysql_gtid', 'mariadb_gtid'])
def test_installed_under_both_names(name, tmp_path):
    strategy = plugins.load(datastores_conf.REPLICATION_NAMESPACE, name,
                            args=(_manager(tmp_path),))
    assert isinstance(strategy, mariadb_gtid.MariaDBGTIDReplication)


def test_the_datastores_name_it_by_default(tmp_path):
    manager = _manager(tmp_path)
    assert isinstance(manager.replication(),
                      mariadb_gtid.MariaDBGTIDReplication)


# -- positions and state ------------------------------------------------------

@pytest.mark.parametrize('gtid, expected', [
    ('', []), (None, []), ('0-1-5', [5]), ('1-2-9,0-1-5', [5, 9]),
    ('0-4060235173-17, 2-3-1', [17, 1])])
def test_position_is_the_sequence_of_each_domain(gtid, expected):
    assert mariadb_gtid.position(gtid) == expected


def test_positions_order_by_how_far_the_data_goes():
    assert mariadb_gtid.position('0-1-5') < mariadb_gtid.position('0-2-6')
    assert mariadb_gtid.position('') < mariadb_gtid.position('0-1-1')
    assert mariadb_gtid.position('0-1-9') == mariadb_gtid.position('0-2-9')
    positions = ['0-1-7', '0-1-12', '0-9-3']
    assert max(positions, key=mariadb_gtid.position) == '0-1-12'


@pytest.mark.parametrize('gtid', ['0-1', '0-1-x', "0-1-5'; DROP", 5,
                                  '0-1-5,'])
def test_a_malformed_gtid_is_refused(gtid):
    with pytest.raises(exception.BadValue):
        mariadb_gtid.check_gtid(gtid)


def _status(**values):
    status = {'Master_Host': '127.77.1.2', 'Master_Port': 3306,
              'Master_User': 'os_repl', 'Slave_IO_Running': 'Yes',
              'Slave_SQL_Running': 'Yes', 'Seconds_Behind_Master': 3,
              'Last_IO_Error': '', 'Last_SQL_Error': '',
              'Gtid_IO_Pos': '0-1-9'}
    status.update(values)
    return status


def test_state_of_a_source_and_a_standalone():
    assert mariadb_gtid.parse_state('source', None, '0-1-9') == {
        'role': 'source', 'source': None, 'running': False, 'lag': None,
        'position': [9], 'error': None}
    assert mariadb_gtid.parse_state(None, None, '')['position'] == []


def test_state_of_a_running_replica():
    assert mariadb_gtid.parse_state('replica', _status(), '0-1-9') == {
        'role': 'replica', 'source': {'host': '127.77.1.2', 'port': 3306},
        'running': True, 'lag': 3.0, 'position': [9], 'error': None}


def test_a_replica_position_counts_what_it_received():
    # Received up to 12 (a semi-synchronous source may have acknowledged
    # those commits), applied up to 9: 12 is what a promote would have.
    state = mariadb_gtid.parse_state('replica', _status(
        Gtid_IO_Pos='0-1-12'), '0-1-9')
    assert state['position'] == [12]
    assert mariadb_gtid.position('0-1-9,1-2-4', '0-1-7,1-2-8') == [9, 8]


def test_state_of_a_replica_whose_stream_is_down():
    io_down = mariadb_gtid.parse_state('replica', _status(
        Slave_IO_Running='Connecting', Seconds_Behind_Master=None,
        Last_IO_Error='error connecting to master'), '0-1-9')
    assert io_down['running'] is False and io_down['lag'] is None
    assert io_down['error'] == 'error connecting to master'
    sql_down = mariadb_gtid.parse_state('replica', _status(
        Slave_SQL_Running='No', Last_SQL_Error='Duplicate entry'), '0-1-9')
    assert sql_down['error'] == 'Duplicate entry'
    lost = mariadb_gtid.parse_state('replica', None, '0-1-9')
    assert lost['source'] is None and lost['error']


def test_a_stale_error_of_a_running_replica_is_not_reported():
    state = mariadb_gtid.parse_state('replica', _status(
        Last_IO_Error='error reconnecting to master'), '0-1-9')
    assert state['running'] is True and state['error'] is None


@pytest.mark.parametrize('change', [
    {'host': 'a\nb'}, {'host': ''}, {'port': '3306'}, {'port': True},
    {'port': 0}, {'user': 'os repl'}, {'user': None}, {'password': ''},
    {'password': 'a"b'}, {'password': 'a\nb'}, {'password': None}])
def test_a_source_a_replica_must_not_use_is_refused(change):
    with pytest.raises(exception.BadValue):
        mariadb_gtid.check_source(dict(SOURCE_INFO, **change))


def test_a_source_keeps_only_what_a_replica_uses():
    assert mariadb_gtid.check_source(dict(SOURCE_INFO, extra=1)) == \
        SOURCE_INFO


# -- a strategy on a simulated server ----------------------------------------

def _manager(tmp_path):
    info = guest_info.GuestInfo(
        guest_id='inst-1', datastore_manager='mariadb',
        datastore_version='10.11', instance_dir=str(tmp_path),
        bind_host='127.77.3.4', port=3306)
    return mysql_manager.Manager(info)


class FakeServer:
    """What the strategy's SQL does to a MariaDB server, simulated."""

    def __init__(self):
        self.statements = []
        self.globals = {'read_only': 'OFF', 'gtid_slave_pos': '',
                        'rpl_semi_sync_slave_enabled': 'OFF',
                        'rpl_semi_sync_master_enabled': 'OFF'}
        self.status = None
        self.gtid_current_pos = '0-7-20'

    def run(self, sql, args=None, dicts=False):
        self.statements.append((sql, args))
        if sql.startswith('CHANGE MASTER'):
            host, port, user, _password, _retry = args
            self.status = _status(Master_Host=host, Master_Port=port,
                                  Master_User=user, Slave_IO_Running='No',
                                  Slave_SQL_Running='No')
            self.use_gtid = sql.rsplit(' ', 1)[1]
        elif sql == 'START SLAVE':
            self.status.update(Slave_IO_Running='Yes',
                               Slave_SQL_Running='Yes')
        elif sql == 'STOP SLAVE' and self.status:
            self.status.update(Slave_IO_Running='No',
                               Slave_SQL_Running='No')
        elif sql == 'RESET SLAVE ALL':
            self.status = None
        return ()

    def value(self, sql, args=None):
        self.statements.append((sql, args))
        if 'MASTER_GTID_WAIT' in sql:
            return 0
        if 'gtid_current_pos' in sql:
            return self.gtid_current_pos
        if 'rpl_semi_sync_slave_enabled' in sql:
            return int(self.globals['rpl_semi_sync_slave_enabled'] == 'ON')
        raise AssertionError(sql)

    def slave_status(self):
        return dict(self.status) if self.status else None

    def set_global(self, name, value):
        self.statements.append(('SET GLOBAL %s' % name, (value,)))
        self.globals[name] = value

    def ran(self, prefix):
        return [args for sql, args in self.statements
                if sql.startswith(prefix)]


@pytest.fixture
def server():
    return FakeServer()


@pytest.fixture
def strategy(tmp_path, server, monkeypatch):
    strategy = mariadb_gtid.MariaDBGTIDReplication(_manager(tmp_path))

    @contextlib.contextmanager
    def session():
        yield server
    monkeypatch.setattr(strategy, '_session', session)
    seeded = []
    monkeypatch.setattr(strategy, '_seed_by_dump', seeded.append)
    strategy.dumps = seeded
    return strategy


def _role_config(strategy):
    with open(strategy.manager.paths.replication_cnf) as handle:
        return [line for line in handle.read().splitlines()
                if not line.startswith('#')]


def test_enable_as_source_generates_the_password_once(strategy, server):
    info = strategy.enable_as_source()
    assert info == {'host': '127.77.3.4', 'port': 3306, 'user': 'os_repl',
                    'password': info['password']}
    assert len(info['password']) >= 24
    assert strategy.enable_as_source() == info
    assert strategy.recorded()['role'] == base.SOURCE
    assert server.globals['read_only'] == 'OFF'
    # Outside the binary log, the account gets the password and grants.
    assert server.statements[0] == ('SET SESSION sql_log_bin = 0', None)
    assert server.ran('ALTER USER')[0] == ('os_repl', '%', info['password'])
    grant = [sql for sql, _ in server.statements if sql.startswith('GRANT')]
    assert grant[0].startswith('GRANT REPLICATION SLAVE, SELECT, ')
    assert _role_config(strategy) == ['[mysqld]']


def test_the_record_keeps_the_password_private(strategy, tmp_path):
    strategy.enable_as_source()
    path = tmp_path / base.RECORD_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    assert json.loads(path.read_text())['password']


def test_a_new_replica_starts_where_its_backup_ends(strategy, server):
    snapshot = {'backup': {'id': 'b-1'}, 'gtid': '0-1-15'}
    strategy.attach(SOURCE_INFO, snapshot)
    assert server.globals['gtid_slave_pos'] == '0-1-15'
    assert server.use_gtid == 'slave_pos'
    assert server.globals['read_only'] == 'ON'
    assert strategy.dumps == []
    recorded = strategy.recorded()
    assert recorded['role'] == base.REPLICA
    assert recorded['source'] == SOURCE_INFO
    assert 'read_only = ON' in _role_config(strategy)
    assert strategy.state()['source'] == {'host': '127.77.1.2', 'port': 3306}


def test_a_repeated_attach_keeps_the_position_and_the_stream(
        strategy, server):
    snapshot = {'backup': {'id': 'b-1'}, 'gtid': '0-1-15'}
    strategy.attach(SOURCE_INFO, snapshot)
    server.globals['gtid_slave_pos'] = '0-1-30'
    changes = len(server.ran('CHANGE MASTER'))
    strategy.attach(SOURCE_INFO, snapshot)
    assert server.globals['gtid_slave_pos'] == '0-1-30'
    assert len(server.ran('CHANGE MASTER')) == changes
    # A replica that had not finished: seeded once, not again.
    strategy.record(source=None)
    strategy.attach(SOURCE_INFO, snapshot)
    assert server.globals['gtid_slave_pos'] == '0-1-30'
    assert server.use_gtid == 'slave_pos'


def test_a_new_replica_without_a_backup_is_seeded_by_a_dump(
        strategy, server):
    strategy.attach(SOURCE_INFO, {'backup': None})
    assert strategy.dumps == [SOURCE_INFO]
    assert server.ran('SET GLOBAL gtid_slave_pos') == []
    assert server.use_gtid == 'slave_pos'
    strategy.record(role=None)
    strategy.attach(SOURCE_INFO, {'backup': None})
    assert strategy.dumps == [SOURCE_INFO]


def test_a_backup_without_gtid_is_refused(strategy, server):
    with pytest.raises(exception.BadValue):
        strategy.attach(SOURCE_INFO, {'backup': {'id': 'b-1'}})
    assert server.statements == []


def test_a_former_source_follows_from_its_own_position(strategy, server):
    strategy.enable_as_source()
    strategy.attach(SOURCE_INFO)
    assert server.use_gtid == 'current_pos'
    assert server.globals['rpl_semi_sync_master_enabled'] == 'OFF'
    # Re-pointed again as a replica: what it applied as one.
    strategy.attach(dict(SOURCE_INFO, host='127.77.9.9'))
    assert server.use_gtid == 'slave_pos'


def test_promote_applies_what_it_received_then_becomes_a_source(
        strategy, server):
    strategy.attach(SOURCE_INFO, {'backup': {'id': 'b'}, 'gtid': '0-1-5'})
    info = strategy.promote()
    statements = [sql for sql, _ in server.statements]
    stop_io = statements.index('STOP SLAVE IO_THREAD')
    wait = [n for n, sql in enumerate(statements)
            if 'MASTER_GTID_WAIT' in sql][0]
    assert stop_io < wait < statements.index('RESET SLAVE ALL')
    assert server.ran('SELECT MASTER_GTID_WAIT')[0][0] == '0-1-9'
    assert server.status is None
    assert server.globals['read_only'] == 'OFF'
    assert strategy.recorded()['role'] == base.SOURCE
    assert 'source' not in strategy.recorded()
    assert info['host'] == '127.77.3.4' and info['user'] == 'os_repl'
    assert strategy.promote() == info
    assert strategy.state()['role'] == base.SOURCE


def test_detach_makes_a_writable_standalone(strategy, server):
    strategy.attach(SOURCE_INFO, {'backup': {'id': 'b'}, 'gtid': '0-1-5'})
    strategy.detach()
    strategy.detach()
    assert server.status is None
    assert server.globals['read_only'] == 'OFF'
    assert 'role' not in strategy.recorded()
    assert strategy.state() == {'role': None, 'source': None,
                                'running': False, 'lag': None,
                                'position': [20], 'error': None}
    assert _role_config(strategy) == ['[mysqld]']


def test_semi_sync_by_configuration(strategy, server, override):
    override('replication_semi_sync', True, group='mariadb')
    override('replication_semi_sync_timeout', 2500, group='mariadb')
    strategy.enable_as_source()
    assert server.globals['rpl_semi_sync_master_enabled'] == 'ON'
    assert server.globals['rpl_semi_sync_master_wait_point'] == 'AFTER_SYNC'
    assert server.globals['rpl_semi_sync_master_timeout'] == 2500
    assert _role_config(strategy) == [
        '[mysqld]', 'rpl_semi_sync_master_enabled = ON',
        'rpl_semi_sync_master_wait_point = AFTER_SYNC',
        'rpl_semi_sync_master_timeout = 2500']
    strategy.attach(SOURCE_INFO)
    assert server.globals['rpl_semi_sync_master_enabled'] == 'OFF'
    assert server.globals['rpl_semi_sync_slave_enabled'] == 'ON'
    assert _role_config(strategy) == [
        '[mysqld]', 'read_only = ON', 'rpl_semi_sync_slave_enabled = ON']


def test_semi_sync_is_off_by_default(strategy, server):
    strategy.enable_as_source()
    assert server.globals['rpl_semi_sync_master_enabled'] == 'OFF'
    strategy.attach(SOURCE_INFO)
    assert server.globals['rpl_semi_sync_slave_enabled'] == 'OFF'
    assert _role_config(strategy) == ['[mysqld]', 'read_only = ON']


def test_snapshot_without_storage_is_a_direct_seeding(strategy):
    assert strategy.snapshot(SOURCE_INFO, None) == {'backup': None}


def _backup_result(**metadata):
    return {'location': '/b/snap-1.mariabackup.zst', 'checksum': 'c' * 32,
            'size': 10, 'backup_type': 'full',
            'metadata': dict({'strategy': 'mariabackup',
                              'compressor': 'zstd'}, **metadata)}


def test_snapshot_is_a_backup_and_its_gtid(strategy, monkeypatch):
    taken = []

    def take_backup(manager, backup_info):
        taken.append(backup_info)
        return _backup_result(gtid='0-1-42')
    monkeypatch.setattr(backups, 'take_backup', take_backup)
    storage = {'driver': 'local', 'path': '/b'}
    info = {'id': 'snap-1', 'instance_id': 'inst-1', 'backup_type': 'full',
            'storage': storage, 'parent': None}
    snapshot = strategy.snapshot(SOURCE_INFO, info)
    assert taken == [info]
    assert snapshot == {'backup': dict(_backup_result(gtid='0-1-42'),
                                       id='snap-1', storage=storage),
                        'gtid': '0-1-42'}


def test_a_backup_strategy_that_records_no_gtid_cannot_seed(
        strategy, monkeypatch):
    monkeypatch.setattr(backups, 'take_backup',
                        lambda manager, info: _backup_result())
    with pytest.raises(exception.DatastoreOperationNotSupported):
        strategy.snapshot(SOURCE_INFO, {'id': 'snap-1', 'storage': {}})
