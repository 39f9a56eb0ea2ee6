"""Databases, users and root through the real CLI, enforced by real servers.

The walkthrough of the deployment guide (§3: user list, user create with
``--databases``, db create, db list, grant access, show access) on a MySQL
and a PostgreSQL instance of ``trove-lite-all``; after each grant or
revoke the test connects as the user with the datastore's own client to
prove the server enforces it. Root enable, show and disable are checked
the same way. A Redis instance answers ``redis-cli ... ping`` with the
password its create returned, and refuses database and user calls as
upstream does (422).
"""

import subprocess

import pytest

from tests.functional.datastore_clients import Client
from tests.functional import embedded as embedded_shape
from tests.functional.embedded import cli
from tests.functional.embedded import run_cli


@pytest.fixture(scope='module')
def service():
    with embedded_shape.start() as running:
        instances = {}
        for datastore in ('mysql', 'postgresql', 'redis'):
            args = ['database', 'instance', 'create', 'db-' + datastore,
                    '--flavor', 'm1.tiny', '--size', '1', '--datastore',
                    datastore]
            if datastore != 'redis':
                args += ['--databases', 'testdb', '--users',
                         'spatel:mypassword']
            instances[datastore] = cli(running, *args)
        for datastore, created in instances.items():
            shown = embedded_shape.wait_for(running, created['id'],
                                            ['ACTIVE'])
            created['address'] = shown['ip'][0]
        running.instances = instances
        yield running


def names(rows):
    return sorted(row['Name'] for row in rows)


@pytest.mark.parametrize('datastore', ['mysql', 'postgresql'])
def test_users_and_databases_walkthrough(service, datastore):
    instance = service.instances[datastore]
    name = instance['name']
    client = Client(datastore, instance['address'])

    assert cli(service, 'database', 'user', 'list', name) == [
        {'Name': 'spatel', 'Host': '%', 'Databases': 'testdb'}]
    client.works('spatel', 'mypassword', 'testdb')

    cli(service, 'database', 'user', 'create', name, 'newuser', 'userpass',
        '--databases', 'testdb', parse=False)
    assert cli(service, 'database', 'user', 'list', name) == [
        {'Name': 'newuser', 'Host': '%', 'Databases': 'testdb'},
        {'Name': 'spatel', 'Host': '%', 'Databases': 'testdb'}]

    cli(service, 'database', 'db', 'create', name, 'newdb', parse=False)
    assert names(cli(service, 'database', 'db', 'list', name)) == [
        'newdb', 'testdb']
    # Not granted yet: the server itself says no.
    client.refused('newuser', 'userpass', 'newdb')

    cli(service, 'database', 'user', 'grant', 'access', name, 'newuser',
        'newdb', parse=False)
    assert names(cli(service, 'database', 'user', 'show', 'access', name,
                     'newuser')) == ['newdb', 'testdb']
    client.works('newuser', 'userpass', 'newdb',
                 'CREATE TABLE t (x INT); INSERT INTO t VALUES (7); '
                 'SELECT x FROM t;')

    cli(service, 'database', 'user', 'revoke', 'access', name, 'newuser',
        'newdb', parse=False)
    assert names(cli(service, 'database', 'user', 'show', 'access', name,
                     'newuser')) == ['testdb']
    client.refused('newuser', 'userpass', 'newdb')

    shown = cli(service, 'database', 'user', 'show', name, 'newuser')
    assert (shown['name'], shown['host']) == ('newuser', '%')

    cli(service, 'database', 'user', 'update', 'attributes', name,
        'newuser', '--new_password', 'changed', parse=False)
    client.refused('newuser', 'userpass', 'testdb')
    client.works('newuser', 'changed', 'testdb')

    cli(service, 'database', 'user', 'delete', name, 'newuser', parse=False)
    client.refused('newuser', 'changed', 'testdb')
    cli(service, 'database', 'db', 'delete', name, 'newdb', parse=False)
    assert names(cli(service, 'database', 'db', 'list', name)) == ['testdb']


