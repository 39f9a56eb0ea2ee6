"""A real PostgreSQL instance driven through its guest agent.

The agent runs in-process (as in ``trove-lite-all``) on the in-memory bus,
reads its identity from a ``guest_info.conf`` in a fresh instance
directory, and is driven through ``GuestAgentAPI`` exactly as the
taskmanager drives it. A fake conductor on the same bus collects the
heartbeats and faults. The server is this machine's ``postgres``, bound
to a loopback address of its own (never 127.0.0.1:5432, where the
machine's own PostgreSQL listens), and every access rule is checked by
logging in over TCP as the tenant would.

One server serves the whole module (an initdb and a start cost seconds);
the tests run in file order and the last one stops it.

A missing ``postgres`` is a failure, not a skip: these tests exist to
prove the agent runs the real server.
"""

import os
import socket
import time

import psycopg
import pytest

from tests.functional import fixtures
from tests.functional import guests
from trove_lite.common import exception
from trove_lite.guestagent.datastores.postgresql import manager as pg_manager

PORT = 5432
FAULT_DEADLINE = 60
POSTGRES = 'postgres --config_file=%s/'


def _pids_of(instance_dir):
    """Pids of the postmasters whose command line names ``instance_dir``."""
    return guests.pids_of(POSTGRES, instance_dir)


def _instance_dir():
    return guests.make_instance_dir('tl-pg-')


def _remove_instance(path):
    # Whatever happened, no server of this instance survives the tests.
    guests.remove_instance_dir(path, POSTGRES, kill=os.killpg)


class Bus(guests.GuestBus):
    """The in-memory bus and a fake conductor, for the whole module;
    ``guest(instance_dir, address)`` starts an agent for an instance.
    """

    def guest(self, instance_dir, address, guest_id=None):
        return super().guest(instance_dir, {
            'datastore_manager': 'postgresql', 'datastore_version': '15',
            'bind_host': address, 'port': PORT}, guest_id)


@pytest.fixture(scope='module')
def bus():
    if pg_manager.find_binary(pg_manager.SERVER_BINARY) is None:
        pytest.fail('postgres is not installed; these tests run the real '
                    'server (apt-get install postgresql)')
    bus = Bus()
    yield bus
    bus.close()


class Instance:
    """The module's prepared instance."""

    def __init__(self, bus, path, address, agent, api):
        self.bus = bus
        self.path = path
        self.address = address
        self.agent = agent
        self.api = api

    def connect(self, user='app', password='secret', dbname='app'):
        return psycopg.connect(host=self.address, port=PORT, user=user,
                               password=password, dbname=dbname,
                               connect_timeout=10, autocommit=True)

    def refused(self, user='app', password='secret', dbname='app'):
        """The server's reason for refusing the login (fails if it
        accepts it).
        """
        try:
            conn = self.connect(user, password, dbname)
        except psycopg.OperationalError as err:
            return str(err)
        conn.close()
        pytest.fail('%s logged in to %s' % (user, dbname))


@pytest.fixture(scope='module')
def pg(bus):
    path = _instance_dir()
    try:
        address = fixtures.free_loopback_address(PORT)
        agent, api = bus.guest(path, address)
        start = time.monotonic()
        api.prepare(512, [{'name': 'app'}, {'name': 'other'}],
                    [{'name': 'app', 'password': 'secret',
                      'databases': [{'name': 'app'}]}], volume_size=2)
        guests.wait_status(bus.conductor, 'healthy')
        print('postgresql create -> healthy: %.1fs'
              % (time.monotonic() - start))
        assert 'building' in bus.conductor.statuses()
        assert not bus.conductor.faults
        yield Instance(bus, path, address, agent, api)
    finally:
        _remove_instance(path)


