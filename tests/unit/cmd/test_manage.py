"""``trove-lite-manage`` run in-process: every subcommand, and its errors."""

import datetime
import json

import pytest

from trove_lite.cmd import manage
from trove_lite.db import migration
from trove_lite.db.repositories import backup_schedules as schedule_repo
from trove_lite.db.repositories import datastores as ds_repo
from trove_lite.db.repositories import flavors as flavor_repo


class Manage:
    """Runs ``main`` with the test's config file; keeps the last output."""

    def __init__(self, config_file, capsys):
        self.config_file = config_file
        self.capsys = capsys
        self.out = self.err = ''

    def __call__(self, *args):
        code = manage.main(['--config-file', self.config_file] +
                           [str(a) for a in args])
        captured = self.capsys.readouterr()
        self.out, self.err = captured.out, captured.err
        return code

    def ok(self, *args):
        code = self(*args)
        assert code == 0, self.err
        assert 'ERROR' not in self.err
        return self.out


@pytest.fixture
def run(config_file, capsys):
    return Manage(config_file, capsys)


@pytest.fixture
def synced(run):
    run.ok('db_sync')
    return run


@pytest.fixture
def mysql(synced):
    synced.ok('datastore_update', 'mysql', '')
    synced.ok('datastore_version_update', 'mysql', '8.0', 'mysql', '', '',
              1)
    return synced


def _version(ctx, name='8.0', number=None):
    datastore = ds_repo.get_datastore(ctx, 'mysql')
    return ds_repo.get_version(ctx, datastore.id, name, number)


# -- Command line --------------------------------------------------------------

def test_no_command_is_a_usage_error(run):
    assert run() == 2


def test_unknown_command_is_a_usage_error(run):
    assert run('db_frobnicate') == 2
    assert 'invalid choice' in run.err


def test_wrong_number_of_arguments_is_a_usage_error(run):
    assert run('datastore_update', 'mysql') == 2
    assert 'required' in run.err


def test_help_exits_zero(run):
    assert run('flavor_create', '--help') == 0
    assert 'ram_mb' in run.out


def test_missing_config_file_is_a_usage_error(capsys, tmp_path):
    assert manage.main(['--config-file', str(tmp_path / 'nope.conf'),
                        'db_sync']) == 2
    assert 'nope.conf' in capsys.readouterr().err


# -- db_sync and the schema guard ---------------------------------------------

def test_db_sync_creates_then_is_idempotent(run):
    assert 'upgraded from empty' in run.ok('db_sync')
    assert 'already at revision' in run.ok('db_sync')
    assert migration.is_current()


@pytest.mark.parametrize('args', [
    ('flavor_list',),
    ('datastore_update', 'mysql', ''),
    ('flavor_create', '1', 'tiny', '512', '1'),
    ('backup_schedule_list',),
])
def test_commands_refuse_an_unsynced_database(run, args):
    assert run(*args) == 1
    assert 'run trove-lite-manage db_sync first' in run.err
    assert 'Traceback' not in run.err + run.out


def test_database_directory_is_created_on_first_use(tmp_path, capsys):
    database = tmp_path / 'no' / 'such' / 'dir' / 'x.sqlite'
    path = tmp_path / 'other.conf'
    path.write_text('[database]\nconnection = sqlite:///%s\n' % database)
    assert manage.main(['--config-file', str(path), 'flavor_list']) == 1
    assert 'db_sync first' in capsys.readouterr().err
    assert manage.main(['--config-file', str(path), 'db_sync']) == 0
    assert database.exists()


def test_unreachable_database_is_a_clean_error(tmp_path, capsys):
    path = tmp_path / 'other.conf'
    # A directory where the SQLite file should be: it cannot be opened.
    (tmp_path / 'dir.sqlite').mkdir()
    path.write_text('[database]\nconnection = sqlite:///%s\n'
                    '[DEFAULT]\n' % (tmp_path / 'dir.sqlite'))
    assert manage.main(['--config-file', str(path), 'flavor_list']) == 1
    err = capsys.readouterr().err
    assert 'ERROR: database error' in err
    assert 'Traceback' not in err


# -- Datastores ------------------------------------------------------------------

def test_datastore_update_creates_and_is_idempotent(synced, ctx):
    assert "Created datastore 'mysql'" in synced.ok('datastore_update',
                                                    'mysql', '')
    assert "Updated datastore 'mysql'" in synced.ok('datastore_update',
                                                    'mysql', '')
    assert len(ds_repo.list_datastores(ctx)) == 1


def test_datastore_update_sets_and_clears_default(mysql, ctx):
    assert "is '8.0'" in mysql.ok('datastore_update', 'mysql', '8.0')
    assert ds_repo.get_datastore(ctx, 'mysql').default_version_id == \
        _version(ctx).id
    mysql.ok('datastore_update', 'mysql', '')
    assert ds_repo.get_datastore(ctx, 'mysql').default_version_id is None


