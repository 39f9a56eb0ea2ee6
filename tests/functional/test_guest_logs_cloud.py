"""Guest logs with the real CLI, from a real slow query to ``log tail``.

A cloud as a tenant meets it: the session's Keystone, a Swift behind it
(the catalog's ``object-store``, ``keystoneauth``) and ``trove-lite-all``
with the local compute driver, in a region of its own (``REGION``: the
catalog's ``database`` endpoint there), publishing to Swift with the
tenant's own token (``[backup] storage_driver = swift``, ``swift_auth =
keystone``). The unmodified ``openstack`` CLI, as the ``demo`` project's
member, enables the slow query log of a real MariaDB instance, the test
runs a statement slower than ``guest_log_long_query_time``, and ``log
publish`` then ``log tail`` and ``log save`` (which read Swift with the
user's credentials, as troveclient does) show its line. The objects are
then looked at in Swift itself, and ``log discard`` removes them.
PostgreSQL's general log shows a statement the same way, and Redis's
server log is an administrator's.
"""

import json
import os
import subprocess
import time

import pymysql
import pytest
from swiftclient import client as swift_client

from tests.functional import conftest
from tests.functional.datastore_clients import Client
from tests.functional import keystone
from tests.functional import swift
from tests import waiting

REGION = 'RegionLogs'
USER, PASSWORD, DATABASE = 'shop', 'Shop-secret-1', 'shop'
MARKER = 'tl-slow-query-marker'


@pytest.fixture(scope='module')
def cloud(shared_services):
    identity, projects = keystone.shared_identity(shared_services)
    object_store = swift.shared_keystone(
        shared_services, identity, keystone.USER_PASSWORD, regions=[REGION])
    sections = {
        'backup': {'storage_driver': 'swift', 'swift_auth': 'keystone'},
    }
    with keystone.api_behind(identity, projects, keystone.LOCAL_SHAPE,
                             catalog=True, sections=sections,
                             region=REGION) as running:
        running.object_store = object_store
        yield running


def _env(cloud, user, project):
    env = {key: value for key, value in os.environ.items()
           if not key.startswith('OS_')}
    env.update({'OS_AUTH_URL': cloud.identity.url,
                'OS_IDENTITY_API_VERSION': '3',
                'OS_USERNAME': user, 'OS_PASSWORD': keystone.USER_PASSWORD,
                'OS_PROJECT_NAME': project,
                'OS_USER_DOMAIN_NAME': 'Default',
                'OS_PROJECT_DOMAIN_NAME': 'Default',
                'OS_REGION_NAME': REGION})
    return env


def run(cloud, *args, user='demo-member', project='demo', cwd=None):
    return subprocess.run(
        [os.path.join(conftest.BIN_DIR, 'openstack')] + list(args),
        capture_output=True, text=True, timeout=180,
        env=_env(cloud, user, project), stdin=subprocess.DEVNULL, cwd=cwd)


def cli(cloud, *args, **kwargs):
    result = run(cloud, *args, '-f', 'json', **kwargs)
    assert result.returncode == 0, (args, result.stdout, result.stderr,
                                    cloud.process.log()[-3000:])
    return json.loads(result.stdout)


def _shown(cloud, instance_id):
    result = run(cloud, 'database', 'instance', 'show', instance_id,
                 '-f', 'json')
    if result.returncode != 0:
        return None
    return json.loads(result.stdout)


def created(cloud, name, datastore, *extra):
    """An ACTIVE instance made with the CLI; deleted (and waited for) on
    leaving.
    """
    made = cli(cloud, 'database', 'instance', 'create', name, '--flavor',
               'm1.tiny', '--size', '1', '--datastore', datastore, *extra)
    shown = waiting.wait_for_status(
        lambda: _shown(cloud, made['id']), 'ACTIVE', timeout=240,
        describe=cloud.process.log)
    yield shown
    cli_result = run(cloud, 'database', 'instance', 'delete', shown['id'])
    assert cli_result.returncode == 0, cli_result.stderr
    waiting.wait_for_status(lambda: _shown(cloud, shown['id']),
                            waiting.GONE, timeout=120,
                            describe=cloud.process.log)


@pytest.fixture(scope='module')
def instance(cloud):
    yield from created(cloud, 'logged', 'mysql', '--databases', DATABASE,
                       '--users', '%s:%s' % (USER, PASSWORD))


