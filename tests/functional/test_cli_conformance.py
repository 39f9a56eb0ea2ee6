"""CLI conformance: every ``openstack database`` and ``datastore`` command.

The command list is python-troveclient's own (its ``openstack.database.v1``
entry points), so it cannot drift: a client release that adds a command
fails ``test_every_command_has_a_row`` until ``NOT_YET`` or a scenario
says what happens to it. Each command either has a scenario below, run
with the unmodified ``openstack`` CLI and nothing but a Keystone openrc
(exit codes and, with ``-f json``, the table's columns and values
checked), or is not supported yet, with the reason. Those are run too:
they must fail cleanly, with the API's error and no crash of the client.

The session's terminal summary says "CLI conformance: N of M commands
pass" and lists the commands not supported yet, so the gap stays visible.
The cloud is the session's Keystone cloud (``keystone.shared_cloud``)
with the ``fake`` datastore, whose guests keep databases, users and root
in memory; this module works in a project of its own.
"""

import collections
import contextlib
import importlib.metadata
import json
import os

from cliff import display
import pytest
import requests

from tests.functional import cli_worker
from tests.functional import conftest
from tests.functional import keystone
from tests.functional import swift
from tests import waiting

PROJECT = 'conformance'
MEMBER = 'cli-member'
IMAGE_ID = '8c1d5b9e-3f4a-4e2b-9a6c-0d7e8f9a1b2c'
ADMIN = 'cli-admin'
# The region of the API that publishes guest logs to the tenant's Swift
# (``swift_cloud``), where ``log tail`` and ``log save`` find them.
SWIFT_REGION = 'RegionConformanceSwift'

NO_MISTRAL = 'backup executions are Mistral workflows, not Trove API'
NO_CLUSTERS = 'no clusters API (/clusters) yet'
NO_SSL = 'no SSL API (/instances/{id}/ssl) yet'
NO_MODULES = 'no modules API (/modules) yet'
NO_LOST_SOURCE = ('eject needs a source whose agent went quiet, and the '
                  "fake guests of this cloud do not (it answers upstream's "
                  '400 here; test_replication_embedded ejects for real)')
NO_REBUILD = ('rebuild answers 501: instances of the local and fake '
              'compute drivers boot from no image (upgrade their '
              'datastore version instead)')

# Commands not supported yet: (reason, arguments, run as admin). Their
# arguments name what this module created ({instance}, {version_id}), so
# the failure comes from the missing API, not from an unknown name.
NOT_YET = {
    'database_backup_execution_delete': (NO_MISTRAL, ['exec1'], False),
    'database_cluster_create': (
        NO_CLUSTERS, ['cl1', 'fake', '1.0', '--instance',
                      'flavor=m1.tiny,volume=1'], False),
    'database_cluster_delete': (NO_CLUSTERS, ['cl1'], False),
    'database_cluster_force_delete': (NO_CLUSTERS, ['cl1'], False),
    'database_cluster_grow': (
        NO_CLUSTERS, ['cl1', '--instance', 'flavor=m1.tiny,volume=1'],
        False),
    'database_cluster_list': (NO_CLUSTERS, [], False),
    'database_cluster_list_instances': (NO_CLUSTERS, ['cl1'], False),
    'database_cluster_modules': (NO_CLUSTERS, ['cl1'], False),
    'database_cluster_reset_status': (NO_CLUSTERS, ['cl1'], True),
    'database_cluster_show': (NO_CLUSTERS, ['cl1'], False),
    'database_cluster_shrink': (NO_CLUSTERS, ['cl1', '{instance}'], False),
    'database_cluster_upgrade': (NO_CLUSTERS, ['cl1', '1.0'], False),
    'database_instance_eject': (NO_LOST_SOURCE, ['{instance}'], False),
    'database_instance_rebuild': (
        NO_REBUILD, ['{instance}', IMAGE_ID], True),
    'database_ssl_disable': (NO_SSL, ['{instance}'], False),
    'database_ssl_enable': (
        NO_SSL, ['{instance}', 'container-1'], False),
    'database_ssl_rollback': (NO_SSL, ['{instance}'], False),
    'database_ssl_show': (NO_SSL, ['{instance}'], False),
}

# How the client reports failure for some of those, when it is not a
# non-zero exit with the API's error on stderr: (exit code or None for
# any non-zero one, text expected in stdout + stderr).
CLIENT_QUIRKS = {
    # Deletes a Mistral workflow execution through python-mistralclient;
    # with no Mistral in the catalog it never reaches our API and prints
    # "None".
    'database_backup_execution_delete': (None, 'None'),
    # Upstream's refusals: not a source, or its heartbeat is fresh.
    'database_instance_eject': (1, '(HTTP 400)'),
}


def parse_json(stdout):
    """The ``-f json`` document in ``stdout``: ``limit list`` prints a
    table of the absolute limits before it.
    """
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines)
                 if line.startswith(('[', '{')))
    return json.loads('\n'.join(lines[start:]))


def troveclient_commands():
    """Every command python-troveclient gives ``openstack``, by entry
    point name (``database_instance_create``), with its class.
    """
    return {point.name: point
            for point in importlib.metadata.entry_points(
                group='openstack.database.v1')}


