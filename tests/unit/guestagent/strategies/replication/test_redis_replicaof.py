"""The ``redis_replicaof`` replication strategy without a server: its
checks and state, its record and role configuration, and the decisions
of its steps on a simulated server (``FakeRedis``, behind the manager's
agent connection; the real one is
``tests/functional/test_replication_redis.py``).
"""

import json
import os

import pytest

from trove_lite.common import exception
from trove_lite.common import plugins
from trove_lite.conf import datastores as datastores_conf
from trove_lite.guestagent.datastores.redis import admin
from trove_lite.guestagent.datastores.redis import config
from trove_lite.guestagent.datastores.redis import manager as redis_manager
from trove_lite.guestagent import info as guest_info
from trove_lite.guestagent.strategies.replication import base
from trove_lite.guestagent.strategies.replication import redis_replicaof

SOURCE_HASH = 'a' * 64
SOURCE_INFO = {'host': '127.77.1.2', 'port': 6379, 'user': 'os_repl',
               'password': 'pw-1', 'root_password_hashes': [SOURCE_HASH],
               'root_enabled': True}
LINK = {'host': '127.77.1.2', 'port': 6379, 'user': 'os_repl',
        'password': 'pw-1'}


def _manager(tmp_path):
    info = guest_info.GuestInfo(
        guest_id='inst-1', datastore_manager='redis',
        datastore_version='7.0', instance_dir=str(tmp_path),
        bind_host='127.77.3.4', port=6379)
    return redis_manager.Manager(info)


def test_installed_and_the_redis_default(tmp_path):
    manager = _manager(tmp_path)
    strategy = plugins.load(datastores_conf.REPLICATION_NAMESPACE,
                            'redis_replicaof', args=(manager,))
    assert isinstance(strategy, redis_replicaof.RedisReplicaOf)
    assert isinstance(manager.replication(), redis_replicaof.RedisReplicaOf)


# -- checks and state ---------------------------------------------------------

@pytest.mark.parametrize('change', [
    {'host': 'a\nb'}, {'host': ''}, {'host': 'a b'}, {'port': '6379'},
    {'port': True}, {'port': 0}, {'port': 65536}, {'user': 'os repl'},
    {'user': None}, {'password': ''}, {'password': 'a b'},
    {'password': 'a\nb'}, {'password': None},
    {'root_password_hashes': []}, {'root_password_hashes': 'a' * 64},
    {'root_password_hashes': ['A' * 64]}, {'root_password_hashes': ['a']},
    {'root_password_hashes': ['a' * 64] * 17}, {'root_enabled': 'yes'},
    {'root_enabled': None}])
def test_a_source_a_replica_must_not_use_is_refused(change):
    with pytest.raises(exception.BadValue):
        redis_replicaof.check_source(dict(SOURCE_INFO, **change))


def test_a_source_keeps_only_what_a_replica_uses():
    assert redis_replicaof.check_source(dict(SOURCE_INFO, extra=1)) == \
        SOURCE_INFO
    with pytest.raises(exception.BadValue):
        redis_replicaof.check_source(None)


def _replica_info(**values):
    info = {'role': 'slave', 'master_host': '127.77.1.2',
            'master_port': '6379', 'master_link_status': 'up',
            'master_last_io_seconds_ago': '3', 'master_sync_in_progress': '0',
            'slave_read_repl_offset': '1500', 'slave_repl_offset': '1500',
            'master_repl_offset': '1500'}
    info.update(values)
    return info


def test_state_of_a_source_and_a_standalone():
    master = {'role': 'master', 'master_repl_offset': '2048'}
    assert redis_replicaof.parse_state('source', master) == {
        'role': 'source', 'source': None, 'running': False, 'lag': None,
        'position': 2048, 'error': None}
    assert redis_replicaof.parse_state(None, master)['error'] is None


def test_state_of_a_running_replica():
    assert redis_replicaof.parse_state('replica', _replica_info()) == {
        'role': 'replica', 'source': {'host': '127.77.1.2', 'port': 6379},
        'running': True, 'lag': 3.0, 'position': 1500, 'error': None}


