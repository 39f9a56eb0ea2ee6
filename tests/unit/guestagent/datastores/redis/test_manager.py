"""Tests for the Redis manager that need no server.

Processes are stand-ins (a sleeping Python with the instance's
``redis.conf`` on its command line, a script that fails like a server
that cannot start) and the admin connection is a fake that records
commands.
"""

import os
import stat

import pytest

from trove_lite.common import exception
from trove_lite.guestagent.datastores.redis import admin
from trove_lite.guestagent.datastores.redis import config
from trove_lite.guestagent.datastores.redis import manager
from trove_lite.guestagent import info as guest_info


def _info(instance_dir, **kwargs):
    return guest_info.GuestInfo(guest_id='inst-1', datastore_manager='redis',
                                instance_dir=str(instance_dir),
                                bind_host='127.77.0.1', **kwargs)


@pytest.fixture
def mgr(tmp_path):
    return manager.Manager(_info(tmp_path, port=6379))


class FakeConnection:
    def __init__(self, log, fail=None):
        self.log = log
        self.fail = fail

    def command(self, *args):
        self.log.append(list(args))
        if self.fail and args[:2] == self.fail:
            raise admin.ReplyError('ERR cannot save')
        return 'OK'

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


class CommandLog(list):
    """Commands sent; ``fail`` names a command the fake refuses."""

    fail = None


@pytest.fixture
def fake_admin(mgr, monkeypatch):
    """The commands the manager sends as os_admin."""
    log = CommandLog()

    def connect(path, password, timeout=admin.CONNECT_TIMEOUT):
        assert path == mgr.paths.socket
        assert password == 'agent-secret'
        return FakeConnection(log, log.fail)

    monkeypatch.setattr(admin, 'connect', connect)
    os.makedirs(mgr.paths.instance_dir, exist_ok=True)
    with open(mgr.paths.admin_secret, 'w') as handle:
        handle.write('agent-secret\n')
    return log


def test_paths(mgr, tmp_path):
    assert mgr.paths.datadir == str(tmp_path / 'data')
    assert mgr.paths.conf == str(tmp_path / 'redis.conf')
    assert mgr.paths.acl_file == str(tmp_path / 'data' / 'users.acl')
    assert mgr.paths.socket == str(tmp_path / 'run' / 'redis.sock')


def test_default_port(tmp_path):
    assert manager.Manager(_info(tmp_path)).port == 6379


def test_needs_an_instance_dir():
    with pytest.raises(exception.GuestError):
        manager.Manager(guest_info.GuestInfo(guest_id='x'))


@pytest.mark.parametrize('databases, users', [
    ([{'name': 'app'}], []),
    ([], [{'name': 'app', 'password': 'x', 'databases': []}])])
def test_prepare_refuses_databases_and_users(mgr, databases, users):
    with pytest.raises(exception.BadValue) as caught:
        mgr.prepare(512, databases, users, root_password='pw')
    assert 'Redis has no databases or users' in str(caught.value)
    assert not os.path.exists(mgr.paths.datadir)


def test_prepare_refuses_an_empty_root_password(mgr):
    with pytest.raises(exception.BadValue):
        mgr.prepare(512, [], [], root_password='')
    assert not os.path.exists(mgr.paths.datadir)


def test_server_binary_must_be_recent(mgr, monkeypatch):
    monkeypatch.setattr(manager, 'server_version', lambda binary: (6, 0, 16))
    with pytest.raises(exception.GuestError) as caught:
        mgr._server_binary()
    assert 'version 6.0.16' in str(caught.value)
    assert 'Redis 6.2 or newer' in str(caught.value)
    monkeypatch.setattr(manager, 'server_version', lambda binary: None)
    with pytest.raises(exception.GuestError) as caught:
        mgr._server_binary()
    assert 'version unknown' in str(caught.value)


def test_server_binary_missing(mgr, monkeypatch):
    monkeypatch.setattr(manager, 'SERVER_BINARIES', ('no-such-redis-xyz',))
    with pytest.raises(exception.GuestError) as caught:
        mgr._server_binary()
    assert 'redis-server' in str(caught.value)


def test_write_acl_creates_the_agent_secret_once(mgr):
    os.makedirs(mgr.paths.datadir)
    mgr._write_acl(None)
    secret = mgr._read_secret()
    assert secret
    assert stat.S_IMODE(os.stat(mgr.paths.admin_secret).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(mgr.paths.acl_file).st_mode) == 0o600
    with open(mgr.paths.acl_file) as handle:
        first = handle.read()
    assert config.acl_line('os_admin', secret, config.ADMIN_RULES) in first
    assert secret not in first.replace(config.password_hash(secret), '')
    # Repeating keeps the agent's password and the default line.
    mgr._write_acl(None)
    assert mgr._read_secret() == secret
    with open(mgr.paths.acl_file) as handle:
        assert handle.read() == first