class Conformance:
    """Runs commands as the module's users and records which pass.

    A command passes when every run of it in a scenario exited as
    expected and its output checked out; one never run does not pass.
    """

    def __init__(self, cloud, project_id):
        self.cloud = cloud
        self.project_id = project_id
        self.commands = troveclient_commands()
        self.passed = {}
        self.state = {}
        self.stdout = ''
        self.workers = {}

    def prints_table(self, name):
        """Whether the command prints a table (and so takes ``-f``)."""
        return issubclass(self.commands[name].load(),
                          display.DisplayCommandBase)

    def argv(self, name, args):
        """The command line: its words, ``args`` with ``{state}`` names
        filled in, and ``-f json`` when it prints a table.
        """
        extra = ['-f', 'json'] if self.prints_table(name) else []
        return name.split('_') + [str(arg).format(**self.state)
                                  for arg in args] + extra

    def openrc(self, user, region=keystone.REGION):
        """The environment ``source openrc`` gives: no endpoint override.
        """
        env = {key: value for key, value in os.environ.items()
               if not key.startswith('OS_')}
        env.update({'OS_AUTH_URL': self.cloud.identity.url,
                    'OS_IDENTITY_API_VERSION': '3',
                    'OS_USERNAME': user,
                    'OS_PASSWORD': keystone.USER_PASSWORD,
                    'OS_PROJECT_NAME': PROJECT,
                    'OS_USER_DOMAIN_NAME': 'Default',
                    'OS_PROJECT_DOMAIN_NAME': 'Default',
                    'OS_REGION_NAME': region})
        return env

    def start(self):
        # NOTE(speed): a warm CLI per user (cli_worker); a fresh
        # ``openstack`` process per command made the module take 10 min.
        self.workers = {(user, keystone.REGION): cli_worker.Worker(
            self.openrc(user)) for user in (MEMBER, ADMIN)}

    def stop(self):
        for worker in self.workers.values():
            worker.close()

    def run(self, name, *args, admin=False, region=keystone.REGION):
        """Run ``openstack <name words> <args>``; the CompletedProcess."""
        key = (ADMIN if admin else MEMBER, region)
        if key not in self.workers:
            self.workers[key] = cli_worker.Worker(self.openrc(*key))
        return self.workers[key].run(self.argv(name, args))

    def do(self, name, *args, admin=False, region=keystone.REGION):
        """Run a command that prints nothing and is not the one under
        test (to set up what that one needs); it must succeed.
        """
        result = self.run(name, *args, admin=admin, region=region)
        assert result.returncode == 0, (name, args, result.stderr)

    def read(self, name, *args, admin=False, region=keystone.REGION):
        """Run a command that is not the one under test (to check what
        that one did); its parsed output.
        """
        result = self.run(name, *args, admin=admin, region=region)
        assert result.returncode == 0, (name, args, result.stderr)
        return parse_json(result.stdout)

    @contextlib.contextmanager
    def command(self, name, admin=False, region=keystone.REGION):
        """Check one command: yields a runner that returns its parsed
        ``-f json`` output (or the stdout of a command that prints
        nothing) and fails on a non-zero exit.
        """
        assert name in self.commands, name
        assert name not in NOT_YET, name

        def run(*args):
            result = self.run(name, *args, admin=admin, region=region)
            assert result.returncode == 0, (name, args, result.stderr)
            assert 'Traceback' not in result.stderr, result.stderr
            self.stdout = result.stdout
            if self.prints_table(name):
                return parse_json(result.stdout)
            return result.stdout
        self.passed[name] = False
        yield run
        self.passed[name] = True

    def token(self, admin=False):
        return self.cloud.identity.token(ADMIN if admin else MEMBER,
                                         keystone.USER_PASSWORD,
                                         PROJECT)[0]

    def get(self, path):
        """GET ``path`` under the project over REST, for polling a
        status, which the CLI has no command for.
        """
        return requests.get(
            '%s/v1.0/%s%s' % (self.cloud.api_base, self.project_id, path),
            headers={'X-Auth-Token': self.token()}, timeout=10)

    def shown(self, instance_id):
        resp = self.get('/instances/' + instance_id)
        if resp.status_code == 404:
            return None
        assert resp.status_code == 200, resp.text
        return resp.json()['instance']

    def wait_for(self, instance_id, status, deadline=60):
        return waiting.wait_for_status(lambda: self.shown(instance_id),
                                       status, timeout=deadline)

    def summary(self):
        passing = sorted(name for name, ok in self.passed.items() if ok)
        lines = ['CLI conformance: %d of %d commands pass'
                 % (len(passing), len(self.commands))]
        failing = sorted(set(self.commands) - set(NOT_YET) - set(passing))
        if failing:
            lines.append('Supported but not passing: %s' % ', '.join(
                name.replace('_', ' ') for name in failing))
        by_reason = collections.defaultdict(list)
        for name, (reason, _args, _admin) in sorted(NOT_YET.items()):
            by_reason[reason].append(name.replace('_', ' '))
        lines.append('Not supported yet (%d):' % len(NOT_YET))
        for reason, names in sorted(by_reason.items()):
            lines.append('  %s: %s' % (reason, ', '.join(names)))
        return lines


