"""Tests for the MySQL-family manager that need no server."""

import contextlib
import os

import pytest

from trove_lite.common import exception
from trove_lite.guestagent.datastores.mysql import manager
from trove_lite.guestagent import info as guest_info


@pytest.fixture
def mgr(tmp_path):
    info = guest_info.GuestInfo(guest_id='inst-1', datastore_manager='mysql',
                                instance_dir=str(tmp_path),
                                bind_host='127.77.0.1', port=3306)
    return manager.Manager(info)


def test_paths(mgr, tmp_path):
    assert mgr.paths.datadir == str(tmp_path / 'data')
    assert mgr.paths.pid_file == str(tmp_path / 'run' / 'mysqld.pid')


def test_my_cnf_includes_the_replication_role_last(mgr, tmp_path):
    assert mgr.paths.replication_cnf == str(tmp_path / 'replication.cnf')
    mgr._make_dirs(None)
    mgr._write_config(512)
    with open(mgr.paths.my_cnf) as handle:
        lines = handle.read().splitlines()
    assert lines[-1] == '!include %s' % mgr.paths.replication_cnf


def test_prepare_validates_names_first(mgr, tmp_path):
    with pytest.raises(exception.BadValue):
        mgr.prepare(512, [{'name': 'a`; DROP'}], [])
    assert not os.path.exists(mgr.paths.datadir)


# -- guest API 1.2: a root session per call, changes one at a time ------------

CALLS = [
    ('list_databases', (), False),
    ('create_databases', ([{'name': 'db'}],), True),
    ('delete_database', ('db',), True),
    ('list_users', (), False),
    ('get_user', ('app', '%'), False),
    ('create_users', ([{'name': 'app', 'password': 'p'}],), True),
    ('delete_user', ('app', '%'), True),
    ('update_user', ('app', '%', {'password': 'p'}), True),
    ('change_passwords', ([{'name': 'app', 'host': '%',
                            'password': 'p'}],), True),
    ('list_access', ('app', '%'), False),
    ('grant_access', ('app', '%', ['db']), True),
    ('revoke_access', ('app', '%', 'db'), True),
    ('enable_root', ('pw',), True),
    ('disable_root', (), True),
    ('is_root_enabled', (), False),
]


class RecordingAdmin:
    """Stands for ``admin.Admin``: records calls and whether the manager
    held its change lock during each.
    """

    def __init__(self, mgr):
        self.mgr = mgr
        self.calls = []

    def __getattr__(self, name):
        def _call(*args):
            locked = not self.mgr._sql_lock.acquire(blocking=False)
            if not locked:
                self.mgr._sql_lock.release()
            self.calls.append((name, args, locked))
            return 'result of %s' % name
        return _call


@pytest.mark.parametrize('method, args, changes', CALLS)
def test_api_1_2_delegates_to_admin_over_the_socket(mgr, monkeypatch,
                                                    method, args, changes):
    recorder = RecordingAdmin(mgr)
    sockets = []

    @contextlib.contextmanager
    def session(socket_path):
        sockets.append(socket_path)
        yield recorder

    monkeypatch.setattr(manager.admin, 'session', session)
    result = getattr(mgr, method)(*args)
    assert recorder.calls == [(method, args, changes)]
    assert sockets == [mgr.paths.socket]
    if method.startswith(('list_', 'get_', 'is_', 'enable_')):
        assert result == 'result of %s' % method
    else:
        assert result is None
    assert mgr._sql_lock.acquire(blocking=False)
    mgr._sql_lock.release()


def test_api_1_2_releases_the_lock_on_errors(mgr, monkeypatch):
    @contextlib.contextmanager
    def session(socket_path):
        raise exception.GuestError(message='down')
        yield

    monkeypatch.setattr(manager.admin, 'session', session)
    with pytest.raises(exception.GuestError):
        mgr.create_databases([{'name': 'db'}])
    assert mgr._sql_lock.acquire(blocking=False)
    mgr._sql_lock.release()


def test_api_1_2_without_a_server_is_a_clear_guest_error(mgr):
    with pytest.raises(exception.GuestError) as caught:
        mgr.list_users()
    assert 'does not accept connections' in str(caught.value)
    assert mgr.paths.socket not in str(caught.value)