def test_write_config_writes_the_conf_and_the_accounts(mgr):
    os.makedirs(mgr.paths.datadir)
    mgr._write_config(1024)
    with open(mgr.paths.conf) as handle:
        lines = handle.read().splitlines()
    assert 'bind 127.77.0.1' in lines
    assert 'maxmemory 768mb' in lines
    assert mgr._initialised()
    # The replication role's file, included last, exists (the server
    # refuses to start without it), private to the server's user.
    assert lines[-1] == 'include %s' % mgr.paths.replication_conf
    assert stat.S_IMODE(os.stat(mgr.paths.replication_conf).st_mode) == \
        0o600


def test_write_config_keeps_the_replication_role(mgr):
    os.makedirs(mgr.paths.datadir)
    mgr.write_replication_config({'replica-read-only': 'yes'})
    mgr._write_config(1024)
    with open(mgr.paths.replication_conf) as handle:
        assert 'replica-read-only yes' in handle.read().splitlines()


def test_an_older_conf_gets_the_include(mgr):
    os.makedirs(mgr.paths.instance_dir, exist_ok=True)
    with open(mgr.paths.conf, 'w') as handle:
        handle.write('port 6379\n')
    mgr.write_replication_config({})
    mgr.write_replication_config({})
    with open(mgr.paths.conf) as handle:
        assert handle.read().splitlines() == [
            'port 6379', 'include %s' % mgr.paths.replication_conf]


def test_copy_root_changes_nothing_when_the_passwords_are_the_same(
        mgr, fake_admin, monkeypatch):
    monkeypatch.setattr(admin, 'root_password_hashes',
                        lambda conn: ['bb', 'aa'])
    mgr.copy_root(['aa', 'bb'], enabled=True)
    assert fake_admin == []
    assert mgr.is_root_enabled()
    mgr.copy_root(['cc'], enabled=False)
    assert fake_admin == [
        ['ACL', 'SETUSER', 'default', 'on', 'resetpass', '#cc'],
        ['ACL', 'SAVE'], ['CLIENT', 'KILL', 'USER', 'default']]
    assert not mgr.is_root_enabled()


def test_enable_root(mgr, fake_admin):
    assert not mgr.is_root_enabled()
    assert mgr.enable_root('new-pw') == {'name': 'default',
                                         'password': 'new-pw'}
    assert fake_admin == [
        ['ACL', 'SETUSER', 'default', 'on', 'resetpass', '>new-pw'],
        ['ACL', 'SAVE']]
    assert mgr.is_root_enabled()


def test_enable_root_refuses_an_empty_password(mgr, fake_admin):
    with pytest.raises(exception.BadValue):
        mgr.enable_root('')
    assert fake_admin == []


def test_disable_root(mgr, fake_admin):
    mgr.enable_root('new-pw')
    del fake_admin[:]
    mgr.disable_root()
    assert not mgr.is_root_enabled()
    setuser, save, kill = fake_admin
    assert setuser[:5] == ['ACL', 'SETUSER', 'default', 'on', 'resetpass']
    assert setuser[5].startswith('>') and len(setuser[5]) > 30
    assert save == ['ACL', 'SAVE']
    assert kill == ['CLIENT', 'KILL', 'USER', 'default']


def test_enable_root_that_cannot_be_saved_is_not_recorded(mgr, fake_admin):
    fake_admin.fail = ('ACL', 'SAVE')
    with pytest.raises(exception.GuestError) as caught:
        mgr.enable_root('new-pw')
    assert 'refused to change the password' in str(caught.value)
    assert not mgr.is_root_enabled()


def test_root_needs_the_agent_secret(mgr):
    with pytest.raises(exception.GuestError) as caught:
        mgr.enable_root('pw')
    assert 'no agent password' in str(caught.value)


def test_databases_and_users_are_not_supported(mgr):
    for call in (mgr.list_databases, mgr.list_users,
                 lambda: mgr.create_databases([{'name': 'a'}]),
                 lambda: mgr.create_users([])):
        with pytest.raises(exception.DatastoreOperationNotSupported):
            call()


