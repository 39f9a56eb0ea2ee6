"""Databases, users and root of a real MariaDB, through guest API 1.2.

One server serves the whole module (set up once, through ``prepare``,
by an in-process agent driven with ``GuestAgentAPI`` as the taskmanager
drives it); each test uses names of its own on it. What the agent did is
proved by logging in as the tenant's users over TCP, at the instance's
address, and letting the server enforce (or refuse) the grants.
"""


import pymysql
import pytest

from tests.functional import fixtures
from tests.functional import guests
from tests.functional import test_guest_mysql as guest_mysql
from trove_lite.common import exception
from trove_lite.guestagent.datastores.mysql import manager as mysql_manager

PORT = guest_mysql.PORT
# ER_ACCESS_DENIED_ERROR (user or password), or ER_HOST_NOT_PRIVILEGED
# when no account at all matches the client's host.
LOGIN_REFUSED = (1045, 1130)
DB_ACCESS_DENIED = 1044      # ER_DBACCESS_DENIED_ERROR: the database


class Instance:
    def __init__(self, agent, api):
        self.agent = agent
        self.api = api
        self.address = agent.info.bind_host

    def connect(self, user, password, database=None):
        return pymysql.connect(host=self.address, port=PORT, user=user,
                               password=password, database=database,
                               connect_timeout=10, autocommit=True)

    def refused(self, user, password, database=None):
        """The server's error number for a login that must fail."""
        with pytest.raises(pymysql.err.OperationalError) as caught:
            self.connect(user, password, database).close()
        return caught.value.args[0]

    def works(self, user, password, database):
        conn = self.connect(user, password, database)
        try:
            with conn.cursor() as cursor:
                cursor.execute('CREATE TABLE IF NOT EXISTS t (x INT)')
                cursor.execute('INSERT INTO t VALUES (1)')
                cursor.execute('SELECT DATABASE(), CURRENT_USER()')
                return cursor.fetchone()
        finally:
            conn.close()


@pytest.fixture(scope='module')
def instance():
    """One prepared MariaDB instance and its agent for the module."""
    guests.require('mariadb-server', mysql_manager.SERVER_BINARIES)
    with guests.instance_dir(guest_mysql.MARIADB,
                             prefix='trove-lite-users-') as instance_dir:
        bus = guests.GuestBus()
        try:
            agent, api = bus.guest(instance_dir, {
                'datastore_manager': 'mariadb', 'datastore_version': '10.11',
                'bind_host': fixtures.free_loopback_address(PORT),
                'port': PORT})
            api.prepare(256, [], [], volume_size=1)
            guests.wait_status(bus.conductor, 'healthy')
            assert not bus.conductor.faults
            yield Instance(agent, api)
        finally:
            bus.close()


def _names(entries):
    return [entry['name'] for entry in entries]


def test_databases_with_charsets(instance):
    api = instance.api
    api.create_databases([
        {'name': 'latin', 'character_set': 'latin1',
         'collate': 'latin1_general_cs'},
        {'name': 'Mixed-Case$1'}])
    listed = {db['name']: db for db in api.list_databases()}
    assert listed['latin'] == {'name': 'latin', 'character_set': 'latin1',
                               'collate': 'latin1_general_cs'}
    assert listed['Mixed-Case$1']['character_set']
    for system in ('mysql', 'information_schema', 'performance_schema',
                   'sys'):
        assert system not in listed
    assert _names(api.list_databases()) == sorted(listed)
    # Existing databases are kept, not changed.
    api.create_databases([{'name': 'latin', 'character_set': 'utf8mb4'}])
    assert {db['name']: db for db in api.list_databases()}['latin'][
        'character_set'] == 'latin1'

    # A refused charset is our BadValue, and nothing of the call stays.
    with pytest.raises(exception.BadValue) as caught:
        api.create_databases([{'name': 'first'},
                              {'name': 'second', 'character_set': 'nosuch'}])
    assert 'nosuch' in str(caught.value)
    with pytest.raises(exception.BadValue) as caught:
        api.create_databases([{'name': 'third', 'character_set': 'latin1',
                               'collate': 'utf8mb4_bin'}])
    assert 'collation' in str(caught.value).lower()
    names = _names(api.list_databases())
    assert not {'first', 'second', 'third'} & set(names)
    for bad in ('mysql', 'a`b', 'x; DROP DATABASE latin'):
        with pytest.raises(exception.BadValue):
            api.create_databases([{'name': bad}])

    api.delete_database('Mixed-Case$1')
    assert 'Mixed-Case$1' not in _names(api.list_databases())
    with pytest.raises(exception.DatabaseNotFound):
        api.delete_database('Mixed-Case$1')
    with pytest.raises(exception.BadValue):
        api.delete_database('mysql')