def test_a_replica_position_is_what_it_processed():
    state = redis_replicaof.parse_state('replica', _replica_info(
        slave_read_repl_offset='1600', slave_repl_offset='1550'))
    assert state['position'] == 1550


def test_positions_order_by_how_far_the_data_goes():
    behind = redis_replicaof.parse_state('replica', _replica_info(
        slave_repl_offset='900'))
    ahead = redis_replicaof.parse_state('replica', _replica_info())
    source = redis_replicaof.parse_state('source', {
        'role': 'master', 'master_repl_offset': '1500'})
    assert behind['position'] < ahead['position'] == source['position']


def test_state_of_a_replica_whose_link_is_down():
    down = redis_replicaof.parse_state('replica', _replica_info(
        master_link_status='down', master_last_io_seconds_ago='-1',
        master_link_down_since_seconds='12'))
    assert down['running'] is False and down['lag'] is None
    assert down['error'] == ('The replication link to 127.77.1.2:6379 is '
                             'down (for 12 seconds).')
    syncing = redis_replicaof.parse_state('replica', _replica_info(
        master_link_status='down', master_sync_in_progress='1'))
    assert 'full synchronisation' in syncing['error']


def test_state_of_a_server_that_disagrees_with_its_record():
    lost = redis_replicaof.parse_state('replica', {
        'role': 'master', 'master_repl_offset': '10'})
    assert lost['source'] is None
    assert lost['error'] == 'The server follows no replication source.'
    stray = redis_replicaof.parse_state('source', _replica_info())
    assert stray['source'] == {'host': '127.77.1.2', 'port': 6379}
    assert 'recorded role is source' in stray['error']


def test_a_state_without_an_offset_has_no_position():
    assert redis_replicaof.parse_state(None, {})['position'] is None


# -- a strategy on a simulated server ----------------------------------------

class FakeRedis:
    """What the agent's commands do to a Redis server, simulated."""

    def __init__(self):
        self.commands = []
        self.config = {'masteruser': '', 'masterauth': '',
                       'replica-read-only': 'yes',
                       'min-replicas-to-write': '0'}
        self.master = None
        self.offset = 1500
        self.users = {'default': ['b' * 64]}

    def command(self, *args):
        args = [str(arg) for arg in args]
        self.commands.append(args)
        name = args[0].upper()
        if args[:2] == ['CONFIG', 'SET']:
            self.config[args[2]] = args[3]
        elif name == 'REPLICAOF':
            self.master = None if args[1:] == ['NO', 'ONE'] else \
                (args[1], int(args[2]))
        elif name == 'INFO':
            return self._info().encode()
        elif args[:2] == ['ACL', 'GETUSER']:
            return [b'flags', [b'on'], b'passwords',
                    [item.encode() for item in self.users[args[2]]]]
        elif args[:2] == ['ACL', 'SETUSER']:
            self.users[args[2]] = [item[1:] for item in args[3:]
                                   if item[:1] in '#>']
        elif name == 'CLIENT':
            return 0
        return 'OK'

    def _info(self):
        if self.master is None:
            lines = ['role:master', 'master_repl_offset:%d' % self.offset]
        else:
            lines = ['role:slave', 'master_host:%s' % self.master[0],
                     'master_port:%d' % self.master[1],
                     'master_link_status:up',
                     'master_last_io_seconds_ago:1',
                     'slave_repl_offset:%d' % self.offset]
        return '# Replication\r\n' + '\r\n'.join(lines) + '\r\n'

    def sent(self, *prefix):
        return [args for args in self.commands
                if args[:len(prefix)] == list(prefix)]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


@pytest.fixture
def server():
    return FakeRedis()


@pytest.fixture
def strategy(tmp_path, server, monkeypatch):
    manager = _manager(tmp_path)
    monkeypatch.setattr(manager, '_admin', lambda: server)
    monkeypatch.setattr(manager, '_run_as', lambda: None)
    return redis_replicaof.RedisReplicaOf(manager)


def _role_config(strategy):
    path = strategy.manager.paths.replication_conf
    assert os.stat(path).st_mode & 0o777 == 0o600
    with open(path) as handle:
        return [line for line in handle.read().splitlines()
                if not line.startswith('#')]