@pytest.fixture(scope='module')
def suite(shared_services, request, tmp_path_factory):
    cloud = keystone.shared_cloud(shared_services)
    identity = cloud.identity
    project_id = identity.create_project(PROJECT)
    identity.create_user(MEMBER, keystone.USER_PASSWORD, project_id,
                         'member')
    identity.create_user(ADMIN, keystone.USER_PASSWORD, project_id, 'admin')
    manage = ['--config-file', cloud.config]
    conftest.register_fake_datastore(cloud.config)
    # A bigger flavor, for ``instance resize flavor``.
    conftest.run_script('trove-lite-manage', *manage, 'flavor_create',
                        '70', 'conformance.large', '2048', '1')
    # A datastore with nothing in it, for ``datastore delete``.
    conftest.run_script('trove-lite-manage', *manage, 'datastore_update',
                        'conformance-doomed', '')
    result = Conformance(cloud, project_id)
    result.state['tmp'] = str(tmp_path_factory.mktemp('cli'))
    result.start()
    try:
        yield result
    finally:
        result.stop()
    request.config.stash.setdefault(conftest.SUMMARY, []).extend(
        result.summary())


def fails(suite, name, *args, expect):
    """A command that must fail with the API's error ``expect``."""
    result = suite.run(name, *args)
    assert result.returncode == 1, (name, args, result)
    assert expect in result.stderr, (name, args, result.stderr)


def names(rows, key='Name'):
    return [row[key] for row in rows]


def test_every_command_has_a_row():
    commands = troveclient_commands()
    assert set(NOT_YET) <= set(commands), set(NOT_YET) - set(commands)
    # The rest have scenarios: each appears in a ``suite.command`` below.
    with open(__file__) as handle:
        source = handle.read()
    missing = [name for name in set(commands) - set(NOT_YET)
               if "command('%s'" % name not in source]
    assert not missing, 'commands with neither a scenario nor a reason: %s' % (
        missing)


def test_datastores_flavors_limits(suite):
    with suite.command('datastore_list') as run:
        rows = run()
        assert 'fake' in names(rows)
        assert set(rows[0]) == {'ID', 'Name'}
    with suite.command('datastore_show') as run:
        shown = run('fake')
        assert shown['name'] == 'fake'
        assert shown['default_version'] == '1.0'
        assert shown['versions (id)'].startswith('1.0 (')
    with suite.command('datastore_version_list') as run:
        rows = run('fake')
        assert names(rows) == ['1.0']
        assert set(rows[0]) == {'ID', 'Name', 'Version'}
        suite.state['version_id'] = rows[0]['ID']
    with suite.command('datastore_version_show') as run:
        shown = run('1.0', '--datastore', 'fake')
        assert shown['name'] == '1.0'
        assert shown['id'] == suite.state['version_id']
        assert run(suite.state['version_id'])['name'] == '1.0'
        # The image is for admins.
        assert 'image' not in shown
        shown = suite.read('datastore_version_show', '{version_id}',
                           admin=True)
        assert shown['active'] is True and 'image' in shown
    with suite.command('database_flavor_list') as run:
        rows = run()
        assert 'm1.tiny' in names(rows)
        assert {'ID', 'Name', 'RAM', 'vCPUs'} <= set(rows[0])
        # The flavors a datastore version may run on.
        assert 'm1.tiny' in names(run('--datastore-type', 'fake',
                                      '--datastore-version-id',
                                      '{version_id}'))
    with suite.command('database_flavor_show') as run:
        shown = run('m1.tiny')
        assert shown['name'] == 'm1.tiny'
        assert shown['ram'] == 512
    with suite.command('database_limit_list') as run:
        rows = run()
        assert rows and set(rows[0]) == {'Value', 'Verb', 'Remaining',
                                         'Unit'}
        for absolute in ('max_instances', 'max_volumes', 'max_backups'):
            assert '| %s ' % absolute in suite.stdout


def test_configuration_parameters(suite):
    with suite.command('database_configuration_parameter_list') as run:
        rows = run('1.0', '--datastore', 'fake')
        assert set(rows[0]) == {'Name', 'Type', 'Min Size', 'Max Size',
                                'Restart Required'}
        by_name = {row['Name']: row for row in rows}
        assert by_name['max_connections'] == {
            'Name': 'max_connections', 'Type': 'integer', 'Min Size': 1,
            'Max Size': 100000, 'Restart Required': False}
        assert by_name['buffer_pool_size']['Restart Required'] is True
        # A string parameter has no bounds (the client shows "-").
        assert by_name['character_set_server']['Min Size'] == '-'
        # By the version's id alone.
        version_id = suite.read('datastore_version_list', 'fake')[0]['ID']
        assert run(version_id) == rows
    with suite.command('database_configuration_parameter_show') as run:
        shown = run('1.0', 'wait_timeout', '--datastore', 'fake')
        assert shown == {'name': 'wait_timeout',
                         'datastore_version_id': version_id,
                         'restart_required': False, 'type': 'integer',
                         'min': 1, 'max': 31536000}
        assert run(version_id, 'wait_timeout') == shown
        fails(suite, 'database_configuration_parameter_show', '1.0',
              'nosuch', '--datastore', 'fake',
              expect='Configuration parameter nosuch')