def test_grants_are_enforced_by_the_server(instance):
    api = instance.api
    api.create_databases([{'name': 'orders'}, {'name': 'stock'}])
    api.create_users([
        {'name': 'alice', 'password': 'alice-pw',
         'databases': [{'name': 'orders'}]},
        {'name': 'bob', 'host': '%', 'password': 'bob-pw',
         'databases': []}])
    assert instance.works('alice', 'alice-pw', 'orders') == (
        'orders', 'alice@%')
    assert instance.refused('alice', 'alice-pw', 'stock') == DB_ACCESS_DENIED
    assert instance.refused('bob', 'bob-pw', 'orders') == DB_ACCESS_DENIED
    assert instance.refused('alice', 'wrong') in LOGIN_REFUSED

    users = {(u['name'], u['host']): u for u in api.list_users()}
    assert users[('alice', '%')] == {'name': 'alice', 'host': '%',
                                     'databases': [{'name': 'orders'}]}
    assert users[('bob', '%')]['databases'] == []
    assert not {name for name, _ in users} & {
        'root', 'mariadb.sys', 'mysql', 'os_admin', 'PUBLIC', ''}
    assert 'password' not in users[('alice', '%')]
    assert api.get_user('alice', '%') == users[('alice', '%')]
    assert api.get_user('nobody', '%') is None

    # All or nothing: one existing user, or one missing database, and
    # none of the others is created.
    with pytest.raises(exception.UserAlreadyExists):
        api.create_users([{'name': 'carl', 'password': 'p'},
                          {'name': 'alice', 'password': 'p'}])
    with pytest.raises(exception.DatabaseNotFound):
        api.create_users([{'name': 'carl', 'password': 'p',
                           'databases': [{'name': 'nowhere'}]}])
    assert api.get_user('carl', '%') is None
    with pytest.raises(exception.BadValue):
        api.create_users([{'name': 'root', 'password': 'p'}])

    api.grant_access('alice', '%', ['stock'])
    assert api.list_access('alice', '%') == [{'name': 'orders'},
                                             {'name': 'stock'}]
    assert instance.works('alice', 'alice-pw', 'stock')[0] == 'stock'
    api.revoke_access('alice', '%', 'orders')
    assert instance.refused('alice', 'alice-pw', 'orders') == \
        DB_ACCESS_DENIED
    assert api.list_access('alice', '%') == [{'name': 'stock'}]
    with pytest.raises(exception.DatabaseNotFound):
        api.revoke_access('alice', '%', 'orders')
    with pytest.raises(exception.DatabaseNotFound):
        api.grant_access('alice', '%', ['orders', 'nowhere'])
    assert instance.refused('alice', 'alice-pw', 'orders') == \
        DB_ACCESS_DENIED
    api.grant_access('alice', '%', ['orders'])
    assert instance.works('alice', 'alice-pw', 'orders')[0] == 'orders'
    with pytest.raises(exception.UserNotFound):
        api.grant_access('nobody', '%', ['orders'])
    with pytest.raises(exception.UserNotFound):
        api.list_access('nobody', '%')


def test_a_grant_is_for_its_database_only(instance):
    api = instance.api
    # "_" is a wildcard in database-level grants: granting a_b must not
    # open axb.
    api.create_databases([{'name': 'a_b'}, {'name': 'axb'}])
    api.create_users([{'name': 'wild', 'password': 'wild-pw',
                       'databases': [{'name': 'a_b'}]}])
    assert instance.works('wild', 'wild-pw', 'a_b')[0] == 'a_b'
    assert instance.refused('wild', 'wild-pw', 'axb') == DB_ACCESS_DENIED
    assert api.list_access('wild', '%') == [{'name': 'a_b'}]
    # A user for another host cannot log in from here.
    api.create_users([{'name': 'wild', 'host': '10.255.255.1',
                       'password': 'wild-pw', 'databases': []}])
    assert api.get_user('wild', '10.255.255.1')['host'] == '10.255.255.1'
    assert instance.works('wild', 'wild-pw', 'a_b')[0] == 'a_b'
    api.delete_user('wild', '%')
    assert instance.refused('wild', 'wild-pw') in LOGIN_REFUSED