def test_prepared_user_works_over_tcp(pg):
    with pg.connect() as conn:
        conn.execute('CREATE TABLE t (x INT)')
        conn.execute('INSERT INTO t VALUES (42)')
        assert conn.execute('SELECT x FROM t').fetchall() == [(42,)]
    # Only the databases it was granted.
    assert 'CONNECT privilege' in pg.refused(dbname='other')
    assert 'CONNECT privilege' in pg.refused(dbname='postgres')
    assert 'password authentication failed' in pg.refused(password='wrong')
    # The superuser has no password, so no TCP login whatever is tried.
    for guess in ('', 'postgres', 'secret'):
        reason = pg.refused(user='postgres', password=guess,
                            dbname='postgres')
        assert 'password' in reason
    # Root is not there until it is enabled; disabling it then is a no-op.
    assert 'password' in pg.refused(user='root', password='',
                                    dbname='postgres')
    assert pg.api.is_root_enabled() is False
    pg.api.disable_root()
    assert pg.api.is_root_enabled() is False

    assert [db['name'] for db in pg.api.list_databases()] == ['app', 'other']
    assert pg.api.list_users() == [
        {'name': 'app', 'host': '%', 'databases': [{'name': 'app'}]}]

    beat = pg.bus.conductor.heartbeats[-1]['payload']
    assert beat['volume']['total'] == 2.0
    assert 0 < beat['volume']['used'] < 2.0
    stats = pg.api.get_filesystem_stats()
    assert stats['total'] == 2.0 and 0 < stats['used'] < 2.0


def test_databases_and_users(pg):
    pg.api.create_databases([{'name': 'latin', 'character_set': 'LATIN1',
                              'collate': 'C'}, {'name': 'app'}])
    latin = [db for db in pg.api.list_databases() if db['name'] == 'latin']
    assert latin == [{'name': 'latin', 'character_set': 'LATIN1',
                      'collate': 'C'}]
    with pytest.raises(exception.BadValue):
        pg.api.create_databases([{'name': 'bad', 'collate': 'xx_NOPE'}])

    pg.api.create_users([{'name': 'bob', 'password': 'pw1',
                          'databases': [{'name': 'latin'}]}])
    with pytest.raises(exception.UserAlreadyExists):
        pg.api.create_users([{'name': 'bob', 'password': 'pw1'}])
    with pytest.raises(exception.DatabaseNotFound):
        pg.api.create_users([{'name': 'eve', 'password': 'pw',
                              'databases': [{'name': 'nope'}]}])
    assert pg.api.get_user('eve', '%') is None
    assert pg.api.get_user('bob', '%') == {
        'name': 'bob', 'host': '%', 'databases': [{'name': 'latin'}]}

    session = pg.connect('bob', 'pw1', 'latin')
    session.execute('CREATE TABLE t (x TEXT)')
    # Dropping a database ends its sessions.
    pg.api.delete_database('latin')
    with pytest.raises(psycopg.OperationalError):
        session.execute('SELECT 1')
    session.close()
    assert 'latin' not in [db['name'] for db in pg.api.list_databases()]
    assert pg.api.get_user('bob', '%')['databases'] == []
    with pytest.raises(exception.DatabaseNotFound):
        pg.api.delete_database('latin')
    with pytest.raises(exception.BadValue):
        pg.api.delete_database('postgres')
    pg.api.delete_user('bob', '%')
    assert pg.api.get_user('bob', '%') is None


def test_grant_and_revoke_are_enforced_by_the_server(pg):
    assert 'CONNECT privilege' in pg.refused(dbname='other')
    pg.api.grant_access('app', '%', ['other'])
    assert pg.api.list_access('app', '%') == [
        {'name': 'app'}, {'name': 'other'}]
    session = pg.connect(dbname='other')
    session.execute('CREATE TABLE mine (x INT)')
    pg.api.revoke_access('app', '%', 'other')
    # The open session ends, and a new one is refused.
    with pytest.raises(psycopg.OperationalError):
        session.execute('SELECT 1')
    session.close()
    assert 'CONNECT privilege' in pg.refused(dbname='other')
    assert pg.api.list_access('app', '%') == [{'name': 'app'}]
    with pytest.raises(exception.DatabaseNotFound):
        pg.api.revoke_access('app', '%', 'other')
    with pytest.raises(exception.DatabaseNotFound):
        pg.api.grant_access('app', '%', ['nope'])
    with pytest.raises(exception.UserNotFound):
        pg.api.grant_access('nobody', '%', ['app'])
    # Granted again, the user finds the table it created.
    pg.api.grant_access('app', '%', ['other'])
    with pg.connect(dbname='other') as conn:
        assert conn.execute('SELECT count(*) FROM mine').fetchone() == (0,)
    pg.api.revoke_access('app', '%', 'other')