def test_quotas(suite):
    with suite.command('database_quota_show', admin=True) as run:
        rows = run(suite.project_id)
        assert set(rows[0]) == {'Resource', 'In Use', 'Reserved', 'Limit'}
        assert 'instances' in names(rows, 'Resource')
        # A member may read its own project's quotas, as upstream.
        assert suite.read('database_quota_show', suite.project_id) == rows
    with suite.command('database_quota_update', admin=True) as run:
        assert run(suite.project_id, 'instances', '9') == {'instances': 9}
        rows = suite.read('database_quota_show', suite.project_id, admin=True)
        limits = {row['Resource']: row['Limit'] for row in rows}
        assert limits['instances'] == 9
        # Changing them is for admins: the management API's 401.
        result = suite.run('database_quota_update', suite.project_id,
                           'instances', '20')
        assert result.returncode == 1, result
        assert '(HTTP 401)' in result.stderr, result.stderr


def test_datastore_version_management(suite):
    with suite.command('datastore_version_create', admin=True) as run:
        run('2.0', 'fake', 'fake', IMAGE_ID, '--active')
        rows = suite.read('datastore_version_list', 'fake', admin=True)
        assert sorted(names(rows)) == ['1.0', '2.0']
        new_id = [row['ID'] for row in rows if row['Name'] == '2.0'][0]
    with suite.command('datastore_version_set', admin=True) as run:
        run(new_id, '--version-name', '2.0-renamed', '--disable')
        shown = suite.read('datastore_version_show', new_id, admin=True)
        assert shown['name'] == '2.0-renamed'
        assert shown['active'] is False
    with suite.command('datastore_version_delete', admin=True) as run:
        run(new_id)
        rows = suite.read('datastore_version_list', 'fake', admin=True)
        assert names(rows) == ['1.0']
    with suite.command('datastore_delete', admin=True) as run:
        run('conformance-doomed')
        rows = suite.read('datastore_list')
        assert 'conformance-doomed' not in names(rows)


def test_instances(suite):
    with suite.command('database_instance_create') as run:
        created = run('conf1', '--flavor', 'm1.tiny', '--size', '1',
                      '--datastore', 'fake', '--datastore-version', '1.0',
                      '--databases', 'app', '--users', 'alice:secret')
        assert created['name'] == 'conf1'
        assert created['status'] == 'BUILD'
        assert created['datastore'] == 'fake'
        assert created['datastore_version'] == '1.0'
        assert created['volume'] == 1
        suite.state['instance'] = created['id']
        fails(suite, 'database_instance_create', 'conf0', '--flavor',
              'm1.tiny', '--size', '1', '--datastore', 'nosuch',
              expect='Datastore nosuch cannot be found. (HTTP 404)')
        # The one the admin force-deletes at the end.
        suite.state['doomed'] = run(
            'conf2', '--flavor', 'm1.tiny', '--size', '1', '--datastore',
            'fake')['id']
        suite.wait_for(suite.state['instance'], 'ACTIVE')
    with suite.command('database_instance_list') as run:
        rows = run()
        row = [r for r in rows if r['ID'] == suite.state['instance']][0]
        assert row['Name'] == 'conf1'
        assert row['Datastore'] == 'fake'
        assert row['Status'] == 'ACTIVE'
        assert {'Datastore Version', 'Operating Status', 'Flavor ID',
                'Size'} <= set(row)
        # An admin's --all-projects is the management list.
        rows = suite.read('database_instance_list', '--all-projects',
                          admin=True)
        row = [r for r in rows if r['ID'] == suite.state['instance']][0]
        assert row['Tenant ID'] == suite.project_id
        assert row['Server ID']
    with suite.command('database_instance_show') as run:
        shown = run('conf1')
        assert shown['id'] == suite.state['instance']
        assert shown['status'] == 'ACTIVE'
        assert shown['flavor'] == '1'
        assert shown['volume'] == 1
        # Admin-only fields stay hidden from a member.
        assert not {'tenant_id', 'server_id', 'volume_id'} & set(shown)
        shown = suite.read('database_instance_show', '{instance}',
                           admin=True)
        assert shown['tenant_id'] == suite.project_id
        assert shown['server_id']
    with suite.command('database_instance_update') as run:
        run('{instance}', '--name', 'conf1-renamed')
        resp = suite.get('/instances/' + suite.state['instance'])
        assert resp.json()['instance']['name'] == 'conf1-renamed'
        # Access: a recorded change, shown once the driver enforces it.
        run('{instance}', '--is-public', '--allowed-cidr', '10.0.0.0/8',
            '--allowed-cidr', '192.0.2.7/32')
        wanted = {'is_public': True,
                  'allowed_cidrs': ['10.0.0.0/8', '192.0.2.7/32']}
        assert waiting.wait_for(lambda: suite.get(
            '/instances/' + suite.state['instance']).json()['instance'][
                'access'] == wanted, timeout=60)
        shown = suite.read('database_instance_show', '{instance}')
        assert shown['public'] is True
        assert shown['allowed_cidrs'] == wanted['allowed_cidrs']
        fails(suite, 'database_instance_update', '{instance}',
              '--allowed-cidr', '10.0.0.0/33', expect='(HTTP 400)')
        run('{instance}', '--is-private')
        assert waiting.wait_for(lambda: suite.read(
            'database_instance_show', '{instance}')['public'] is False,
            timeout=60)
        assert suite.read('database_instance_show', '{instance}')[
            'status'] == 'ACTIVE'
    with suite.command('database_instance_restart') as run:
        run('conf1-renamed')
        suite.wait_for(suite.state['instance'], 'ACTIVE')
    with suite.command('database_instance_resize_volume') as run:
        fails(suite, 'database_instance_resize_volume', '{instance}', '1',
              expect="The new volume 'size' must be larger than the "
                     "current volume size of '1'. (HTTP 400)")
        run('conf1-renamed', '2')
        shown = suite.wait_for(suite.state['instance'], 'ACTIVE')
        assert shown['volume']['size'] == 2
        assert suite.read('database_instance_show',
                          '{instance}')['volume'] == 2
    with suite.command('database_instance_resize_flavor') as run:
        fails(suite, 'database_instance_resize_flavor', '{instance}',
              'm1.tiny', expect="The new flavor id must be different than "
                                "the current flavor id of '1'. (HTTP 400)")
        run('{instance}', 'conformance.large')
        shown = suite.wait_for(suite.state['instance'], 'ACTIVE')
        assert shown['flavor']['id'] == '70'
        assert suite.read('database_instance_show',
                          '{instance}')['flavor'] == '70'