def test_rename_and_passwords(instance):
    api = instance.api
    api.create_databases([{'name': 'ledger'}])
    api.create_users([{'name': 'olduser', 'password': 'first',
                       'databases': [{'name': 'ledger'}]},
                      {'name': 'other', 'password': 'other-pw'}])
    with pytest.raises(exception.UserAlreadyExists):
        api.update_user('olduser', '%', {'name': 'other'})
    api.update_user('olduser', '%', {'name': 'newuser'})
    assert instance.works('newuser', 'first', 'ledger')[0] == 'ledger'
    assert instance.refused('olduser', 'first') in LOGIN_REFUSED
    assert api.get_user('olduser', '%') is None
    assert api.list_access('newuser', '%') == [{'name': 'ledger'}]

    api.update_user('newuser', '%', {'password': 'second'})
    assert instance.refused('newuser', 'first') in LOGIN_REFUSED
    assert instance.works('newuser', 'second', 'ledger')[0] == 'ledger'
    api.change_passwords([{'name': 'newuser', 'host': '%',
                           'password': 'third'},
                          {'name': 'other', 'host': '%',
                           'password': 'other-2'}])
    assert instance.refused('newuser', 'second') in LOGIN_REFUSED
    assert instance.works('newuser', 'third', 'ledger')[0] == 'ledger'
    instance.connect('other', 'other-2').close()
    # A missing user anywhere in the list: no password changes.
    with pytest.raises(exception.UserNotFound):
        api.change_passwords([{'name': 'newuser', 'host': '%',
                               'password': 'fourth'},
                              {'name': 'ghost', 'host': '%',
                               'password': 'x'}])
    instance.connect('newuser', 'third').close()

    api.delete_user('newuser', '%')
    assert instance.refused('newuser', 'third') in LOGIN_REFUSED
    with pytest.raises(exception.UserNotFound):
        api.delete_user('newuser', '%')
    with pytest.raises(exception.UserNotFound):
        api.update_user('newuser', '%', {'password': 'x'})


def test_a_dropped_database_takes_its_grants_along(instance):
    api = instance.api
    api.create_databases([{'name': 'temp'}])
    api.create_users([{'name': 'tempuser', 'password': 'temp-pw',
                       'databases': [{'name': 'temp'}]}])
    api.delete_database('temp')
    assert api.list_access('tempuser', '%') == []
    api.create_databases([{'name': 'temp'}])
    assert instance.refused('tempuser', 'temp-pw', 'temp') == \
        DB_ACCESS_DENIED


def test_root_enable_and_disable(instance):
    api = instance.api
    assert api.is_root_enabled() is False
    assert instance.refused('root', '') in LOGIN_REFUSED
    assert api.enable_root('r00t-pw') == {
        'name': 'root', 'password': 'r00t-pw'}
    assert api.is_root_enabled() is True
    conn = instance.connect('root', 'r00t-pw')
    try:
        with conn.cursor() as cursor:
            cursor.execute('SHOW DATABASES')
            assert ('mysql',) in cursor.fetchall()
            # What a tenant's root makes stays out of the listings.
            cursor.execute("CREATE USER 'root'@'10.1.1.1' IDENTIFIED BY 'x'")
            # A grant trove never gives: revoke_access takes it away too.
            cursor.execute('CREATE DATABASE vault')
            cursor.execute("CREATE USER 'keeper'@'%' IDENTIFIED BY 'k-pw'")
            cursor.execute("GRANT SELECT ON vault.* TO 'keeper'@'%' "
                           "WITH GRANT OPTION")
    finally:
        conn.close()
    assert 'root' not in [user['name'] for user in api.list_users()]
    assert api.list_access('keeper', '%') == [{'name': 'vault'}]
    api.revoke_access('keeper', '%', 'vault')
    assert api.list_access('keeper', '%') == []
    assert instance.refused('keeper', 'k-pw', 'vault') == DB_ACCESS_DENIED
    # Enabling again sets the new password.
    api.enable_root('other-pw')
    assert instance.refused('root', 'r00t-pw') in LOGIN_REFUSED
    instance.connect('root', 'other-pw').close()

    api.disable_root()
    assert api.is_root_enabled() is False
    assert instance.refused('root', 'other-pw') in LOGIN_REFUSED
    # The agent's own root@localhost on the socket still works.
    assert isinstance(api.list_databases(), list)
    with pytest.raises(exception.BadValue):
        api.enable_root('')
