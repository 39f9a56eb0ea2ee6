"""Configuration groups with the real CLI on real servers.

``trove-lite-all`` (embedded: SQLite, in-process agents) runs real
``mariadbd``, ``postgres`` and ``redis-server`` instances; the datastores
it registers at its first start
come with the parameters trove_lite ships. What the issue asks is done as
a tenant does it, with the ``openstack`` CLI, and checked in the servers
themselves: values are live without a restart, a PATCH merges, a PUT
that drops a key and a detach bring the datastore's default back, and a
refused request changes no server; a PostgreSQL parameter that needs a
restart leaves the instance RESTART_REQUIRED until it restarts; Redis
takes ``maxmemory-policy`` live.
"""

import json

import pymysql
import pytest

from tests.functional import datastore_clients
from tests.functional import embedded as embedded_shape
from tests.functional.embedded import cli
from tests.functional.embedded import run_cli
from tests import waiting

USER, PASSWORD, DATABASE = 'shop', 'shop-pw-1', 'shop'


@pytest.fixture(scope='module')
def service():
    with embedded_shape.start(report_interval=1) as running:
        yield running


def create(service, name, datastore, *extra):
    args = ['database', 'instance', 'create', name, '--flavor', 'm1.tiny',
            '--size', '1', '--datastore', datastore] + list(extra)
    if datastore != 'redis':
        args += ['--databases', DATABASE, '--users',
                 '%s:%s' % (USER, PASSWORD)]
    created = cli(service, *args)
    return embedded_shape.wait_for(service, created['id'], ['ACTIVE'],
                                   deadline=240)


def version_of(service, datastore):
    [row] = cli(service, 'datastore', 'version', 'list', datastore)
    return row['Name']


def mysql_globals(shown, *names):
    with pymysql.connect(host=shown['ip'][0], port=3306, user=USER,
                         password=PASSWORD, database=DATABASE,
                         connect_timeout=10) as conn:
        with conn.cursor() as cursor:
            cursor.execute('SELECT %s' % ', '.join(
                '@@GLOBAL.%s' % name for name in names))
            row = cursor.fetchone()
            cursor.execute("SHOW GLOBAL STATUS LIKE 'Uptime'")
            uptime = int(cursor.fetchone()[1])
    return dict(zip(names, row)), uptime


def refused(service, expect, *args):
    result = run_cli(service, *args)
    assert result.returncode == 1, result
    assert expect in result.stderr, result.stderr
    return result.stderr


@pytest.fixture(scope='module')
def mariadb(service):
    """Two MariaDB instances and the datastore defaults they run with."""
    first = create(service, 'cfg-a', 'mysql')
    second = create(service, 'cfg-b', 'mysql')
    defaults = cli(service, 'database', 'configuration', 'default',
                   first['id'])
    yield {'instances': [first, second], 'defaults': defaults,
           'version': version_of(service, 'mysql')}
    for shown in (first, second):
        cli(service, 'database', 'instance', 'delete', shown['id'],
            parse=False)
    for shown in (first, second):
        embedded_shape.wait_until_gone(service, shown['id'])


def test_a_group_is_live_on_two_servers_and_defaults_come_back(
        service, mariadb):
    first, second = mariadb['instances']
    defaults = mariadb['defaults']
    names = ('wait_timeout', 'max_connections')
    assert defaults['max_connections'] != 200
    before = {shown['id']: mysql_globals(shown, *names)
              for shown in (first, second)}
    group = cli(service, 'database', 'configuration', 'create',
                'shop-tuning', json.dumps({'wait_timeout': 240,
                                           'max_connections': 200}),
                '--datastore', 'mysql', '--datastore-version',
                mariadb['version'])
    for shown in (first, second):
        cli(service, 'database', 'configuration', 'attach', shown['id'],
            'shop-tuning', parse=False)
    for shown in (first, second):
        live, uptime = mysql_globals(shown, *names)
        assert live == {'wait_timeout': 240, 'max_connections': 200}
        # Live without a restart: the server kept running.
        assert uptime >= before[shown['id']][1]
        assert embedded_shape.shown(service, shown['id'])[
            'status'] == 'ACTIVE'
    assert sorted(row['ID'] for row in cli(
        service, 'database', 'configuration', 'instances', 'shop-tuning')
    ) == sorted([first['id'], second['id']])
    # PATCH merges.
    cli(service, 'database', 'configuration', 'parameter', 'set',
        group['id'], json.dumps({'wait_timeout': 300}), parse=False)
    for shown in (first, second):
        assert mysql_globals(shown, *names)[0] == {
            'wait_timeout': 300, 'max_connections': 200}
    # PUT replaces: max_connections, dropped, is the default again.
    cli(service, 'database', 'configuration', 'set', group['id'],
        json.dumps({'wait_timeout': 300}), parse=False)
    for shown in (first, second):
        assert mysql_globals(shown, *names)[0] == {
            'wait_timeout': 300,
            'max_connections': defaults['max_connections']}
    # Detach: the defaults.
    for shown in (first, second):
        cli(service, 'database', 'configuration', 'detach', shown['id'],
            parse=False)
        assert mysql_globals(shown, *names)[0] == {
            'wait_timeout': before[shown['id']][0]['wait_timeout'],
            'max_connections': defaults['max_connections']}
    cli(service, 'database', 'configuration', 'delete', group['id'],
        parse=False)