def test_databases(suite):
    with suite.command('database_db_list') as run:
        assert names(run('{instance}')) == ['app']
    with suite.command('database_db_create') as run:
        run('{instance}', 'newdb', '--character_set', 'utf8mb4')
        rows = suite.read('database_db_list', '{instance}')
        assert names(rows) == ['app', 'newdb']
    with suite.command('database_db_delete') as run:
        run('{instance}', 'newdb')
        assert names(suite.read('database_db_list', '{instance}')) == ['app']
        fails(suite, 'database_db_delete', '{instance}', 'newdb',
              expect='(HTTP 404)')


def test_users(suite):
    with suite.command('database_user_create') as run:
        run('{instance}', 'bob', 'pw-1', '--databases', 'app')
    with suite.command('database_user_list') as run:
        rows = run('{instance}')
        assert {'Name': 'bob', 'Host': '%', 'Databases': 'app'} in rows
        assert 'alice' in names(rows)
    with suite.command('database_user_show') as run:
        shown = run('{instance}', 'bob')
        assert shown['name'] == 'bob'
        assert shown['host'] == '%'
        fails(suite, 'database_user_show', '{instance}', 'nosuch',
              expect='(HTTP 404)')
    with suite.command('database_user_update_attributes') as run:
        run('{instance}', 'bob', '--new_name', 'carol')
        rows = suite.read('database_user_list', '{instance}')
        assert 'carol' in names(rows) and 'bob' not in names(rows)
    with suite.command('database_user_revoke_access') as run:
        run('{instance}', 'carol', 'app')
    with suite.command('database_user_show_access') as run:
        assert run('{instance}', 'carol') == []
    with suite.command('database_user_grant_access') as run:
        run('{instance}', 'carol', 'app')
        rows = suite.read('database_user_show_access', '{instance}', 'carol')
        assert rows == [{'Name': 'app'}]
    with suite.command('database_user_delete') as run:
        run('{instance}', 'carol')
        rows = suite.read('database_user_list', '{instance}')
        assert 'carol' not in names(rows)


def test_root(suite):
    with suite.command('database_root_show') as run:
        assert run('{instance}') == {'is_root_enabled': False}
    with suite.command('database_root_enable') as run:
        enabled = run('{instance}')
        assert enabled['name'] == 'root'
        assert enabled['password']
        shown = suite.read('database_root_show', '{instance}')
        assert shown == {'is_root_enabled': True}
    with suite.command('database_root_disable') as run:
        run('{instance}')
        shown = suite.read('database_root_show', '{instance}')
        assert shown == {'is_root_enabled': False}


def test_logs(suite):
    with suite.command('database_log_list') as run:
        rows = run('{instance}')
        assert rows == [{'Name': 'general', 'Type': 'USER',
                         'Status': 'Disabled', 'Published': 0,
                         'Pending': 0, 'Container': 'None',
                         'Prefix': 'None'}]
    with suite.command('database_log_show') as run:
        shown = run('{instance}', 'general')
        assert (shown['name'], shown['status']) == ('general', 'Disabled')
        assert shown['metafile'] == '%s/fake-general_metafile' % (
            suite.state['instance'])
        fails(suite, 'database_log_show', '{instance}', 'slow_query',
              expect='Log slow_query cannot be found on this instance. '
                     '(HTTP 404)')
    with suite.command('database_log_set') as run:
        assert run('{instance}', 'general', '--enable')['status'] == \
            'Enabled'
        suite.do('database_db_create', '{instance}', 'logged')
        shown = run('{instance}', 'general', '--publish')
        assert shown['status'] == 'Published' and shown['published'] > 0
        assert shown['container'] == 'database_logs'
        shown = run('{instance}', 'general', '--discard')
        assert shown['published'] == 0
        assert run('{instance}', 'general', '--disable')['status'] == \
            'Disabled'


