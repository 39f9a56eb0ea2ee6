"""Databases, users and root through the real ``openstack`` CLI.

``trove-lite-all`` runs with the fake compute driver, whose guests keep
databases and users in memory (the ``fake`` datastore), so this exercises
the whole control-plane path (CLI, API, policy, manifest checks, sealed
guest RPC, errors back as upstream faults) without a database server.
The real datastores' guests have functional tests of their own.
"""

import pytest

from tests.functional import embedded as embedded_shape
from tests.functional.embedded import cli as openstack
from tests.functional.embedded import run_cli


@pytest.fixture(scope='module')
def embedded():
    with embedded_shape.start_fake() as service:
        yield service


@pytest.fixture(scope='module')
def instance(embedded):
    created = openstack(
        embedded, 'database', 'instance', 'create', 'dbu1', '--flavor',
        'm1.tiny', '--size', '1', '--datastore', 'fake',
        '--datastore-version', '1.0', '--databases', 'app', 'logs',
        '--users', 'alice:secret')
    return embedded_shape.wait_for(embedded, created['id'], ['ACTIVE'],
                                   deadline=60)


def cli(embedded, *args):
    """Run a command that prints nothing on success."""
    result = run_cli(embedded, *args)
    assert result.returncode == 0, result.stderr
    return result


def fails(embedded, *args):
    """Run a command that must fail; returns its stderr."""
    result = run_cli(embedded, *args)
    assert result.returncode == 1, (result.returncode, result.stdout,
                                    result.stderr)
    return result.stderr


def names(rows):
    return [row['Name'] for row in rows]


def test_databases(embedded, instance):
    assert names(openstack(embedded, 'database', 'db', 'list',
                           'dbu1')) == ['app', 'logs']
    cli(embedded, 'database', 'db', 'create', 'dbu1', 'newdb',
        '--character_set', 'utf8mb4', '--collate', 'utf8mb4_bin')
    assert names(openstack(embedded, 'database', 'db', 'list',
                           instance['id'])) == ['app', 'logs', 'newdb']
    cli(embedded, 'database', 'db', 'delete', 'dbu1', 'newdb')
    assert names(openstack(embedded, 'database', 'db', 'list',
                           'dbu1')) == ['app', 'logs']


def test_database_errors(embedded, instance):
    stderr = fails(embedded, 'database', 'db', 'create', 'dbu1', 'bad`name')
    assert "Invalid database name 'bad`name'" in stderr
    assert '(HTTP 400)' in stderr
    stderr = fails(embedded, 'database', 'db', 'create', 'dbu1', 'app')
    assert 'A database with the name app already exists.' in stderr
    stderr = fails(embedded, 'database', 'db', 'delete', 'dbu1', 'nosuch')
    assert 'Database nosuch cannot be found on the instance.' in stderr
    assert '(HTTP 404)' in stderr


def test_users(embedded, instance):
    users = openstack(embedded, 'database', 'user', 'list', 'dbu1')
    assert users == [{'Name': 'alice', 'Host': '%',
                      'Databases': 'app, logs'}]
    cli(embedded, 'database', 'user', 'create', 'dbu1', 'newuser',
        'userpass', '--databases', 'app')
    cli(embedded, 'database', 'user', 'create', 'dbu1', 'bob', 'pw',
        '--host', '10.0.0.%')
    users = openstack(embedded, 'database', 'user', 'list', 'dbu1')
    assert [(u['Name'], u['Host']) for u in users] == [
        ('alice', '%'), ('bob', '10.0.0.%'), ('newuser', '%')]
    shown = openstack(embedded, 'database', 'user', 'show', 'dbu1', 'bob',
                      '--host', '10.0.0.%')
    assert shown['name'] == 'bob' and shown['host'] == '10.0.0.%'

    cli(embedded, 'database', 'user', 'grant', 'access', 'dbu1', 'newuser',
        'logs')
    access = openstack(embedded, 'database', 'user', 'show', 'access',
                       'dbu1', 'newuser')
    assert names(access) == ['app', 'logs']
    cli(embedded, 'database', 'user', 'revoke', 'access', 'dbu1', 'newuser',
        'app')
    assert names(openstack(embedded, 'database', 'user', 'show', 'access',
                           'dbu1', 'newuser')) == ['logs']

    cli(embedded, 'database', 'user', 'update', 'attributes', 'dbu1', 'bob',
        '--host', '10.0.0.%', '--new_name', 'bobby', '--new_host', '%',
        '--new_password', 'pw2')
    shown = openstack(embedded, 'database', 'user', 'show', 'dbu1', 'bobby')
    assert shown['host'] == '%'

    cli(embedded, 'database', 'user', 'delete', 'dbu1', 'bobby')
    cli(embedded, 'database', 'user', 'delete', 'dbu1', 'newuser')
    assert names(openstack(embedded, 'database', 'user', 'list',
                           'dbu1')) == ['alice']


def test_user_errors(embedded, instance):
    stderr = fails(embedded, 'database', 'user', 'create', 'dbu1', 'root',
                   'pw')
    assert "The user name 'root' is reserved" in stderr
    assert '(HTTP 400)' in stderr
    stderr = fails(embedded, 'database', 'user', 'create', 'dbu1', 'bad name',
                   'pw')
    assert "Invalid user name 'bad name'" in stderr
    stderr = fails(embedded, 'database', 'user', 'create', 'dbu1', 'alice',
                   'pw')
    assert 'A user with the name alice@% already exists.' in stderr
    stderr = fails(embedded, 'database', 'user', 'grant', 'access', 'dbu1',
                   'alice', 'nosuch')
    assert 'Database nosuch cannot be found on the instance.' in stderr
    assert '(HTTP 404)' in stderr
    stderr = fails(embedded, 'database', 'user', 'show', 'dbu1', 'nobody')
    assert 'User nobody@% cannot be found on the instance.' in stderr
    stderr = fails(embedded, 'database', 'user', 'list', 'nosuch-instance')
    assert "No instance with a name or ID of 'nosuch-instance'" in stderr
    stderr = fails(embedded, 'database', 'user', 'create', 'nosuch-instance',
                   'carol', 'pw')
    assert "No instance with a name or ID of 'nosuch-instance'" in stderr


def test_root(embedded, instance):
    shown = openstack(embedded, 'database', 'root', 'show', 'dbu1')
    assert shown == {'is_root_enabled': False}
    stderr = fails(embedded, 'database', 'root', 'disable', 'dbu1')
    assert 'Root is not enabled on instance' in stderr
    assert '(HTTP 404)' in stderr
    enabled = openstack(embedded, 'database', 'root', 'enable', 'dbu1')
    assert enabled['name'] == 'root' and len(enabled['password']) == 36
    enabled = openstack(embedded, 'database', 'root', 'enable', 'dbu1',
                        '--root_password', 'Chosen-1')
    assert enabled == {'name': 'root', 'password': 'Chosen-1'}
    assert openstack(embedded, 'database', 'root', 'show', 'dbu1') == {
        'is_root_enabled': True}
    cli(embedded, 'database', 'root', 'disable', 'dbu1')
    # What the server says now, as current upstream answers it.
    assert openstack(embedded, 'database', 'root', 'show', 'dbu1') == {
        'is_root_enabled': False}
