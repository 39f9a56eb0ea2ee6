"""The embedded shape as a new user meets it: trove-lite-all and the CLI.

``trove-lite-all`` starts on an empty state directory, creates its SQLite
infra DB, registers what this host can run and the default flavors; the
operator adds more with ``trove-lite-manage``; the unmodified ``openstack``
CLI (python-openstackclient + python-troveclient) shows all of it.
"""

import re
import socket

import pytest

from tests.functional import conftest
from tests.functional import embedded as embedded_shape
from tests.functional.embedded import cli as openstack
from tests.functional.embedded import run_cli
from tests.functional import fixtures


@pytest.fixture(scope='module')
def embedded():
    # NOTE(state): a service of its own: the first test sees its first
    # start, and what this module registers stays here.
    with embedded_shape.start() as service:
        yield service


def test_first_start_creates_the_sqlite_database(embedded):
    assert (embedded['state'] / 'state' / 'trove_lite.sqlite').exists()


def test_cli_lists_the_default_flavors(embedded):
    flavors = openstack(embedded, 'database', 'flavor', 'list')
    names = [flavor['Name'] for flavor in flavors]
    assert names == ['m1.tiny', 'm1.small', 'm1.medium', 'm1.large']
    tiny = flavors[0]
    assert tiny['RAM'] == 512 and str(tiny['ID']) == '1'


def test_cli_lists_the_datastores_of_this_host(embedded):
    names = {store['Name'] for store in openstack(embedded, 'datastore',
                                                  'list')}
    # This machine has MariaDB, PostgreSQL and Redis servers installed.
    assert {'mysql', 'mariadb', 'postgresql', 'redis'} <= names
    versions = openstack(embedded, 'datastore', 'version', 'list', 'mysql')
    assert len(versions) == 1 and versions[0]['Name']


def test_cli_shows_what_manage_registers(embedded):
    manage = ['--config-file', embedded['config']]
    conftest.run_script('trove-lite-manage', *manage, 'flavor_create',
                        '10', 'db.custom', '1024', '2', '--disk', '5')
    conftest.run_script('trove-lite-manage', *manage,
                        'datastore_version_update', 'mysql', 'custom-10.11',
                        'mysql', '', '', '1', '--version-number', '10.11.99')
    flavors = openstack(embedded, 'database', 'flavor', 'list')
    assert 'db.custom' in [flavor['Name'] for flavor in flavors]
    versions = openstack(embedded, 'datastore', 'version', 'list', 'mysql')
    assert 'custom-10.11' in [v['Name'] for v in versions]
    shown = openstack(embedded, 'datastore', 'version', 'show',
                      'custom-10.11', '--datastore', 'mysql')
    assert shown['name'] == 'custom-10.11'
    store = openstack(embedded, 'datastore', 'show', 'mysql')
    assert store['name'] == 'mysql'


def test_cli_limits(embedded):
    # The CLI prints the absolute limits as a table of its own first.
    result = run_cli(embedded, 'database', 'limit', 'list')
    assert result.returncode == 0, result.stderr
    assert re.search(r'max_instances\s*\|\s*10\b', result.stdout)
    assert re.search(r'\|\s*200\s*\|\s*GET\s*\|', result.stdout)


def test_cli_reports_unknown_names(embedded):
    result = run_cli(embedded, 'datastore', 'show', 'nosuch')
    assert result.returncode != 0
    assert "No datastore with a name or ID of 'nosuch'" in result.stderr


def test_a_create_that_names_no_datastore_gets_mysql(embedded):
    # The book's command, as a newcomer types it.
    created = openstack(embedded, 'database', 'instance', 'create', 'book',
                        '--flavor', 'm1.tiny', '--size', '1')
    assert created['datastore'] == 'mysql'
    try:
        shown = embedded_shape.wait_for(embedded, created['id'], ['ACTIVE'],
                                        deadline=240)
        assert shown['datastore']['type'] == 'mysql'
    finally:
        openstack(embedded, 'database', 'instance', 'delete', created['id'],
                  parse=False)
        embedded_shape.wait_until_gone(embedded, created['id'])


def test_a_port_in_use_is_one_clear_line(tmp_path):
    with socket.socket() as holder:
        holder.bind(('127.0.0.1', 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        config = fixtures.write_config(tmp_path / 'trove-lite.conf', {
            'DEFAULT': {'bind_host': '127.0.0.1', 'bind_port': port,
                        'state_path': tmp_path / 'state'}})
        result = conftest.run_script('trove-lite-all', '--config-file',
                                     config, check=False)
    assert result.returncode == 1
    assert 'Traceback' not in result.stderr, result.stderr
    [line] = [line for line in result.stderr.splitlines()
              if 'cannot listen' in line]
    assert line == (
        'trove-lite-all: cannot listen on 127.0.0.1:%d: the address is in '
        'use by another process; choose another [DEFAULT] bind_port (or '
        'bind_host) in its configuration file.' % port)
