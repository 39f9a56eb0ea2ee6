"""The installed ``trove-lite-manage``/``trove-lite-status`` on MariaDB.

This is what an operator of the cloud shape does after installing: point
``[database] connection`` at MariaDB, ``db_sync``, register a datastore,
load its parameter rules, create flavors, and gate on
``trove-lite-status upgrade check``. Runs the console scripts of the
environment running the tests, as subprocesses, against a scratch database
of this machine's MariaDB; fails if MariaDB is unreachable.
"""

import os
import shutil
import subprocess
import sys

import pytest

from tests.functional import fixtures

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
MYSQL_RULES = os.path.join(ROOT, 'etc', 'trove-lite', 'datastores', 'mysql',
                           'validation-rules.json')


def _script(name):
    beside = os.path.join(os.path.dirname(sys.executable), name)
    path = beside if os.path.exists(beside) else shutil.which(name)
    assert path, '%s is not installed (pip install -e .)' % name
    return path


@pytest.fixture(scope='module')
def config_file(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('manage')
    with fixtures.mariadb_database() as url:
        yield fixtures.write_config(tmp / 'trove-lite.conf', {
            'DEFAULT': {'state_path': tmp / 'state'},
            'database': {'connection': url, 'max_retries': 1},
        })


def run(config_file, command, *args):
    result = subprocess.run(
        [_script(command), '--config-file', config_file] + list(args),
        capture_output=True, text=True, timeout=120)
    assert 'Traceback' not in result.stdout + result.stderr
    return result


def manage(config_file, *args, expect=0):
    result = run(config_file, 'trove-lite-manage', *args)
    assert result.returncode == expect, result.stderr
    return result.stdout


def status(config_file):
    return run(config_file, 'trove-lite-status', 'upgrade', 'check')


# NOTE(order): one database for the module; the tests build on each other
# the way an operator's steps do.

def test_status_fails_before_db_sync(config_file):
    result = status(config_file)
    assert result.returncode == 2
    assert 'db_sync' in result.stdout


def test_commands_refuse_before_db_sync(config_file):
    result = run(config_file, 'trove-lite-manage', 'flavor_list')
    assert result.returncode == 1
    assert 'run trove-lite-manage db_sync first' in result.stderr


def test_db_sync_twice(config_file):
    assert 'upgraded from empty' in manage(config_file, 'db_sync')
    assert 'already at revision' in manage(config_file, 'db_sync')


def test_register_mysql(config_file):
    manage(config_file, 'datastore_update', 'mysql', '')
    out = manage(config_file, 'datastore_version_update', 'mysql', '8.0',
                 'mysql', '', '', '1', '--image-tags', 'trove,mysql')
    assert "Created datastore 'mysql' version '8.0'" in out
    out = manage(config_file, 'datastore_version_update', 'mysql', '8.0',
                 'mysql', '', '', '1', '--image-tags', 'trove,mysql')
    assert "Updated datastore 'mysql' version '8.0'" in out
    assert "is '8.0'" in manage(config_file, 'datastore_update', 'mysql',
                                '8.0')
    result = run(config_file, 'trove-lite-manage',
                 'datastore_version_update', 'nosuch', '1', 'x', '', '', '1')
    assert result.returncode == 1
    assert "Datastore 'nosuch' does not exist" in result.stderr


def test_status_succeeds_after_registration(config_file):
    result = status(config_file)
    assert result.returncode == 0, result.stdout
    assert 'mysql' in result.stdout


def test_load_mysql_rules(config_file):
    out = manage(config_file, 'db_load_datastore_config_parameters',
                 'mysql', '8.0', MYSQL_RULES)
    assert 'Loaded 20 configuration parameter rules' in out
    # Loading again updates in place.
    manage(config_file, 'db_load_datastore_config_parameters', 'mysql',
           '8.0', MYSQL_RULES)
    out = manage(config_file, 'db_remove_datastore_config_parameters',
                 'mysql', '8.0')
    assert 'Deleted 20 configuration parameter rules' in out
    manage(config_file, 'db_load_datastore_config_parameters', 'mysql',
           '8.0', MYSQL_RULES)


def test_flavors(config_file):
    manage(config_file, 'flavor_create', '1', 'm1.tiny', '512', '1',
           '--disk', '5')
    assert 'same values' in manage(config_file, 'flavor_create', '1',
                                   'm1.tiny', '512', '1', '--disk', '5')
    manage(config_file, 'flavor_create', '2', 'm1.small', '2048', '2')
    result = run(config_file, 'trove-lite-manage', 'flavor_create', '2',
                 'm1.small', '4096', '2')
    assert result.returncode == 1
    assert 'different values' in result.stderr
    out = manage(config_file, 'flavor_list')
    assert 'm1.tiny' in out and 'm1.small' in out
    manage(config_file, 'datastore_version_flavor_add', 'mysql', '8.0',
           '1,2')
    manage(config_file, 'flavor_delete', '2', expect=1)
    manage(config_file, 'datastore_version_flavor_delete', 'mysql', '8.0',
           '2')
    assert 'Deleted flavor 2' in manage(config_file, 'flavor_delete', '2')
    assert 'm1.small' not in manage(config_file, 'flavor_list')


def test_usage_error(config_file):
    result = run(config_file, 'trove-lite-manage',
                 'datastore_version_update', 'mysql', '8.0', 'mysql', '',
                 '', 'maybe')
    assert result.returncode == 2
    assert 'expected 0, 1, true or false' in result.stderr