def test_failing_start_reports_the_console_tail(mgr, tmp_path, monkeypatch):
    fake = tmp_path / 'fake-redis-server'
    fake.write_text('#!/bin/sh\necho "*** FATAL CONFIG FILE ERROR ***" >&2\n'
                    'exit 1\n')
    fake.chmod(0o755)
    monkeypatch.setattr(manager.process, 'find_binary',
                        lambda names, **kwargs: str(fake))
    monkeypatch.setattr(manager, 'server_version', lambda binary: (7, 0, 0))
    monkeypatch.setattr(mgr, '_run_as', lambda: None)
    os.makedirs(mgr.paths.datadir)
    os.makedirs(mgr.paths.rundir)
    os.makedirs(mgr.paths.logdir)
    mgr._write_config(64)
    mgr._write_acl(None)
    with pytest.raises(exception.GuestError) as caught:
        mgr.start_db()
    message = str(caught.value)
    assert 'redis-server exited with code 1 while starting' in message
    assert 'FATAL CONFIG FILE ERROR' in message
    assert mgr.paths.console_log in message


def test_error_prefers_the_server_log(mgr):
    os.makedirs(mgr.paths.logdir)
    with open(mgr.paths.console_log, 'w') as handle:
        handle.write('console line\n')
    assert 'console line' in str(mgr._error('boom'))
    with open(mgr.paths.log_file, 'w') as handle:
        handle.write('bind: Address already in use\n')
    message = str(mgr._error('boom'))
    assert 'Address already in use' in message
    assert 'console line' not in message


# -- configuration groups ----------------------------------------------------

class FakeConfigServer:
    """A server's CONFIG GET / SET: ``values`` it runs with, ``immutable``
    directives, ``refused`` values (``{directive: value}``); ``log``
    records the commands.
    """

    def __init__(self, values, immutable=(), refused=None,
                 immutable_message="can't set immutable config"):
        self.values = dict(values)
        self.immutable = set(immutable)
        self.refused = refused or {}
        self.immutable_message = immutable_message
        self.log = []

    def command(self, *args):
        self.log.append(list(args))
        verb, name = args[1], args[2]
        if verb == 'GET':
            if name not in self.values:
                return []
            return [name.encode(), self.values[name].encode()]
        value = args[3]
        if name not in self.values:
            raise admin.ReplyError(
                "ERR Unknown option or number of arguments for CONFIG SET "
                "- '%s'" % name)
        if name in self.immutable:
            raise admin.ReplyError(
                "ERR CONFIG SET failed (possibly related to argument '%s') "
                "- %s" % (name, self.immutable_message))
        if self.refused.get(name) == value:
            raise admin.ReplyError(
                "ERR CONFIG SET failed (possibly related to argument '%s') "
                "- argument must be 'yes' or 'no'" % name)
        self.values[name] = value
        return 'OK'

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


BUILT_IN = {'maxmemory-policy': 'noeviction', 'hz': '10', 'timeout': '0',
            'databases': '16', 'appendonly': 'yes', 'maxmemory': '402653184'}


@pytest.fixture
def redis(mgr, monkeypatch):
    """A fake server the manager's ``_admin`` reaches; the instance's
    configuration written.
    """
    server = FakeConfigServer(BUILT_IN, immutable=['databases'],
                              refused={'appendonly': 'maybe',
                                       'timeout': 'never'})
    monkeypatch.setattr(manager.Manager, '_admin', lambda self: server)
    os.makedirs(mgr.paths.datadir, exist_ok=True)
    mgr._write_config(512)
    return server


def _conf_lines(mgr):
    with open(mgr.paths.conf) as handle:
        return handle.read().splitlines()


def test_apply_configuration_sets_live_and_writes_the_file(mgr, redis):
    result = mgr.apply_configuration(
        {'maxmemory-policy': 'allkeys-lru', 'hz': 50, 'appendonly': False,
         'databases': 4, 'timeout': 30}, 512)
    assert result == {'pending_restart': ['databases']}
    assert redis.values['maxmemory-policy'] == 'allkeys-lru'
    assert redis.values['hz'] == '50'
    assert redis.values['appendonly'] == 'no'
    assert redis.values['databases'] == '16'
    lines = _conf_lines(mgr)
    for line in ('maxmemory-policy allkeys-lru', 'hz 50', 'appendonly no',
                 'databases 4', 'timeout 30'):
        assert line in lines
    assert lines[-1] == 'include %s' % mgr.paths.replication_conf
    assert mgr.config_overrides() == {
        'maxmemory-policy': 'allkeys-lru', 'hz': 50, 'appendonly': False,
        'databases': 4, 'timeout': 30}
    # The server's own values of what no lower layer sets, for later.
    assert mgr._builtin_values() == {'hz': '10', 'timeout': '0',
                                     'databases': '16'}