@pytest.mark.parametrize('values, expect', [
    ({'no_such_parameter': 1}, 'is not supported'),
    # PostgreSQL's, not MariaDB's.
    ({'work_mem': 8192}, 'work_mem is not supported'),
    ({'max_connections': 'many'}, 'must be an integer'),
    ({'max_connections': 0}, 'less than its minimum'),
    ({'wait_timeout': 10 ** 9}, 'greater than its maximum'),
])
def test_bad_values_are_refused_and_no_server_changes(service, mariadb,
                                                      values, expect):
    first = mariadb['instances'][0]
    before = mysql_globals(first, 'wait_timeout', 'max_connections')[0]
    group = cli(service, 'database', 'configuration', 'create',
                'shop-ok', json.dumps({'wait_timeout': 120}),
                '--datastore', 'mysql', '--datastore-version',
                mariadb['version'])
    try:
        refused(service, '(HTTP 422)', 'database', 'configuration',
                'create', 'shop-bad', json.dumps(values), '--datastore',
                'mysql', '--datastore-version', mariadb['version'])
        cli(service, 'database', 'configuration', 'attach', first['id'],
            'shop-ok', parse=False)
        refused(service, expect, 'database', 'configuration', 'parameter',
                'set', group['id'], json.dumps(values))
        refused(service, expect, 'database', 'configuration', 'set',
                group['id'], json.dumps(values))
        # The group and the server are as they were.
        shown = cli(service, 'database', 'configuration', 'show',
                    group['id'])
        assert json.loads(shown['values']) == {'wait_timeout': 120}
        assert mysql_globals(first, 'wait_timeout', 'max_connections')[
            0] == dict(before, wait_timeout=120)
    finally:
        cli(service, 'database', 'configuration', 'detach', first['id'],
            parse=False)
        cli(service, 'database', 'configuration', 'delete', group['id'],
            parse=False)
    assert mysql_globals(first, 'wait_timeout', 'max_connections')[
        0] == before
    assert [row['Name'] for row in cli(
        service, 'database', 'configuration', 'list')] == []


def test_a_second_group_or_another_datastores_is_refused(
        service, mariadb):
    first = mariadb['instances'][0]
    before = mysql_globals(first, 'wait_timeout')[0]
    mine = cli(service, 'database', 'configuration', 'create', 'one',
               json.dumps({'wait_timeout': 100}), '--datastore', 'mysql',
               '--datastore-version', mariadb['version'])
    other = cli(service, 'database', 'configuration', 'create', 'two',
                json.dumps({'wait_timeout': 200}), '--datastore', 'mysql',
                '--datastore-version', mariadb['version'])
    pg = cli(service, 'database', 'configuration', 'create', 'pg',
             json.dumps({'work_mem': 8192}), '--datastore', 'postgresql',
             '--datastore-version', version_of(service, 'postgresql'))
    try:
        refused(service, 'is for datastore version', 'database',
                'configuration', 'attach', first['id'], pg['id'])
        assert mysql_globals(first, 'wait_timeout')[0] == before
        cli(service, 'database', 'configuration', 'attach', first['id'],
            mine['id'], parse=False)
        refused(service, 'already has configuration group', 'database',
                'configuration', 'attach', first['id'], other['id'])
        assert mysql_globals(first, 'wait_timeout')[0] == {
            'wait_timeout': 100}
        refused(service, 'detach it from them first', 'database',
                'configuration', 'delete', mine['id'])
    finally:
        cli(service, 'database', 'configuration', 'detach', first['id'],
            parse=False)
        for group in (mine, other, pg):
            cli(service, 'database', 'configuration', 'delete',
                group['id'], parse=False)
    assert waiting.wait_for(
        lambda: mysql_globals(first, 'wait_timeout')[0] == before,
        timeout=10)