def test_datastore_update_unknown_default(synced, ctx):
    assert synced('datastore_update', 'mysql', '9.9') == 1
    assert 'Datastore version 9.9 cannot be found' in synced.err
    # Nothing is half-done: the datastore was not created either.
    assert ds_repo.list_datastores(ctx) == []


def test_datastore_update_inactive_default(synced):
    synced.ok('datastore_update', 'mysql', '')
    synced.ok('datastore_version_update', 'mysql', '5.7', 'mysql', '', '',
              0)
    assert synced('datastore_update', 'mysql', '5.7') == 1
    assert 'not active' in synced.err


def test_datastore_version_update_creates_then_updates(synced, ctx):
    synced.ok('datastore_update', 'mysql', '')
    out = synced.ok('datastore_version_update', 'mysql', '8.0', 'mysql',
                    'img-1', 'mysql-server', 'true', '--image-tags',
                    'trove, mysql', '--registry-ext', 'mysql',
                    '--repl-strategy', 'mysql_gtid')
    assert out.startswith("Created datastore 'mysql' version '8.0'")
    out = synced.ok('datastore_version_update', 'mysql', '8.0', 'mysql',
                    'img-2', 'mysql-server', 'false')
    assert out.startswith("Updated datastore 'mysql' version '8.0'")
    assert 'inactive' in out
    version = _version(ctx)
    assert (version.image_id, version.active, version.image_tags,
            version.version) == ('img-2', False, '', '8.0')
    assert len(ds_repo.list_versions(ctx)) == 1


def test_datastore_version_update_same_values_twice(mysql, ctx):
    before = _version(ctx).to_dict()
    mysql.ok('datastore_version_update', 'mysql', '8.0', 'mysql', '', '', 1)
    assert _version(ctx).to_dict() == before


def test_datastore_version_update_version_number(mysql, ctx):
    mysql.ok('datastore_version_update', 'mysql', '8.0', 'mysql', '', '', 1,
             '--version', '8.0.36')
    mysql.ok('datastore_version_update', 'mysql', '8.0', 'mysql', '', '', 1,
             '--version-number', '8.0.37')
    assert sorted(v.version for v in ds_repo.list_versions(ctx)) == [
        '8.0', '8.0.36', '8.0.37']


@pytest.mark.parametrize('datastore,manager', [
    ('mysql', 'mysql'), ('mariadb', 'mariadb'), ('postgresql', 'postgresql'),
    ('redis', 'redis')])
def test_datastore_version_update_registers_every_family(synced, datastore,
                                                         manager):
    synced.ok('datastore_update', datastore, '')
    out = synced.ok('datastore_version_update', datastore, '1', manager, '',
                    '', 1)
    assert 'manager %s' % manager in out


def test_datastore_version_update_refuses_an_unknown_manager(synced):
    synced.ok('datastore_update', 'mysql', '')
    assert synced('datastore_version_update', 'mysql', '8.0', 'mysqll', '',
                  '', 1) == 1
    assert "Unknown datastore manager 'mysqll'" in synced.err
    assert 'mysql, postgresql, redis' in synced.err


def test_datastore_version_update_needs_the_datastore(synced):
    assert synced('datastore_version_update', 'mysql', '8.0', 'mysql', '',
                  '', 1) == 1
    assert "Datastore 'mysql' does not exist" in synced.err
    assert 'datastore_update mysql' in synced.err


@pytest.mark.parametrize('active', ['yes', '2', ''])
def test_datastore_version_update_validates_active(mysql, active):
    assert mysql('datastore_version_update', 'mysql', '8.0', 'mysql', '',
                 '', active) == 2
    assert 'expected 0, 1, true or false' in mysql.err


# -- Configuration parameter rules -------------------------------------------

RULES = {'configuration-parameters': [
    {'name': 'max_connections', 'restart_required': False,
     'type': 'integer', 'min': 1, 'max': 100000},
    {'name': 'sql_mode', 'restart_required': False, 'type': 'string'},
]}


def _write(tmp_path, content):
    path = tmp_path / 'rules.json'
    path.write_text(content if isinstance(content, str)
                    else json.dumps(content))
    return str(path)


def test_load_and_remove_config_parameters(mysql, ctx, tmp_path):
    path = _write(tmp_path, RULES)
    out = mysql.ok('db_load_datastore_config_parameters', 'mysql', '8.0',
                   path)
    assert 'Loaded 2 configuration parameter rules' in out
    mysql.ok('db_load_datastore_config_parameters', 'mysql', '8.0', path)
    version = _version(ctx)
    assert len(ds_repo.list_configuration_parameters(ctx,
                                                     version.id)) == 2
    out = mysql.ok('db_remove_datastore_config_parameters', 'mysql', '8.0')
    assert 'Deleted 2 configuration parameter rules' in out
    assert ds_repo.list_configuration_parameters(ctx, version.id) == []