def _address(shown):
    addresses = shown['addresses']
    if isinstance(addresses, str):
        return addresses.split(',')[0].strip().split(' ')[0]
    return addresses[0]['address']


def slow_query(shown):
    """A statement slower than the 1 s threshold, as the tenant runs it."""
    with pymysql.connect(host=_address(shown), port=3306, user=USER,
                         password=PASSWORD, database=DATABASE,
                         connect_timeout=10) as conn:
        with conn.cursor() as cursor:
            cursor.execute("SELECT SLEEP(1.5), '%s'" % MARKER)
            cursor.fetchall()


def _log(cloud, instance, *args, **kwargs):
    return cli(cloud, 'database', 'log', *args, **kwargs)


def test_a_member_lists_the_exposed_logs(cloud, instance):
    listed = cli(cloud, 'database', 'log', 'list', instance['id'])
    assert sorted(entry['Name'] for entry in listed) == [
        'general', 'slow_query']
    assert {entry['Status'] for entry in listed} == {'Disabled'}


def test_the_error_log_is_the_admins(cloud, instance):
    refused = run(cloud, 'database', 'log', 'show', instance['id'],
                  'error')
    assert refused.returncode == 1
    assert ("User does not have admin privileges to 'show' the 'error' "
            "log. (HTTP 403)") in refused.stderr
    shown = cli(cloud, 'database', 'log', 'show', instance['id'], 'error',
                user='demo-admin')
    assert (shown['type'], shown['status']) == ('SYS', 'Ready')


def test_the_guest_agents_own_log_is_the_admins(cloud, instance):
    """The agents of this shape are threads of trove-lite-all, which
    logs for them: the ``guest`` log is listed to an administrator but
    has no file of its own (test_instance_lifecycle_cloud publishes a
    process agent's).
    """
    listed = cli(cloud, 'database', 'log', 'list', instance['id'],
                 user='demo-admin')
    assert {row['Name']: row['Status'] for row in listed} == {
        'error': 'Ready', 'general': 'Disabled', 'guest': 'Unavailable',
        'slow_query': 'Disabled'}


def test_slow_query_enable_publish_tail_save_discard(cloud, instance,
                                                     tmp_path, request):
    instance_id = instance['id']
    enabled = cli(cloud, 'database', 'log', 'set', instance_id,
                  'slow_query', '--enable')
    # MariaDB opens the file at once, with a header of its own.
    assert enabled['status'] in ('Enabled', 'Ready'), enabled
    slow_query(instance)
    published = cli(cloud, 'database', 'log', 'set', instance_id,
                    'slow_query', '--publish')
    assert published['status'] == 'Published', published
    assert published['published'] > 0 and published['pending'] == 0
    assert published['container'] == 'database_logs'
    prefix = '%s/mysql-slow_query/' % instance_id
    assert published['prefix'] == prefix

    tail = run(cloud, 'database', 'log', 'tail', instance_id, 'slow_query',
               '--lines', '20')
    assert tail.returncode == 0, tail.stderr
    assert MARKER in tail.stdout, tail.stdout
    assert '# Query_time: 1.5' in tail.stdout, tail.stdout
    printed = ['  ' + line for line in tail.stdout.splitlines()[-6:]]
    request.config.stash.setdefault(conftest.SUMMARY, []).append(
        'Guest logs: openstack database log tail %s slow_query printed:\n%s'
        % (instance_id, '\n'.join(printed)))

    saved = run(cloud, 'database', 'log', 'save', instance_id, 'slow_query',
                '--file', str(tmp_path / 'slow.log'))
    assert saved.returncode == 0, saved.stderr
    assert MARKER in (tmp_path / 'slow.log').read_text()

    # What Swift holds: the tenant's own account, objects with their
    # lines and an expiry, the metafile beside them.
    token, body = cloud.identity.token('demo-member',
                                       keystone.USER_PASSWORD, 'demo')
    account = '%s/v1/%s_%s' % (cloud.object_store.proxy_url,
                               swift.KEYSTONE_PREFIX, cloud.projects['demo'])
    conn = swift_client.Connection(preauthurl=account, preauthtoken=token,
                                   retries=0)
    _headers, listing = conn.get_container('database_logs', prefix=prefix)
    assert listing, 'nothing published under %s' % prefix
    headers = conn.head_object('database_logs', listing[0]['name'])
    assert int(headers['x-object-meta-lines']) > 0
    assert int(headers['x-delete-at']) > time.time() + 86400
    meta = json.loads(conn.get_object(
        'database_logs', published['metafile'])[1])
    assert meta['log'] == 'slow_query' and meta['published'] > 0

    # A second slow query is pending, then published on its own.
    slow_query(instance)
    pending = cli(cloud, 'database', 'log', 'show', instance_id,
                  'slow_query')
    assert pending['status'] == 'Partial' and pending['pending'] > 0
    again = cli(cloud, 'database', 'log', 'set', instance_id, 'slow_query',
                '--publish')
    assert again['published'] > published['published']
    _headers, listing = conn.get_container('database_logs', prefix=prefix)
    assert len(listing) == 2

    discarded = cli(cloud, 'database', 'log', 'set', instance_id,
                    'slow_query', '--discard')
    assert discarded['published'] == 0
    _headers, listing = conn.get_container('database_logs', prefix=prefix)
    assert listing == []
    tail = run(cloud, 'database', 'log', 'tail', instance_id, 'slow_query')
    assert "No published 'slow_query' log was found" in tail.stdout

    disabled = cli(cloud, 'database', 'log', 'set', instance_id,
                   'slow_query', '--disable')
    assert disabled['status'] == 'Disabled'