def test_enable_as_source_generates_the_password_once(strategy, server):
    info = strategy.enable_as_source()
    assert info == {'host': '127.77.3.4', 'port': 6379, 'user': 'os_repl',
                    'password': info['password'],
                    'root_password_hashes': ['b' * 64],
                    'root_enabled': False}
    assert len(info['password']) >= 24
    assert strategy.enable_as_source() == info
    assert strategy.recorded()['role'] == base.SOURCE
    # The account: only its password, only a replica's commands.
    setuser = server.sent('ACL', 'SETUSER', 'os_repl')[0]
    assert setuser[3:6] == ['reset', 'on', '>' + info['password']]
    assert setuser[6:] == list(config.REPL_RULES)
    assert '-@all' in setuser and '+psync' in setuser
    assert server.sent('ACL', 'SAVE')
    assert server.config['min-replicas-to-write'] == '0'
    assert _role_config(strategy) == []


def test_the_record_keeps_the_password_private(strategy, tmp_path):
    strategy.enable_as_source()
    path = tmp_path / base.RECORD_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    assert json.loads(path.read_text())['password']


def test_fence_refuses_writes_until_lifted_and_across_a_restart(
        strategy, server):
    strategy.enable_as_source()
    strategy.fence()
    assert server.config['min-replicas-to-write'] == str(
        config.FENCE_MIN_REPLICAS)
    assert strategy.recorded()['fenced'] is True
    assert _role_config(strategy) == ['min-replicas-to-write 2147483647']
    # A source again (the revert of a failed promote) lifts it.
    strategy.enable_as_source()
    assert server.config['min-replicas-to-write'] == '0'
    assert 'fenced' not in strategy.recorded()
    assert _role_config(strategy) == []


def test_a_fence_is_recorded_before_the_server_is_told(
        strategy, server, monkeypatch):
    strategy.enable_as_source()

    def refuse(*args):
        raise admin.ReplyError('ERR busy')
    monkeypatch.setattr(server, 'command', refuse)
    with pytest.raises(exception.GuestError):
        strategy.fence()
    assert _role_config(strategy) == ['min-replicas-to-write 2147483647']


def test_a_new_replica_follows_with_the_account_and_the_tenants_password(
        strategy, server):
    strategy.attach(SOURCE_INFO, {'backup': None})
    assert server.master == ('127.77.1.2', 6379)
    assert (server.config['masteruser'], server.config['masterauth'],
            server.config['replica-read-only']) == ('os_repl', 'pw-1', 'yes')
    recorded = strategy.recorded()
    assert recorded['role'] == base.REPLICA
    assert recorded['source'] == LINK
    assert _role_config(strategy) == [
        'replicaof 127.77.1.2 6379', 'masteruser os_repl',
        'masterauth pw-1', 'replica-read-only yes']
    # default has the source's passwords; its old sessions are closed.
    assert server.users['default'] == [SOURCE_HASH]
    assert server.sent('ACL', 'SETUSER', 'default')[0][3:] == [
        'on', 'resetpass', '#' + SOURCE_HASH]
    assert server.sent('CLIENT', 'KILL', 'USER', 'default')
    assert strategy.manager.is_root_enabled()
    assert strategy.state() == {
        'role': 'replica', 'source': {'host': '127.77.1.2', 'port': 6379},
        'running': True, 'lag': 1.0, 'position': 1500, 'error': None}


def test_a_repeated_attach_changes_nothing(strategy, server):
    strategy.attach(SOURCE_INFO, {'backup': None})
    sent = len(server.commands)
    strategy.attach(SOURCE_INFO, {'backup': None})
    again = server.commands[sent:]
    assert not [args for args in again if args[0] in ('REPLICAOF', 'CLIENT')]
    assert not [args for args in again if args[:2] == ['ACL', 'SETUSER']]