def test_load_config_parameters_with_version_number(mysql, ctx,
                                                    tmp_path):
    mysql.ok('datastore_version_update', 'mysql', '8.0', 'mysql', '', '', 0,
             '--version', '8.0.36')
    mysql.ok('db_load_datastore_config_parameters', 'mysql', '8.0',
             _write(tmp_path, RULES), '--version', '8.0.36')
    assert len(ds_repo.list_configuration_parameters(
        ctx, _version(ctx, number='8.0.36').id)) == 2
    assert ds_repo.list_configuration_parameters(
        ctx, _version(ctx, number='8.0').id) == []


def test_load_config_parameters_ambiguous_name(mysql, tmp_path):
    mysql.ok('datastore_version_update', 'mysql', '8.0', 'mysql', '', '', 1,
             '--version', '8.0.36')
    assert mysql('db_load_datastore_config_parameters', 'mysql', '8.0',
                 _write(tmp_path, RULES)) == 1
    assert 'Multiple datastore versions' in mysql.err


def test_load_the_shipped_mysql_template(mysql):
    out = mysql.ok('db_load_datastore_config_parameters', 'mysql', '8.0',
                   'etc/trove-lite/datastores/mysql/validation-rules.json')
    assert 'Loaded 20 configuration parameter rules' in out


@pytest.mark.parametrize('content,message', [
    ('{not json', 'not valid JSON'),
    ({'configuration-parameters': [{'name': 'x'}]}, 'missing key'),
    ({'rules': []}, 'configuration-parameters'),
])
def test_load_config_parameters_bad_file(mysql, tmp_path, content, message):
    assert mysql('db_load_datastore_config_parameters', 'mysql', '8.0',
                 _write(tmp_path, content)) == 1
    assert message in mysql.err
    assert 'Traceback' not in mysql.err


def test_load_config_parameters_missing_file(mysql, tmp_path):
    assert mysql('db_load_datastore_config_parameters', 'mysql', '8.0',
                 str(tmp_path / 'nope.json')) == 1
    assert 'cannot read the file' in mysql.err


@pytest.mark.parametrize('datastore,version,message', [
    ('nosuch', '8.0', 'Datastore nosuch cannot be found'),
    ('mysql', '9.9', 'Datastore version 9.9 cannot be found'),
])
def test_config_parameters_unknown_version(mysql, tmp_path, datastore,
                                           version, message):
    assert mysql('db_load_datastore_config_parameters', datastore, version,
                 _write(tmp_path, RULES)) == 1
    assert message in mysql.err
    assert mysql('db_remove_datastore_config_parameters', datastore,
                 version) == 1
    assert message in mysql.err


# -- Flavors allowed for a version --------------------------------------------

def test_version_flavor_add_and_delete(mysql, ctx):
    assert 'Allowed flavor(s) 1, 2' in mysql.ok(
        'datastore_version_flavor_add', 'mysql', '8.0', '1,2')
    out = mysql.ok('datastore_version_flavor_add', 'mysql', '8.0', '2, 3')
    assert 'Flavor 2 was already allowed' in out
    assert 'Allowed flavor(s) 3' in out
    version_id = _version(ctx).id
    assert sorted(ds_repo.list_version_metadata(
        ctx, version_id, ds_repo.FLAVOR_KEY)) == ['1', '2', '3']
    assert 'Removed flavor 2' in mysql.ok('datastore_version_flavor_delete',
                                          'mysql', '8.0', '2')
    assert mysql('datastore_version_flavor_delete', 'mysql', '8.0',
                 '2') == 1
    assert 'Flavor 2 is not associated' in mysql.err
    mysql.ok('datastore_version_flavor_add', 'mysql', '8.0', '2')
    assert sorted(ds_repo.list_version_metadata(
        ctx, version_id, ds_repo.FLAVOR_KEY)) == ['1', '2', '3']


def test_version_flavor_add_needs_ids(mysql):
    assert mysql('datastore_version_flavor_add', 'mysql', '8.0', ' , ') == 2
    assert 'comma-separated list' in mysql.err


def test_version_flavor_add_unknown_version(mysql):
    assert mysql('datastore_version_flavor_add', 'mysql', '9.9', '1') == 1
    assert 'cannot be found' in mysql.err


# -- Flavors of the local driver -----------------------------------------------