@pytest.fixture(scope='module')
def swift_cloud(shared_services, suite):
    """A second API of the fake shape, in ``SWIFT_REGION``, publishing
    to the tenant's own Swift (the catalog's ``object-store``, behind
    the session's Keystone), as a cloud does.
    """
    identity, projects = keystone.shared_identity(shared_services)
    swift.shared_keystone(shared_services, identity, keystone.USER_PASSWORD,
                          regions=[SWIFT_REGION])
    with keystone.api_behind(
            identity, projects, keystone.FAKE_SHAPE, catalog=True,
            sections={'backup': {'storage_driver': 'swift',
                                 'swift_auth': 'keystone'}},
            region=SWIFT_REGION) as cloud:
        conftest.register_fake_datastore(cloud.config)
        yield cloud


def test_log_tail_and_save(suite, swift_cloud):
    region = {'region': SWIFT_REGION}
    created = suite.read('database_instance_create', 'logged', '--flavor',
                         'm1.tiny', '--size', '1', '--datastore', 'fake',
                         **region)
    waiting.wait_for_status(
        lambda: suite.read('database_instance_show', created['id'],
                           **region), 'ACTIVE', timeout=60)
    suite.state['logged'] = created['id']
    suite.read('database_log_set', '{logged}', 'general', '--enable',
               **region)
    suite.do('database_db_create', '{logged}', 'tailed', **region)
    suite.read('database_log_set', '{logged}', 'general', '--publish',
               **region)
    with suite.command('database_log_tail', **region) as run:
        assert run('{logged}', 'general', '--lines', '5') == \
            'CREATE DATABASE tailed\n'
    with suite.command('database_log_save', **region) as run:
        printed = run('{logged}', 'general', '--file',
                      '{tmp}/general.log')
        assert 'written to %s/general.log' % suite.state['tmp'] in printed
        with open(os.path.join(suite.state['tmp'], 'general.log')) as log:
            assert log.read() == 'CREATE DATABASE tailed\n'
    suite.do('database_instance_delete', '{logged}', **region)
    assert waiting.wait_for(lambda: suite.run(
        'database_instance_show', '{logged}', **region).returncode != 0,
        timeout=60)


def backup_status(suite, backup_id):
    resp = suite.get('/backups/' + backup_id)
    if resp.status_code == 404:
        return waiting.GONE
    assert resp.status_code == 200, resp.text
    return resp.json()['backup']['status']


def wait_backup(suite, backup_id, wanted):
    seen = []

    def reached():
        seen.append(backup_status(suite, backup_id))
        assert seen[-1] != 'FAILED', suite.get('/backups/' + backup_id).text
        return seen[-1] == wanted
    assert waiting.wait_for(reached, timeout=60, interval=0.2), seen


def test_backups(suite):
    with suite.command('database_backup_create') as run:
        full = run('bk1', '--instance', '{instance}', '--description',
                   'before the change')
        assert (full['name'], full['status'], full['description']) == (
            'bk1', 'NEW', 'before the change')
        assert full['instance_id'] == suite.state['instance']
        suite.state['backup'] = full['id']
        wait_backup(suite, full['id'], 'COMPLETED')
        suite.do('database_db_create', '{instance}', 'afterbk1')
        incremental = run('bk2', '--instance', '{instance}', '--parent',
                          full['id'])
        assert incremental['parent_id'] == full['id']
        suite.state['incremental'] = incremental['id']
        wait_backup(suite, incremental['id'], 'COMPLETED')
        fails(suite, 'database_backup_create', 'bk3', '--instance',
              '{instance}', '--parent', IMAGE_ID, expect='(HTTP 404)')
    with suite.command('database_backup_show') as run:
        shown = run('bk1')
        assert shown['id'] == full['id']
        assert shown['status'] == 'COMPLETED'
        assert shown['datastore'] == 'fake'
        assert shown['locationRef'] and shown['size'] > 0
    with suite.command('database_backup_list') as run:
        rows = run()
        assert {'bk1', 'bk2'} <= set(names(rows))
        assert {'ID', 'Instance ID', 'Name', 'Status', 'Parent ID',
                'Updated'} <= set(rows[0])
    with suite.command('database_backup_list_instance') as run:
        rows = run('{instance}')
        assert {full['id'], incremental['id']} <= {row['ID'] for row in rows}
    # An instance restored from the incremental has both backups' state.
    restored = suite.read('database_instance_create', 'conf-restored',
                          '--flavor', 'm1.tiny', '--size', '1',
                          '--datastore', 'fake', '--backup', 'bk2')
    suite.wait_for(restored['id'], 'ACTIVE')
    assert {'app', 'afterbk1'} <= set(names(suite.read(
        'database_db_list', restored['id'])))
    suite.do('database_instance_delete', restored['id'])
    suite.wait_for(restored['id'], waiting.GONE)
    with suite.command('database_backup_delete') as run:
        # The incremental goes with its parent, as upstream.
        run('bk1')
        for backup_id in (full['id'], incremental['id']):
            wait_backup(suite, backup_id, waiting.GONE)


