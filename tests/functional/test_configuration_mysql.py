"""Configuration groups on a real MariaDB, through the mysql manager.

One instance per module, prepared with a configuration group's values
(``prepare(overrides=)``) on a loopback address of its own. The tests
tell one story in file order: a group's values go live without a
restart, a value no longer overridden goes back to the template's (or
the server's own default), a read-only variable waits for a restart and
is live after it (and after a crash and a start), a refused value
changes nothing, and every parameter of the shipped rules is a variable
the server knows, in my.cnf as live. mariadbd starts: a prepare, four
restarts and a start after a kill.
"""

import json
import os
import signal
import uuid

import pytest

from tests.functional import fixtures
from tests.functional import guests
from trove_lite.common import exception
from trove_lite.guestagent.datastores.mysql import admin
from trove_lite.guestagent.datastores.mysql import config
from trove_lite.guestagent.datastores.mysql import manager as mysql_manager
from trove_lite.guestagent import info as guest_info

MARIADB = 'mariadbd .*%s'
PORT = 3306
MEMORY_MB = 512
MB = 1024 ** 2
RULES = os.path.join(os.path.dirname(__file__), '..', '..', 'etc',
                     'trove-lite', 'datastores', '%s',
                     'validation-rules.json')
# A variable of the rules that mariadbd 10.11 reads only at a start
# (``restart_required``: innodb_log_file_size, also marked so, is
# resized live since 10.9).
READ_ONLY = 'aria_pagecache_buffer_size'


@pytest.fixture(scope='module')
def mgr():
    guests.require('mariadb-server', mysql_manager.SERVER_BINARIES)
    with guests.instance_dir(MARIADB, prefix='trove-lite-config-') as path:
        info = guest_info.GuestInfo(
            guest_id=str(uuid.uuid4()), datastore_manager='mariadb',
            datastore_version='10.11', instance_dir=path,
            bind_host=fixtures.free_loopback_address(PORT), port=PORT)
        manager = mysql_manager.Manager(info)
        try:
            manager.prepare(MEMORY_MB, [], [],
                            overrides={'connect_timeout': 15})
            yield manager
        finally:
            manager.stop_db()


def _globals(manager, *names):
    """``{name: @@GLOBAL.name}`` of the running server."""
    conn = admin.connect(manager.paths.socket)
    try:
        with conn.cursor() as cursor:
            cursor.execute('SELECT %s' % ', '.join(
                '@@GLOBAL.%s' % name for name in names))
            return dict(zip(names, cursor.fetchone()))
    finally:
        conn.close()


def _pid(manager):
    with open(manager.paths.pid_file) as handle:
        return int(handle.read())


def _rules(datastore):
    with open(RULES % datastore) as handle:
        return json.load(handle)['configuration-parameters']


def test_prepare_overrides_are_live(mgr):
    assert mgr.config_overrides() == {'connect_timeout': 15}
    assert _globals(mgr, 'connect_timeout') == {'connect_timeout': 15}


def test_a_group_goes_live_without_a_restart(mgr):
    pid = _pid(mgr)
    result = mgr.apply_configuration(
        {'wait_timeout': 240, 'max_connections': 200}, MEMORY_MB)
    assert result == {'pending_restart': []}
    assert _pid(mgr) == pid
    # connect_timeout is no longer overridden and no layer sets it: the
    # server's own default.
    assert _globals(mgr, 'wait_timeout', 'max_connections',
                    'connect_timeout') == {
        'wait_timeout': 240, 'max_connections': 200, 'connect_timeout': 10}


def test_a_dropped_parameter_goes_back_to_the_template(mgr):
    template = config.max_connections(MEMORY_MB)
    assert mgr.configuration_defaults(MEMORY_MB)['max_connections'] == \
        template
    mgr.apply_configuration({'wait_timeout': 240}, MEMORY_MB)
    assert _globals(mgr, 'wait_timeout', 'max_connections') == {
        'wait_timeout': 240, 'max_connections': template}


def test_detaching_puts_back_the_defaults(mgr):
    mgr.apply_configuration({'max_connections': 200}, MEMORY_MB)
    mgr.apply_configuration({}, MEMORY_MB)
    assert _globals(mgr, 'wait_timeout', 'max_connections') == {
        'wait_timeout': 28800,
        'max_connections': config.max_connections(MEMORY_MB)}
    assert mgr.config_overrides() == {}