def test_a_new_account_password_reconnects_the_link(strategy, server):
    strategy.attach(SOURCE_INFO)
    sent = len(server.commands)
    strategy.attach(dict(SOURCE_INFO, password='pw-2'))
    again = server.commands[sent:]
    assert ['CLIENT', 'KILL', 'TYPE', 'master'] in again
    assert not [args for args in again if args[0] == 'REPLICAOF']
    assert server.config['masterauth'] == 'pw-2'
    assert 'masterauth pw-2' in _role_config(strategy)


def test_a_root_state_disabled_on_the_source_is_copied(strategy, server):
    strategy.manager.enable_root('pw')
    strategy.attach(dict(SOURCE_INFO, root_enabled=False))
    assert not strategy.manager.is_root_enabled()


def test_a_fenced_source_follows_before_its_fence_is_lifted(
        strategy, server):
    strategy.enable_as_source()
    strategy.fence()
    sent = len(server.commands)
    strategy.attach(SOURCE_INFO)
    again = server.commands[sent:]
    follow = again.index(['REPLICAOF', '127.77.1.2', '6379'])
    lift = again.index(['CONFIG', 'SET', 'min-replicas-to-write', '0'])
    assert follow < lift
    assert 'fenced' not in strategy.recorded()
    assert 'min-replicas-to-write 2147483647' not in _role_config(strategy)


def test_an_invalid_source_is_refused_before_anything_is_sent(
        strategy, server):
    with pytest.raises(exception.BadValue):
        strategy.attach(dict(SOURCE_INFO, host='a b'))
    assert server.commands == []
    assert strategy.recorded() == {}


def test_promote_becomes_a_writable_source(strategy, server):
    strategy.attach(SOURCE_INFO, {'backup': None})
    info = strategy.promote()
    assert server.master is None
    assert server.sent('REPLICAOF', 'NO', 'ONE')
    assert (server.config['masteruser'], server.config['masterauth'],
            server.config['min-replicas-to-write']) == ('', '', '0')
    recorded = strategy.recorded()
    assert recorded['role'] == base.SOURCE and 'source' not in recorded
    assert info['host'] == '127.77.3.4' and info['user'] == 'os_repl'
    assert info['root_password_hashes'] == [SOURCE_HASH]
    assert info['root_enabled'] is True
    assert strategy.promote() == info
    assert _role_config(strategy) == []
    assert strategy.state()['role'] == base.SOURCE


def test_detach_makes_a_writable_standalone(strategy, server):
    strategy.attach(SOURCE_INFO, {'backup': None})
    strategy.detach()
    strategy.detach()
    assert server.master is None
    assert server.config['masterauth'] == ''
    assert 'role' not in strategy.recorded()
    assert 'source' not in strategy.recorded()
    assert strategy.state() == {'role': None, 'source': None,
                                'running': False, 'lag': None,
                                'position': 1500, 'error': None}
    assert _role_config(strategy) == []


def test_a_refused_command_is_a_guest_error(strategy, server, monkeypatch):
    def refuse(*args):
        raise admin.ReplyError('ERR no')
    monkeypatch.setattr(server, 'command', refuse)
    with pytest.raises(exception.GuestError) as caught:
        strategy.state()
    assert 'refused INFO' in str(caught.value)


def test_a_refused_account_is_a_guest_error(strategy, server, monkeypatch):
    def refuse(*args):
        raise admin.ReplyError('ERR There was an error trying to save')
    monkeypatch.setattr(server, 'command', refuse)
    with pytest.raises(exception.GuestError) as caught:
        strategy.enable_as_source()
    assert 'error trying to save' in str(caught.value)
    assert 'role' not in strategy.recorded()


def test_a_broken_connection_is_a_guest_error(strategy, server, monkeypatch):
    def broken(*args):
        raise admin.ProtocolError('connection closed by the server')
    monkeypatch.setattr(server, 'command', broken)
    with pytest.raises(exception.GuestError) as caught:
        strategy.detach()
    assert 'connection to redis-server broke' in str(caught.value)


def test_redis_seeds_a_replica_itself(strategy):
    assert strategy.seed(SOURCE_INFO, {'backup': None}, None) is False
    assert strategy.snapshot(SOURCE_INFO, None) == {'backup': None}
    assert strategy.snapshot(SOURCE_INFO, {'id': 'snap-1'}) == {
        'backup': None}