def test_a_reader_cannot_enable(cloud, instance):
    refused = run(cloud, 'database', 'log', 'set', instance['id'],
                  'general', '--enable', user='demo-reader')
    assert refused.returncode == 1
    assert '(HTTP 403)' in refused.stderr
    shown = cli(cloud, 'database', 'log', 'show', instance['id'], 'general',
                user='demo-reader')
    assert shown['status'] == 'Disabled'


def test_postgresql_general_log_shows_a_statement(cloud):
    for shown in created(cloud, 'pg-logged', 'postgresql', '--databases',
                         DATABASE, '--users', '%s:%s' % (USER, PASSWORD)):
        instance_id = shown['id']
        enabled = cli(cloud, 'database', 'log', 'set', instance_id,
                      'general', '--enable')
        assert enabled['status'] in ('Enabled', 'Ready'), enabled
        Client('postgresql', _address(shown)).works(
            USER, PASSWORD, DATABASE, "SELECT 'tl-pg-marker'")
        published = cli(cloud, 'database', 'log', 'set', instance_id,
                        'general', '--publish')
        # NOTE(pg): the server may log more (a checkpoint) meanwhile.
        assert published['status'] in ('Published', 'Partial'), published
        tail = run(cloud, 'database', 'log', 'tail', instance_id, 'general')
        assert tail.returncode == 0, tail.stderr
        assert "statement: SELECT 'tl-pg-marker'" in tail.stdout, (
            tail.stdout)
        # The agent's own statements (its health checks) are not there.
        assert 'statement: SELECT 1' not in tail.stdout, tail.stdout
        disabled = cli(cloud, 'database', 'log', 'set', instance_id,
                       'general', '--disable')
        assert disabled['status'] == 'Disabled'
        Client('postgresql', _address(shown)).works(
            USER, PASSWORD, DATABASE, "SELECT 'tl-pg-unlogged'")
        cli(cloud, 'database', 'log', 'set', instance_id, 'general',
            '--publish', '--disable')
        tail = run(cloud, 'database', 'log', 'tail', instance_id, 'general',
                   '--lines', '0')
        assert 'tl-pg-unlogged' not in tail.stdout


def test_redis_server_log_is_the_admins(cloud):
    for shown in created(cloud, 'redis-logged', 'redis'):
        instance_id = shown['id']
        assert cli(cloud, 'database', 'log', 'list', instance_id) == []
        listed = cli(cloud, 'database', 'log', 'list', instance_id,
                     user='demo-admin')
        assert [(row['Name'], row['Type']) for row in listed] == [
            ('guest', 'SYS'), ('server', 'SYS')]
        refused = run(cloud, 'database', 'log', 'set', instance_id,
                      'server', '--disable', user='demo-admin')
        assert refused.returncode == 1
        assert 'system log' in refused.stderr
        published = cli(cloud, 'database', 'log', 'set', instance_id,
                        'server', '--publish', user='demo-admin')
        assert published['status'] == 'Published', published
        tail = run(cloud, 'database', 'log', 'tail', instance_id, 'server',
                   user='demo-admin')
        assert 'Ready to accept connections' in tail.stdout, tail.stdout