def test_a_read_only_variable_is_live_after_a_restart(mgr):
    before = _globals(mgr, READ_ONLY)[READ_ONLY]
    wanted = 16 * MB
    assert before != wanted
    result = mgr.apply_configuration({READ_ONLY: wanted,
                                      'wait_timeout': 300}, MEMORY_MB)
    assert result == {'pending_restart': [READ_ONLY]}
    assert _globals(mgr, READ_ONLY, 'wait_timeout') == {
        READ_ONLY: before, 'wait_timeout': 300}
    mgr.restart()
    assert _globals(mgr, READ_ONLY, 'wait_timeout') == {
        READ_ONLY: wanted, 'wait_timeout': 300}


def test_the_values_survive_a_crash(mgr):
    pid = _pid(mgr)
    os.kill(pid, signal.SIGKILL)
    assert mgr._wait_gone(pid, 30)
    # What the supervisor does with a server that died on its own.
    assert mgr.died_on_its_own()
    mgr.start_db()
    assert _globals(mgr, READ_ONLY, 'wait_timeout') == {
        READ_ONLY: 16 * MB, 'wait_timeout': 300}


def test_a_refused_value_changes_nothing(mgr):
    saved = mgr.config_overrides()
    with open(mgr.paths.my_cnf) as handle:
        my_cnf = handle.read()
    live = _globals(mgr, 'wait_timeout', 'max_connections', 'sql_mode')
    overrides = dict(saved, wait_timeout=60, max_connections=300,
                     sql_mode='NO_SUCH_MODE')
    with pytest.raises(exception.GuestError) as caught:
        mgr.apply_configuration(overrides, MEMORY_MB)
    assert "can't be set to the value of 'NO_SUCH_MODE'" in \
        str(caught.value)
    # max_connections was set (before sql_mode) and is back.
    assert _globals(mgr, 'wait_timeout', 'max_connections',
                    'sql_mode') == live
    assert mgr.config_overrides() == saved
    with open(mgr.paths.my_cnf) as handle:
        assert handle.read() == my_cnf


def test_defaults_follow_the_flavor(mgr):
    small = mgr.configuration_defaults(512)
    big = mgr.configuration_defaults(2048)
    assert small['innodb_buffer_pool_size'] == 256 * MB
    assert big['innodb_buffer_pool_size'] == 1024 * MB
    assert small['innodb_log_file_size'] < big['innodb_log_file_size']
    assert small['max_connections'] <= big['max_connections']
    # The instance's own places are not parameters.
    assert not {'datadir', 'socket', 'port', 'bind_address', 'user',
                'log_bin'} & set(small)
    # What the running server (of MEMORY_MB) has.
    live = _globals(mgr, 'innodb_buffer_pool_size', 'innodb_log_file_size',
                    'character_set_server')
    assert live == {name: small[name] for name in live}


def test_every_rule_is_a_variable_for_my_cnf_and_set_global(mgr):
    names = sorted({rule['name'] for datastore in ('mysql', 'mariadb')
                    for rule in _rules(datastore)})
    # Detached, the read-only variable is back to its default after a
    # restart.
    assert mgr.apply_configuration({}, MEMORY_MB) == {
        'pending_restart': [READ_ONLY]}
    mgr.restart()
    live = _globals(mgr, *names)
    assert live[READ_ONLY] == 128 * MB
    assert live['wait_timeout'] == 28800
    # Each written to my.cnf and set live at its current value: the server
    # takes every one, and starts again with all of them in my.cnf.
    result = mgr.apply_configuration(live, MEMORY_MB)
    read_only = {rule['name'] for rule in _rules('mariadb')
                 if rule['restart_required']}
    assert set(result['pending_restart']) <= read_only | {
        'performance_schema'}
    mgr.restart()
    after = _globals(mgr, *names)
    # NOTE(query cache): mariadbd started with a query_cache_size turns
    # the query cache ON whatever query_cache_type my.cnf says (10.11).
    assert after.pop('query_cache_type') == 'ON'
    assert after == {name: value for name, value in live.items()
                     if name != 'query_cache_type'}
    mgr.apply_configuration({}, MEMORY_MB)