def test_backup_strategies(suite):
    with suite.command('database_backup_strategy_create') as run:
        created = run('--instance-id', '{instance}', '--swift-container',
                      'conformance-backups')
        assert created['instance_id'] == suite.state['instance']
        assert created['swift_container'] == 'conformance-backups'
    with suite.command('database_backup_strategy_list') as run:
        rows = run()
        assert {'Project ID': suite.project_id,
                'Instance ID': suite.state['instance'],
                'Swift Container': 'conformance-backups'} in rows
    with suite.command('database_backup_strategy_delete') as run:
        run('--instance-id', '{instance}')
        assert suite.read('database_backup_strategy_list') == []


def _roles(suite):
    return {row['ID']: row['Role']
            for row in suite.read('database_instance_list')}


def test_configurations(suite):
    with suite.command('database_configuration_create') as run:
        created = run('cfg1', '{{"max_connections": 200, "wait_timeout": 240}}',
                      '--datastore', 'fake', '--datastore-version', '1.0',
                      '--description', 'tuned')
        assert (created['name'], created['description']) == ('cfg1',
                                                             'tuned')
        assert json.loads(created['values']) == {'max_connections': 200,
                                                 'wait_timeout': 240}
        assert created['instance_count'] == 0
        assert created['datastore_name'] == 'fake'
        suite.state['cfg'] = created['id']
        fails(suite, 'database_configuration_create', 'cfg0',
              '{{"max_connections": 0}}', '--datastore', 'fake',
              '--datastore-version', '1.0',
              expect='less than its minimum 1')
        fails(suite, 'database_configuration_create', 'cfg0',
              '{{"no_such_thing": 1}}', '--datastore', 'fake',
              '--datastore-version', '1.0', expect='is not supported')
    with suite.command('database_configuration_list') as run:
        rows = run()
        [row] = [r for r in rows if r['ID'] == suite.state['cfg']]
        assert row == {'ID': suite.state['cfg'], 'Name': 'cfg1',
                       'Description': 'tuned', 'Datastore Name': 'fake',
                       'Datastore Version Name': '1.0',
                       'Datastore Version Number': '1.0'}
    with suite.command('database_configuration_show') as run:
        shown = run('cfg1')
        assert shown['id'] == suite.state['cfg']
        assert json.loads(shown['values'])['wait_timeout'] == 240
    with suite.command('database_configuration_attach') as run:
        run('{instance}', 'cfg1')
        resp = suite.get('/instances/' + suite.state['instance'])
        assert resp.json()['instance']['configuration']['id'] == \
            suite.state['cfg']
        fails(suite, 'database_configuration_attach', '{instance}', 'cfg1',
              expect='already has configuration group')
    with suite.command('database_configuration_instances') as run:
        assert run('cfg1') == [{'ID': suite.state['instance'],
                                'Name': 'conf1-renamed'}]
    with suite.command('database_configuration_parameter_set') as run:
        run('{cfg}', '{{"wait_timeout": 300}}')
        shown = suite.read('database_configuration_show', '{cfg}')
        assert json.loads(shown['values']) == {'max_connections': 200,
                                               'wait_timeout': 300}
    with suite.command('database_configuration_set') as run:
        run('{cfg}', '{{"wait_timeout": 100}}', '--name', 'cfg1b')
        shown = suite.read('database_configuration_show', '{cfg}')
        assert shown['name'] == 'cfg1b'
        assert json.loads(shown['values']) == {'wait_timeout': 100}
    with suite.command('database_configuration_default') as run:
        defaults = run('{instance}')
        assert defaults['max_connections'] == 100
        assert defaults['wait_timeout'] == 28800
    fails(suite, 'database_configuration_delete', '{cfg}',
          expect='detach it from them first')
    with suite.command('database_configuration_detach') as run:
        run('{instance}')
        resp = suite.get('/instances/' + suite.state['instance'])
        assert 'configuration' not in resp.json()['instance']
    with suite.command('database_configuration_delete') as run:
        run('{cfg}')
        assert suite.state['cfg'] not in [
            row['ID'] for row in suite.read('database_configuration_list')]