@pytest.mark.parametrize('datastore', ['mysql', 'postgresql'])
def test_root_enable_show_disable(service, datastore):
    # Every datastore's superuser is root, PostgreSQL's too.
    root = 'root'
    instance = service.instances[datastore]
    name = instance['name']
    client = Client(datastore, instance['address'])
    database = 'testdb'

    shown = cli(service, 'database', 'root', 'show', name)
    assert shown == {'is_root_enabled': False}
    enabled = cli(service, 'database', 'root', 'enable', name)
    assert enabled['name'] == root
    client.works(root, enabled['password'], database)
    assert cli(service, 'database', 'root', 'show', name) == {
        'is_root_enabled': True}

    again = cli(service, 'database', 'root', 'enable', name,
                '--root_password', 'my-own-root-pw')
    assert again == {'name': root, 'password': 'my-own-root-pw'}
    client.refused(root, enabled['password'], database)
    client.works(root, 'my-own-root-pw', database)

    cli(service, 'database', 'root', 'disable', name, parse=False)
    client.refused(root, 'my-own-root-pw', database)
    # What the server says now, as current upstream reports it.
    assert cli(service, 'database', 'root', 'show', name) == {
        'is_root_enabled': False}


def test_bad_input_changes_nothing(service):
    name = service.instances['mysql']['name']
    client = Client('mysql', service.instances['mysql']['address'])
    for args, status in (
            (['db', 'create', name, 'bad`name'], 'HTTP 400'),
            (['db', 'create', name, 'mysql'], 'HTTP 400'),
            (['user', 'create', name, 'root', 'pw'], 'HTTP 400'),
            (['user', 'grant', 'access', name, 'spatel', 'missingdb'],
             'HTTP 404'),
            (['user', 'show', name, 'nobody'], 'HTTP 404')):
        result = run_cli(service, 'database', *args)
        assert result.returncode != 0, args
        assert status in result.stderr, (args, result.stderr)
    result = run_cli(service, 'database', 'user', 'list', 'no-such-instance')
    assert result.returncode != 0
    assert names(cli(service, 'database', 'db', 'list', name)) == ['testdb']
    assert [u['Name'] for u in cli(service, 'database', 'user', 'list',
                                   name)] == ['spatel']
    client.refused('root', 'pw', 'testdb')


def test_redis_answers_with_its_password_and_has_no_databases(service):
    instance = service.instances['redis']
    password = instance['password']
    ping = subprocess.run(
        ['redis-cli', '-h', instance['address'], '-p', '6379', '--no-auth-warning',
         '-a', password, 'ping'], capture_output=True, text=True, timeout=30)
    assert ping.stdout.strip() == 'PONG', ping.stderr
    refused = subprocess.run(
        ['redis-cli', '-h', instance['address'], '-p', '6379', 'ping'],
        capture_output=True, text=True, timeout=30)
    assert 'NOAUTH' in refused.stdout + refused.stderr
    enabled = cli(service, 'database', 'root', 'enable', instance['name'],
                  '--root_password', 'new-redis-pw')
    assert enabled == {'name': 'default', 'password': 'new-redis-pw'}
    for password, answer in ((password, 'WRONGPASS'),
                             ('new-redis-pw', 'PONG')):
        ping = subprocess.run(
            ['redis-cli', '-h', instance['address'], '-p', '6379',
             '--no-auth-warning', '-a', password, 'ping'],
            capture_output=True, text=True, timeout=30)
        assert answer in ping.stdout + ping.stderr
    for args in (['db', 'list', instance['name']],
                 ['db', 'create', instance['name'], 'x'],
                 ['user', 'list', instance['name']],
                 ['user', 'create', instance['name'], 'u', 'p']):
        result = run_cli(service, 'database', *args)
        assert result.returncode != 0, args
        assert 'HTTP 422' in result.stderr, (args, result.stderr)