def test_dropped_overrides_go_back_to_the_layers_or_the_server(mgr, redis):
    mgr.apply_configuration({'maxmemory-policy': 'allkeys-lru', 'hz': 50,
                             'maxmemory': 1000000}, 512)
    del redis.log[:]
    assert mgr.apply_configuration({}, 512) == {'pending_restart': []}
    assert redis.values['maxmemory-policy'] == 'noeviction'   # defaults
    assert redis.values['maxmemory'] == '384mb'               # flavor
    assert redis.values['hz'] == '10'                         # built in
    assert ['CONFIG', 'SET', 'hz', '10'] in redis.log
    assert mgr._builtin_values() == {}
    lines = _conf_lines(mgr)
    assert 'maxmemory-policy noeviction' in lines
    assert not [line for line in lines if line.startswith('hz ')]


def test_an_override_since_prepare_goes_back_at_the_restart(mgr, redis):
    # Saved by prepare: the server never ran without it, so its own
    # value is not known.
    mgr.save_overrides({'timeout': 30})
    redis.values['timeout'] = '30'
    assert mgr.apply_configuration({}, 512) == {
        'pending_restart': ['timeout']}
    assert redis.values['timeout'] == '30'
    assert not [line for line in _conf_lines(mgr)
                if line.startswith('timeout ')]


def test_a_refused_value_sets_back_and_restores(mgr, redis):
    mgr.apply_configuration({'maxmemory-policy': 'allkeys-lru'}, 512)
    before = _conf_lines(mgr)
    del redis.log[:]
    with pytest.raises(exception.GuestError) as caught:
        mgr.apply_configuration({'hz': 50, 'timeout': 'never'}, 512)
    assert "refused timeout 'never'" in str(caught.value)
    # In name order: hz was set, and the policy the new set drops went
    # back to the default; both were set back when timeout was refused.
    sets = [args[2:] for args in redis.log if args[1] == 'SET']
    assert sets == [['hz', '50'], ['maxmemory-policy', 'noeviction'],
                    ['timeout', 'never'], ['maxmemory-policy', 'allkeys-lru'],
                    ['hz', '10']]
    assert redis.values == dict(BUILT_IN, **{
        'maxmemory-policy': 'allkeys-lru'})
    assert _conf_lines(mgr) == before
    assert mgr.config_overrides() == {'maxmemory-policy': 'allkeys-lru'}
    assert mgr._builtin_values() == {}


def test_an_unknown_directive_is_refused(mgr, redis):
    with pytest.raises(exception.GuestError) as caught:
        mgr.apply_configuration({'no-such-thing': 1}, 512)
    assert 'Unknown option' in str(caught.value)
    assert mgr.config_overrides() == {}


def test_redis_6_immutable_directives_are_pending(mgr, redis):
    redis.immutable_message = None
    redis.immutable = set()

    def refuse_as_6_2(*args):
        if args[:3] == ('CONFIG', 'SET', 'databases'):
            raise admin.ReplyError('ERR Unsupported CONFIG parameter: '
                                   'databases')
        return FakeConfigServer.command(redis, *args)

    redis.command = refuse_as_6_2
    assert mgr.apply_configuration({'databases': 4}, 512) == {
        'pending_restart': ['databases']}


def test_the_same_overrides_need_no_server(mgr, monkeypatch):
    mgr.save_overrides({'hz': 50})
    monkeypatch.setattr(manager.Manager, '_admin', None)
    assert mgr.apply_configuration({'hz': 50}, 512) == {
        'pending_restart': []}


@pytest.mark.parametrize('overrides', [
    {'dir': '/tmp'}, {'port': 1}, {'replicaof': 'no one'},
    {'masterauth': 'x'}, {'min-replicas-to-write': 0},
    {'rename-command': 'CONFIG ""'}, {'loadmodule': '/x.so'},
    {'requirepass': 'x'}, {'tls-cert-file': '/x'}, {'dbfilename': 'x'},
    {'Maxmemory': 1}, {'max memory': 1}, {'hz': None}, {'hz': [1]},
    {'save': '900 1\nloadmodule /x.so'}])
def test_apply_configuration_validates_before_the_server_is_asked(
        mgr, overrides, monkeypatch):
    monkeypatch.setattr(manager.Manager, '_admin', None)
    with pytest.raises(exception.BadValue):
        mgr.apply_configuration(overrides, 512)


def test_configuration_defaults_follow_the_flavor(mgr):
    assert mgr.configuration_defaults(512) == {
        'loglevel': 'notice', 'always-show-logo': 'no', 'appendonly': 'yes',
        'appendfsync': 'everysec', 'maxmemory-policy': 'noeviction',
        'maxmemory': '384mb'}
    assert mgr.configuration_defaults(2048)['maxmemory'] == '1536mb'