def test_replication(suite):
    # Two replicas of the scenario's instance (a create with --replica-of:
    # the source's flavor and volume, names with -1, -2).
    created = suite.read('database_instance_create', 'conf-rep',
                         '--replica-of', '{instance}', '--replica-count',
                         '2')
    assert created['replica_of'] == suite.state['instance']
    replicas = {row['Name']: row['ID']
                for row in suite.read('database_instance_list')
                if row['Name'].startswith('conf-rep')}
    assert sorted(replicas) == ['conf-rep-1', 'conf-rep-2']
    first, second = replicas['conf-rep-1'], replicas['conf-rep-2']
    for replica in (first, second):
        suite.wait_for(replica, 'ACTIVE')
    source = suite.state['instance']
    assert _roles(suite)[source] == 'primary'
    assert {_roles(suite)[first], _roles(suite)[second]} == {'replica'}
    shown = suite.read('database_instance_show', '{instance}')
    assert set(shown['replicas'].split(', ')) == {first, second}
    # A replica has its source's databases and refuses changes.
    assert 'app' in names(suite.read('database_db_list', first))
    fails(suite, 'database_db_create', first, 'nope', expect='read-only')
    # The source cannot go while it has replicas (upstream's 403).
    result = suite.run('database_instance_delete', '{instance}')
    assert result.returncode == 1, result
    with suite.command('database_instance_promote') as run:
        run(first)
        suite.wait_for(first, 'ACTIVE')
        roles = _roles(suite)
        assert (roles[first], roles[source], roles[second]) == (
            'primary', 'replica', 'replica'), roles
        assert suite.shown(source)['replica_of']['id'] == first
        # Promoting the source itself is upstream's 400.
        fails(suite, 'database_instance_promote', first,
              expect='is not a replica')
    # The new source's heartbeat is fresh: no eject.
    fails(suite, 'database_instance_eject', first,
          expect='cannot be ejected')
    with suite.command('database_instance_detach') as run:
        run(second)
        suite.wait_for(second, 'ACTIVE')
        assert _roles(suite)[second] == ''
        suite.do('database_db_create', second, 'writable')
        # The scenario's instance goes back to being on its own.
        run('{instance}')
        suite.wait_for(source, 'ACTIVE')
    assert not suite.shown(first).get('replicas')
    for replica in (first, second):
        suite.do('database_instance_delete', replica)
    for replica in (first, second):
        suite.wait_for(replica, waiting.GONE)


def _fails_cleanly(name, result):
    """Whether a command not supported yet failed as it should."""
    output = result.stderr + result.stdout
    if 'Traceback' in output:
        return False
    if name in CLIENT_QUIRKS:
        code, text = CLIENT_QUIRKS[name]
        return (result.returncode != 0 if code is None
                else result.returncode == code) and text in output
    return result.returncode == 1 and any(
        sign in result.stderr for sign in (
            '(HTTP 404)', '(HTTP 501)', 'No ', 'not supported'))


def test_upgrade_and_reboot(suite):
    suite.do('datastore_version_create', '1.1', 'fake', 'fake', IMAGE_ID,
             '--active', admin=True)
    created = suite.read('database_instance_create', 'conf-up', '--flavor',
                         'm1.tiny', '--size', '1', '--datastore', 'fake',
                         '--datastore-version', '1.0')
    suite.wait_for(created['id'], 'ACTIVE')
    with suite.command('database_instance_upgrade') as run:
        run(created['id'], '1.1')
        suite.wait_for(created['id'], 'ACTIVE')
        shown = suite.read('database_instance_show', created['id'])
        assert shown['datastore_version'] == '1.1'
        # Upstream's refusals: an unknown version, the one it runs.
        fails(suite, 'database_instance_upgrade', created['id'], '9.9',
              expect='(HTTP 400)')
        fails(suite, 'database_instance_upgrade', created['id'], '1.1',
              expect='(HTTP 400)')
    with suite.command('database_instance_reboot', admin=True) as run:
        run(created['id'])
        suite.wait_for(created['id'], 'ACTIVE')
        # Management actions are an administrator's (upstream's 401).
        result = suite.run('database_instance_reboot', created['id'])
        assert result.returncode == 1, result
        assert '(HTTP 401)' in result.stderr, result.stderr
    suite.do('database_instance_delete', created['id'])
    suite.wait_for(created['id'], waiting.GONE)
    # Other modules of the session see the fake datastore as it was.
    rows = suite.read('datastore_version_list', 'fake', admin=True)
    [new_id] = [row['ID'] for row in rows if row['Name'] == '1.1']
    suite.do('datastore_version_set', new_id, '--disable', admin=True)


def test_not_supported_yet_fail_cleanly(suite):
    unclean = {}
    for name, (_reason, args, admin) in sorted(NOT_YET.items()):
        result = suite.run(name, *args, admin=admin)
        if not _fails_cleanly(name, result):
            unclean[name] = result
    assert not unclean, '\n'.join(
        '%s: exit %s: %s | %s' % (name, result.returncode, result.stderr,
                                  result.stdout)
        for name, result in sorted(unclean.items()))


def test_instance_reset_delete_force_delete(suite):
    with suite.command('database_instance_reset_status', admin=True) as run:
        run('{instance}')
        # Task NONE, service status UNKNOWN, whose API name is ERROR.
        shown = suite.get('/instances/' + suite.state['instance']).json()
        assert shown['instance']['status'] == 'ACTIVE', shown
        assert shown['instance']['operating_status'] == 'ERROR', shown
    with suite.command('database_instance_delete') as run:
        run('{instance}')
        suite.wait_for(suite.state['instance'], waiting.GONE)
    with suite.command('database_instance_force_delete', admin=True) as run:
        run('{doomed}')
        suite.wait_for(suite.state['doomed'], waiting.GONE)
