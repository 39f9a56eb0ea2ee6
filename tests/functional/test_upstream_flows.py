"""Conformance with upstream's own client flows, on real database servers.

Upstream's tooling drives Trove through python-troveclient on a
keystoneauth session (Horizon, its CI's tempest plugin and cleanup steps,
operators' scripts). This module replays those flows the same way: the
unmodified client's managers (``instances``, ``databases``, ``users``,
``root``, ``backups``), tokens from the session's real Keystone, a member of the
``demo`` project who owns the instances and an admin whose token is for
another project (``other``). The API is ``trove-lite-all`` with the
local compute driver (``keystone.LOCAL_SHAPE``), so each instance is a
real ``mariadbd`` or ``postgres`` started by a real guest agent, and
every flow that changes access is proved with the datastore's own client
(``mysql``, ``psql``) against the address the API returned.

Each ``test_`` below is one flow, named after what upstream's tooling
does, and runs against each datastore in ``DATASTORES``: MariaDB, the
MySQL family (the ``mysql`` datastore, served here by MariaDB) and
PostgreSQL. A backup is taken with the datastore's real tool
(``mariabackup``, ``pg_basebackup``) into the API's local storage and
restored into a new instance. Later features (configurations,
replication, resize, logs) add their flows here.
"""

import collections

from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session
import pytest
from troveclient import client as trove_client
from troveclient import exceptions as trove_exc

from tests.functional.datastore_clients import Client
from tests.functional import embedded
from tests.functional import keystone
from tests import waiting

DATASTORES = ['mariadb', 'mysql', 'postgresql']
PASSWORD = 'Flow-secret-1'

Instance = collections.namedtuple('Instance', 'id datastore address')


def _client(cloud, user, project):
    """python-troveclient on a keystoneauth session, as Horizon makes it.

    The local-shape API is not the catalog's ``database`` service
    (``keystone.api_behind``), so the client is pointed at it with an
    endpoint override, the way an operator's script reaches a second
    region's endpoint.
    """
    auth = v3.Password(auth_url=cloud.identity.url, username=user,
                       password=keystone.USER_PASSWORD, project_name=project,
                       user_domain_name='Default',
                       project_domain_name='Default')
    return trove_client.Client(
        '1.0', session=ks_session.Session(auth=auth),
        endpoint_override='%s/v1.0/%s' % (cloud.api_base,
                                          cloud.projects[project]))


@pytest.fixture(scope='module')
def cloud(shared_services):
    return keystone.shared_cloud(shared_services, local=True)


@pytest.fixture(scope='module')
def member(cloud):
    return _client(cloud, 'demo-member', 'demo')


@pytest.fixture(scope='module')
def admin(cloud):
    """An admin whose token is for ``other``, not for ``demo``."""
    return _client(cloud, 'other-admin', 'other')


def _shown(trove, instance_id):
    try:
        return trove.instances.get(instance_id)._info
    except trove_exc.NotFound:
        return None


def _wait(cloud, trove, instance_id, status):
    return waiting.wait_for_status(lambda: _shown(trove, instance_id),
                                   status, timeout=240,
                                   describe=cloud.process.log)


def _flavor_id(trove, name='m1.tiny'):
    return {flavor.name: flavor.id for flavor in trove.flavors.list()}[name]


@pytest.fixture(scope='module', params=DATASTORES)
def instance(request, cloud, member):
    """An ACTIVE instance of the datastore, created as tempest creates
    one: the datastore and its default version by name, a database and a
    user with access to it.
    """
    datastore = request.param
    version_id = member.datastores.get(datastore).default_version
    version = member.datastore_versions.get(datastore, version_id)
    created = member.instances.create(
        'flow-' + datastore, _flavor_id(member), volume={'size': 1},
        databases=[{'name': 'app'}],
        users=[{'name': 'alice', 'password': PASSWORD,
                'databases': [{'name': 'app'}]}],
        datastore=datastore, datastore_version=version.name)
    try:
        shown = _wait(cloud, member, created.id, 'ACTIVE')
        assert (shown['datastore']['type'], shown['datastore']['version']
                ) == (datastore, version.name), shown
        yield Instance(created.id, datastore, shown['ip'][0])
    finally:
        if _shown(member, created.id) is not None:
            member.instances.delete(created.id)
            _wait(cloud, member, created.id, waiting.GONE)


def test_create_without_datastore_takes_the_default(cloud, member):
    """Create with no datastore (``default_datastore``), wait, delete,
    wait for the 404: the life of tempest's smallest instance.
    """
    created = member.instances.create(
        'flow-default', _flavor_id(member), volume={'size': 1},
        databases=[{'name': 'app'}],
        users=[{'name': 'carol', 'password': PASSWORD,
                'databases': [{'name': 'app'}]}])
    shown = _wait(cloud, member, created.id, 'ACTIVE')
    assert shown['datastore']['type'] == 'mysql'
    Client('mysql', shown['ip'][0]).works('carol', PASSWORD, 'app')
    member.instances.delete(created.id)
    _wait(cloud, member, created.id, waiting.GONE)
    assert embedded.processes_mentioning(created.id) == []