def test_an_instance_created_with_a_group_starts_with_its_values(
        service, mariadb):
    group = cli(service, 'database', 'configuration', 'create', 'born',
                json.dumps({'wait_timeout': 555}), '--datastore', 'mysql',
                '--datastore-version', mariadb['version'])
    shown = create(service, 'cfg-c', 'mysql', '--configuration', group['id'])
    try:
        assert shown['configuration']['id'] == group['id']
        assert mysql_globals(shown, 'wait_timeout')[0] == {
            'wait_timeout': 555}
    finally:
        cli(service, 'database', 'instance', 'delete', shown['id'],
            parse=False)
        embedded_shape.wait_until_gone(service, shown['id'])
        cli(service, 'database', 'configuration', 'delete', group['id'],
            parse=False)


# -- PostgreSQL and Redis ------------------------------------------------------

def pg_show(shown, name):
    return datastore_clients.Client('postgresql', shown['ip'][0]).works(
        USER, PASSWORD, DATABASE, 'SHOW %s' % name)


def test_postgresql_a_restart_required_parameter_waits_for_the_restart(
        service):
    shown = create(service, 'cfg-pg', 'postgresql')
    try:
        before = pg_show(shown, 'max_connections')
        assert before != '77'
        cli(service, 'database', 'configuration', 'create', 'pg-tuning',
            json.dumps({'max_connections': 77, 'work_mem': 8192}),
            '--datastore', 'postgresql', '--datastore-version',
            version_of(service, 'postgresql'))
        cli(service, 'database', 'configuration', 'attach', shown['id'],
            'pg-tuning', parse=False)
        # work_mem is live at once; max_connections waits for a restart,
        # and the instance says so.
        assert pg_show(shown, 'work_mem') == '8MB'
        assert pg_show(shown, 'max_connections') == before
        assert embedded_shape.shown(service, shown['id'])[
            'status'] == 'RESTART_REQUIRED'
        cli(service, 'database', 'instance', 'restart', shown['id'],
            parse=False)
        embedded_shape.wait_for(service, shown['id'], ['ACTIVE'],
                                deadline=120)
        assert pg_show(shown, 'max_connections') == '77'
        assert pg_show(shown, 'work_mem') == '8MB'
    finally:
        cli(service, 'database', 'instance', 'delete', shown['id'],
            parse=False)
        embedded_shape.wait_until_gone(service, shown['id'])
        cli(service, 'database', 'configuration', 'delete', 'pg-tuning',
            parse=False)


def redis_cli(shown, password, *command):
    return datastore_clients.redis_cli(shown['ip'][0], password, *command)


def test_redis_maxmemory_policy_is_applied_live(service):
    args = ['database', 'instance', 'create', 'cfg-redis', '--flavor',
            'm1.tiny', '--size', '1', '--datastore', 'redis']
    created = cli(service, *args)
    password = created['password']
    shown = embedded_shape.wait_for(service, created['id'], ['ACTIVE'],
                                    deadline=240)
    try:
        assert redis_cli(shown, password, 'CONFIG', 'GET',
                         'maxmemory-policy').splitlines()[-1] == \
            'noeviction'
        cli(service, 'database', 'configuration', 'create', 'cache',
            json.dumps({'maxmemory-policy': 'allkeys-lru'}),
            '--datastore', 'redis', '--datastore-version',
            version_of(service, 'redis'))
        cli(service, 'database', 'configuration', 'attach', shown['id'],
            'cache', parse=False)
        assert redis_cli(shown, password, 'CONFIG', 'GET',
                         'maxmemory-policy').splitlines()[-1] == \
            'allkeys-lru'
        assert embedded_shape.shown(service, shown['id'])[
            'status'] == 'ACTIVE'
        refused(service, 'must be an integer', 'database', 'configuration',
                'parameter', 'set',
                cli(service, 'database', 'configuration', 'show',
                    'cache')['id'], json.dumps({'hz': 'fast'}))
        cli(service, 'database', 'configuration', 'detach', shown['id'],
            parse=False)
        assert redis_cli(shown, password, 'CONFIG', 'GET',
                         'maxmemory-policy').splitlines()[-1] == \
            'noeviction'
    finally:
        cli(service, 'database', 'instance', 'delete', shown['id'],
            parse=False)
        embedded_shape.wait_until_gone(service, shown['id'])
        cli(service, 'database', 'configuration', 'delete', 'cache',
            parse=False)