def test_rename_password_and_delete(pg):
    pg.api.create_users([{'name': 'carol', 'password': 'old',
                          'databases': [{'name': 'app'}]}])
    with pg.connect('carol', 'old') as conn:
        conn.execute('CREATE TABLE carols (x INT)')
    pg.api.update_user('carol', '%', {'name': 'dave', 'password': 'new'})
    assert 'password authentication failed' in pg.refused('carol', 'old')
    assert 'password authentication failed' in pg.refused('dave', 'old')
    with pg.connect('dave', 'new') as conn:
        conn.execute('INSERT INTO carols VALUES (1)')
    # A rename alone keeps the password.
    pg.api.update_user('dave', '%', {'name': 'erin'})
    pg.connect('erin', 'new').close()
    pg.api.change_passwords([{'name': 'erin', 'host': '%',
                              'password': 'third'}])
    pg.connect('erin', 'third').close()
    with pytest.raises(exception.BadValue):
        pg.api.update_user('erin', '%', {'host': '10.0.0.1'})
    with pytest.raises(exception.UserAlreadyExists):
        pg.api.update_user('erin', '%', {'name': 'app'})
    with pytest.raises(exception.UserNotFound):
        pg.api.change_passwords([{'name': 'nobody', 'host': '%',
                                  'password': 'x'}])
    assert [u['name'] for u in pg.api.list_users()] == ['app', 'erin']

    # The user goes; what it created stays.
    pg.api.delete_user('erin', '%')
    assert 'password authentication failed' in pg.refused('erin', 'third')
    assert [u['name'] for u in pg.api.list_users()] == ['app']
    with pytest.raises(exception.UserNotFound):
        pg.api.delete_user('erin', '%')
    with pytest.raises(exception.BadValue):
        pg.api.delete_user('postgres', '%')
    pg.api.grant_access('app', '%', ['app'])
    with pg.connect() as conn:
        assert conn.execute(
            "SELECT tableowner FROM pg_tables WHERE tablename = 'carols'"
        ).fetchone() == ('postgres',)


ROOT_OPTIONS = ('SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication,'
                ' rolbypassrls FROM pg_roles WHERE rolname = current_user')