def test_databases_create_list_delete(member, instance):
    member.databases.create(instance.id, [{'name': 'flowdb'}])
    names = {database.name for database in member.databases.list(
        instance.id)}
    assert {'app', 'flowdb'} <= names
    member.databases.delete(instance.id, 'flowdb')
    names = {database.name for database in member.databases.list(
        instance.id)}
    assert 'flowdb' not in names and 'app' in names


def test_users_create_grant_revoke_delete(member, instance):
    client = Client(instance.datastore, instance.address)
    client.works('alice', PASSWORD, 'app')
    member.databases.create(instance.id, [{'name': 'more'}])
    member.users.create(instance.id, [{'name': 'bob', 'password': PASSWORD,
                                       'databases': [{'name': 'app'}]}])
    users = {user.name: user for user in member.users.list(instance.id)}
    assert {'alice', 'bob'} <= set(users)
    assert users['bob'].host == '%'
    shown = member.users.get(instance.id, 'bob')
    assert (shown.name, shown.host) == ('bob', '%')
    client.works('bob', PASSWORD, 'app')
    client.refused('bob', PASSWORD, 'more')

    member.users.grant(instance.id, 'bob', ['more'])
    access = {database.name for database in member.users.list_access(
        instance.id, 'bob')}
    assert access == {'app', 'more'}
    client.works('bob', PASSWORD, 'more')
    member.users.revoke(instance.id, 'bob', 'more')
    client.refused('bob', PASSWORD, 'more')

    member.users.change_passwords(instance.id, [{'name': 'bob',
                                                 'password': 'Changed-2'}])
    client.refused('bob', PASSWORD, 'app')
    client.works('bob', 'Changed-2', 'app')
    member.users.delete(instance.id, 'bob')
    client.refused('bob', 'Changed-2', 'app')
    assert 'bob' not in {user.name for user in member.users.list(
        instance.id)}
    member.databases.delete(instance.id, 'more')


def test_root_enable_show_disable_show(member, instance):
    """Root as current upstream reports it: what the server allows now."""
    client = Client(instance.datastore, instance.address)
    assert member.root.is_root_enabled(instance.id).rootEnabled is False
    name, password = member.root.create(instance.id)
    # NOTE(compat): every datastore's superuser is called root, PostgreSQL's
    # too (a role of its own; ``postgres`` never gets a password).
    assert name == 'root'
    client.works('root', password, 'app')
    assert member.root.is_root_enabled(instance.id).rootEnabled is True
    if instance.datastore == 'postgresql':
        client.refused('postgres', password, 'app')

    member.root.delete(instance.id)
    assert member.root.is_root_enabled(instance.id).rootEnabled is False
    client.refused('root', password, 'app')

    chosen = 'Chosen-root-3'
    assert member.root.create_instance_root(instance.id, chosen) == (
        'root', chosen)
    client.works('root', chosen, 'app')
    member.root.delete(instance.id)
    client.refused('root', chosen, 'app')


def _backup_shown(trove, backup_id):
    try:
        return trove.backups.get(backup_id)._info
    except trove_exc.NotFound:
        return None


def _wait_backup(cloud, trove, backup_id, status):
    """Wait for the backup's status (``waiting.GONE``: the 404); FAILED
    and DELETE_FAILED, which it never leaves, fail at once.
    """
    shown = waiting.wait_for_status(
        lambda: _backup_shown(trove, backup_id),
        {status, 'FAILED', 'DELETE_FAILED'}, timeout=240,
        describe=cloud.process.log)
    reached = waiting.GONE if shown is None else shown['status']
    if reached != status:
        raise AssertionError('backup %s is %s, not %s: %s\n%s' % (
            backup_id, reached, status, (shown or {}).get('fault'),
            cloud.process.log()))
    return shown


ROWS_SQL = ('CREATE TABLE flow_rows (id INT PRIMARY KEY, note VARCHAR(32)); '
            "INSERT INTO flow_rows VALUES (1, 'before'), (2, 'the backup')")
ROWS = 'SELECT id, note FROM flow_rows ORDER BY id'