def test_flavor_create_list_delete(synced, ctx):
    assert 'Created flavor 1 (m1.tiny): 512 MB RAM, 1 vCPUs, 5 GB disk' in \
        synced.ok('flavor_create', 1, 'm1.tiny', 512, 1, '--disk', 5)
    synced.ok('flavor_create', 2, 'm1.small', 2048, 2, '--disk', 20,
              '--ephemeral', 10)
    out = synced.ok('flavor_list')
    lines = out.splitlines()
    assert [cell.strip() for cell in lines[1].split('|')[1:-1]] == [
        'ID', 'Name', 'RAM (MB)', 'vCPUs', 'Disk (GB)', 'Ephemeral (GB)']
    rows = [[cell.strip() for cell in line.split('|')[1:-1]]
            for line in lines[3:-1]]
    assert rows == [['1', 'm1.tiny', '512', '1', '5', '0'],
                    ['2', 'm1.small', '2048', '2', '20', '10']]
    assert 'Deleted flavor 1' in synced.ok('flavor_delete', 1)
    assert [f.id for f in flavor_repo.list_flavors(ctx)] == ['2']


def test_flavor_list_empty(synced):
    assert 'ID' in synced.ok('flavor_list')


def test_flavor_create_same_values_is_idempotent(synced):
    synced.ok('flavor_create', 1, 'm1.tiny', 512, 1)
    assert 'already exists with the same values' in synced.ok(
        'flavor_create', 1, 'm1.tiny', 512, 1)


@pytest.mark.parametrize('args,message', [
    ((1, 'm1.tiny', 1024, 1), 'already exists with different values'),
    ((1, 'm1.other', 512, 1), 'already exists with different values'),
    ((2, 'm1.tiny', 512, 1), 'name m1.tiny already exists'),
])
def test_flavor_create_conflicts(synced, ctx, args, message):
    synced.ok('flavor_create', 1, 'm1.tiny', 512, 1)
    assert synced('flavor_create', *args) == 1
    assert message in synced.err
    flavor = flavor_repo.get_flavor(ctx, '1')
    assert (flavor.name, flavor.ram) == ('m1.tiny', 512)


@pytest.mark.parametrize('args', [
    (1, 'tiny', 'lots', 1),
    (1, 'tiny', 0, 1),
    (1, 'tiny', 512, -1),
    (1, 'tiny', 512, 1, '--disk', '-5'),
])
def test_flavor_create_validates_numbers(synced, args):
    assert synced('flavor_create', *args) == 2
    assert 'expected a whole number' in synced.err


def test_flavor_delete_errors(synced):
    assert synced('flavor_delete', 7) == 1
    assert 'Flavor 7 cannot be found' in synced.err
    synced.ok('flavor_create', 7, 'f7', 512, 1)
    synced.ok('datastore_update', 'mysql', '')
    synced.ok('datastore_version_update', 'mysql', '8.0', 'mysql', '', '',
              1)
    synced.ok('datastore_version_flavor_add', 'mysql', '8.0', '7')
    assert synced('flavor_delete', 7) == 1
    assert 'remove the associations first' in synced.err


def test_format_table_widths():
    table = manage.manage_commands.format_table(('A', 'Long'),
                                                [('xyz', 1)])
    assert table.splitlines() == ['+-----+------+', '| A   | Long |',
                                  '+-----+------+', '| xyz | 1    |',
                                  '+-----+------+']


# -- Backup schedules ------------------------------------------------------------

def _table(out):
    lines = out.splitlines()
    return ([cell.strip() for cell in lines[1].split('|')[1:-1]],
            [[cell.strip() for cell in line.split('|')[1:-1]]
             for line in lines[3:-1]])


def test_backup_schedule_list(synced, ctx):
    first = schedule_repo.create(ctx, 'i1', 'p1', 'nightly', '0 3 * * *', 3)
    second = schedule_repo.create(ctx, 'i2', 'p2', 'often', '@every 5s', 1)
    schedule_repo.record_run(ctx, second.id, 'b1',
                             datetime.datetime(2026, 3, 10, 12, 0, 5, 7))
    gone = schedule_repo.create(ctx, 'i3', 'p1', 'gone', '@every 1h', 1)
    schedule_repo.delete(ctx, gone.id, 'i3')
    headers, rows = _table(synced.ok('backup_schedule_list'))
    assert headers == ['ID', 'Project', 'Instance', 'Name', 'Pattern', 'Keep',
                       'Next run', 'Last run', 'Last backup']
    assert rows == [
        [first.id, 'p1', 'i1', 'nightly', '0 3 * * *', '3',
         first.next_run.isoformat(), '-', '-'],
        [second.id, 'p2', 'i2', 'often', '@every 5s', '1',
         second.next_run.isoformat(), '2026-03-10T12:00:05', 'b1']]
    _, rows = _table(synced.ok('backup_schedule_list', '--project-id', 'p2'))
    assert [row[0] for row in rows] == [second.id]
    _, rows = _table(synced.ok('backup_schedule_list', '--project-id', 'p3'))
    assert rows == []
