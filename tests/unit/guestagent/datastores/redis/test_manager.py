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
                        lambda names: str(fake))
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