def test_backup_restore_into_a_new_instance_and_delete(cloud, member, admin,
                                                       instance):
    """Tempest's backup flow: back the instance up, wait for COMPLETED,
    find it in both lists, restore it into a new instance
    (``restorePoint``), then delete the new instance and the backup.
    """
    client = Client(instance.datastore, instance.address)
    client.works('alice', PASSWORD, 'app', ROWS_SQL)
    expected = client.works('alice', PASSWORD, 'app', ROWS)
    created = member.backups.create('flow-backup-' + instance.datastore,
                                    instance.id, description='flow')
    assert (created.status, created.instance_id) == ('NEW', instance.id)
    backup = _wait_backup(cloud, member, created.id, 'COMPLETED')
    assert backup['datastore']['type'] == instance.datastore
    assert backup['size'] > 0 and backup['locationRef']
    source = _wait(cloud, member, instance.id, 'ACTIVE')
    client.works('alice', PASSWORD, 'app',
                 "INSERT INTO flow_rows VALUES (3, 'after')")
    assert created.id in {b.id for b in member.backups.list()}
    assert created.id in {b.id for b in member.instances.backups(
        instance.id)}
    # Upstream's cleanup tooling finds it by id from another project.
    assert admin.backups.get(created.id).id == created.id

    restored = member.instances.create(
        'flow-restored-' + instance.datastore, _flavor_id(member),
        volume={'size': 1}, restorePoint={'backupRef': created.id},
        datastore=instance.datastore,
        datastore_version=source['datastore']['version'])
    try:
        shown = _wait(cloud, member, restored.id, 'ACTIVE')
        # The rows the backup holds, with the owner's own login; not the
        # one written after it.
        assert Client(instance.datastore, shown['ip'][0]).works(
            'alice', PASSWORD, 'app', ROWS) == expected
    finally:
        member.instances.delete(restored.id)
        _wait(cloud, member, restored.id, waiting.GONE)
    assert embedded.processes_mentioning(restored.id) == []

    member.backups.delete(created.id)
    _wait_backup(cloud, member, created.id, waiting.GONE)
    assert created.id not in {b.id for b in member.backups.list()}
    _wait(cloud, member, instance.id, 'ACTIVE')


def test_replica_create_promote_detach_delete(cloud, member, instance):
    """The replication flow of upstream's client: a replica of the
    instance (``replica_of``; its flavor and volume are the source's),
    rows flow to it, ``promote_to_replica_source`` swaps the roles and
    rows flow back, ``update(detach_replica_source=True)`` makes the old
    source stand alone again, and the replica is deleted.
    """
    source = Client(instance.datastore, instance.address)
    source.works('alice', PASSWORD, 'app',
                 'CREATE TABLE flow_replicated (id INT PRIMARY KEY); '
                 'INSERT INTO flow_replicated VALUES (1)')
    created = member.instances.create('flow-replica-' + instance.datastore,
                                      replica_of=instance.id)
    try:
        shown = _wait(cloud, member, created.id, 'ACTIVE')
        assert shown['replica_of']['id'] == instance.id
        assert [r['id'] for r in _shown(member, instance.id)['replicas']
                ] == [created.id]
        replica = Client(instance.datastore, shown['ip'][0])
        count = 'SELECT count(*) FROM flow_replicated'
        source.works('alice', PASSWORD, 'app',
                     'INSERT INTO flow_replicated VALUES (2)')
        assert waiting.wait_for(lambda: replica.run(
            'alice', PASSWORD, 'app', count).stdout.strip() == '2',
            timeout=60, interval=0.3)
        member.instances.promote_to_replica_source(created.id)
        _wait(cloud, member, created.id, 'ACTIVE')
        assert _wait(cloud, member, instance.id, 'ACTIVE')['replica_of'][
            'id'] == created.id
        replica.works('alice', PASSWORD, 'app',
                      'INSERT INTO flow_replicated VALUES (3)')
        assert waiting.wait_for(lambda: source.run(
            'alice', PASSWORD, 'app', count).stdout.strip() == '3',
            timeout=60, interval=0.3)
        member.instances.update(instance.id, detach_replica_source=True)
        assert 'replica_of' not in _wait(cloud, member, instance.id,
                                         'ACTIVE')
        source.works('alice', PASSWORD, 'app',
                     'DROP TABLE flow_replicated')
    finally:
        member.instances.delete(created.id)
        _wait(cloud, member, created.id, waiting.GONE)
    assert embedded.processes_mentioning(created.id) == []


def test_another_projects_member_is_told_nothing(cloud, instance):
    outsider = _client(cloud, 'other-member', 'other')
    with pytest.raises(trove_exc.NotFound):
        outsider.instances.get(instance.id)
    with pytest.raises(trove_exc.NotFound):
        outsider.instances.force_delete(instance.id)
    assert instance.id not in {i.id for i in outsider.instances.list()}


def test_an_admin_of_another_project_force_deletes_it(cloud, member, admin,
                                                      instance):
    """Upstream's cleanup: ``reset_status`` then ``delete`` by id, as an
    admin whose token is for its own project (last: the instance goes).
    """
    assert admin.instances.get(instance.id).id == instance.id
    assert instance.id not in {i.id for i in admin.instances.list()}
    assert 'alice' in {user.name for user in admin.users.list(instance.id)}
    admin.instances.force_delete(instance.id)
    _wait(cloud, member, instance.id, waiting.GONE)
    with pytest.raises(trove_exc.NotFound):
        admin.instances.get(instance.id)
    Client(instance.datastore, instance.address).refused(
        'alice', PASSWORD, 'app')
    assert embedded.processes_mentioning(instance.id) == []