def test_root_enable_and_disable(pg):
    assert pg.api.enable_root('r00t pw') == {'name': 'root',
                                             'password': 'r00t pw'}
    assert pg.api.is_root_enabled() is True
    session = pg.connect('root', 'r00t pw', 'postgres')
    assert session.execute(ROOT_OPTIONS).fetchone() == (True,) * 5
    session.execute('CREATE TABLE roots (x INT)')
    # A superuser reaches the tenant's databases without a grant.
    pg.connect('root', 'r00t pw', 'app').close()
    # postgres still has no password, root's included.
    for guess in ('', 'postgres', 'r00t pw'):
        assert 'password' in pg.refused('postgres', guess, 'postgres')
    # Root is nobody's user to list, make, change or drop.
    assert [u['name'] for u in pg.api.list_users()] == ['app']
    assert pg.api.get_user('app', '%') is not None
    for call in (
            lambda: pg.api.create_users([{'name': 'root', 'password': 'x'}]),
            lambda: pg.api.delete_user('root', '%'),
            lambda: pg.api.get_user('root', '%'),
            lambda: pg.api.update_user('root', '%', {'password': 'x'}),
            lambda: pg.api.update_user('app', '%', {'name': 'root'}),
            lambda: pg.api.change_passwords([{'name': 'root', 'host': '%',
                                              'password': 'x'}])):
        with pytest.raises(exception.BadValue):
            call()
    pg.connect('root', 'r00t pw', 'postgres').close()
    # The agent's own socket login is unaffected by root.
    assert pg.agent.datastore.status().description == 'healthy'

    pg.api.disable_root()
    assert pg.api.is_root_enabled() is False
    with pytest.raises(psycopg.OperationalError):
        session.execute('SELECT 1')
    session.close()
    assert 'password authentication failed' in pg.refused(
        'root', 'r00t pw', 'postgres')
    assert pg.agent.datastore.status().description == 'healthy'

    # Enabled again, the kept role takes the new password and finds what
    # it owns.
    assert pg.api.enable_root('new pw') == {'name': 'root',
                                            'password': 'new pw'}
    assert pg.api.is_root_enabled() is True
    assert 'password authentication failed' in pg.refused(
        'root', 'r00t pw', 'postgres')
    with pg.connect('root', 'new pw', 'postgres') as conn:
        assert conn.execute(ROOT_OPTIONS).fetchone() == (True,) * 5
        assert conn.execute(
            "SELECT tableowner FROM pg_tables WHERE tablename = 'roots'"
        ).fetchone() == ('root',)
    pg.api.disable_root()
    pg.api.disable_root()
    assert pg.api.is_root_enabled() is False
    assert 'password' in pg.refused('root', 'new pw', 'postgres')
    assert [u['name'] for u in pg.api.list_users()] == ['app']


def test_restart_adopt_stop(pg):
    bus = pg.bus
    pid_file = pg.agent.datastore.paths.pid_file
    with open(pid_file) as handle:
        first_pid = int(handle.readline())
    start = time.monotonic()
    pg.api.restart()
    print('restart: %.1fs' % (time.monotonic() - start))
    with open(pid_file) as handle:
        server_pid = int(handle.readline())
    assert server_pid != first_pid
    pg.connect().close()

    # The server outlives its agent; the next agent adopts it.
    bus.stop_agent(pg.agent)
    pg.connect().close()
    seen = len(bus.conductor.heartbeats)
    second, api = bus.guest(pg.path, pg.address, pg.agent.guest_id)
    assert second.datastore.adopt() == server_pid
    guests.wait_status(bus.conductor, 'healthy', after=seen, deadline=30)
    assert _pids_of(pg.path) == [server_pid]
    assert [u['name'] for u in api.list_users()] == ['app']

    api.stop_db()
    assert not os.path.exists(pid_file)
    assert _pids_of(pg.path) == []
    assert 'Connection refused' in pg.refused() or 'connect' in pg.refused()
    seen = len(bus.conductor.heartbeats)
    guests.wait_status(bus.conductor, 'shutdown', after=seen - 1, deadline=30)


def test_prepare_on_a_busy_port_reports_failure(bus):
    path = _instance_dir()
    try:
        address = fixtures.free_loopback_address(PORT)
        agent, api = bus.guest(path, address)
        seen = len(bus.conductor.faults)
        with socket.socket() as blocker:
            blocker.bind((address, PORT))
            blocker.listen(1)
            api.prepare(256, [], [], volume_size=1)
            assert bus.conductor.wait_for(
                lambda c: len(c.faults) > seen, FAULT_DEADLINE), \
                bus.conductor.statuses()
        fault = bus.conductor.faults[seen]
        assert fault['instance_id'] == agent.guest_id
        assert 'could not be set up' in fault['message']
        assert 'postgres exited' in fault['details']
        # The log tail tells an admin why.
        assert 'could not bind' in fault['details']
        assert 'Address already in use' in fault['details']
        assert _pids_of(path) == []
        bus.stop_agent(agent)
    finally:
        _remove_instance(path)
