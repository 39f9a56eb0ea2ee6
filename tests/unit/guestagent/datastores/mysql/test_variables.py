"""Tests for setting a MySQL-family server's global variables live."""

import pymysql
import pytest

from tests.unit.guestagent.datastores.mysql import fake_globals
from trove_lite.common import exception
from trove_lite.guestagent.datastores.mysql import variables


def _server():
    return fake_globals.Globals(
        {'wait_timeout': 28800, 'max_connections': 100,
         'sql_mode': 'STRICT_TRANS_TABLES', 'slow_query_log': 0,
         'aria_pagecache_buffer_size': 134217728},
        defaults={'wait_timeout': 28800, 'max_connections': 151},
        read_only=['aria_pagecache_buffer_size'],
        checks={'max_connections': lambda value: isinstance(value, int)})


@pytest.mark.parametrize('name', ['wait_timeout', 'Max_Connections', '_x'])
def test_good_names(name):
    assert variables.validate_name(name) == name


@pytest.mark.parametrize('name', [
    'wait-timeout', '1abc', 'a b', 'a`b', "a'b", 'x;DROP', '', 'a.b',
    'a' * 65, None, 3])
def test_bad_names(name):
    with pytest.raises(exception.BadValue):
        variables.validate_name(name)


def test_names_are_quoted_and_values_travel_as_parameters():
    server = _server()
    sql = variables.Variables(server)
    assert sql.get('sql_mode') == 'STRICT_TRANS_TABLES'
    assert sql.set('sql_mode', "ANSI'; DROP") is True
    assert sql.set('slow_query_log', True) is True
    assert sql.set('wait_timeout', variables.DEFAULT) is True
    assert server.log == [
        ('SELECT @@GLOBAL.`sql_mode`', None),
        ('SET GLOBAL `sql_mode` = %s', ("ANSI'; DROP",)),
        ('SET GLOBAL `slow_query_log` = %s', ('ON',)),
        ('SET GLOBAL `wait_timeout` = DEFAULT', None)]


def test_a_bad_name_never_reaches_the_server():
    server = _server()
    with pytest.raises(exception.BadValue):
        variables.Variables(server).set('a`; SHUTDOWN; --', 1)
    assert server.log == []


def test_a_read_only_variable_is_not_set():
    assert variables.Variables(_server()).set(
        'aria_pagecache_buffer_size', 1 << 20) is False


def test_apply_sets_in_name_order_and_reports_the_read_only():
    server = _server()
    pending = variables.apply(server, {
        'wait_timeout': 240, 'aria_pagecache_buffer_size': 1 << 20,
        'max_connections': variables.DEFAULT})
    assert pending == ['aria_pagecache_buffer_size']
    assert server.sets() == [('aria_pagecache_buffer_size', 1 << 20),
                             ('max_connections', 'DEFAULT'),
                             ('wait_timeout', 240)]
    assert server.values['wait_timeout'] == 240
    assert server.values['max_connections'] == 151


def test_apply_puts_back_what_it_set_when_a_value_is_refused():
    server = _server()
    with pytest.raises(exception.GuestError) as caught:
        variables.apply(server, {'wait_timeout': 240, 'slow_query_log': 1,
                                 'max_connections': 'many'})
    assert "Incorrect argument type to variable 'max_connections'" in \
        str(caught.value)
    assert not isinstance(caught.value, exception.BadValue)
    assert server.values == _server().values
    # max_connections first (refused), then nothing else was set.
    assert server.sets() == [('max_connections', 'many')]
    server = _server()
    with pytest.raises(exception.GuestError):
        variables.apply(server, {'wait_timeout': 240, 'slow_query_log': 1,
                                 'max_connections': 20,
                                 'sql_mode': 'ANSI',
                                 'wait_timeoutz': 1})
    assert server.sets() == []


def test_apply_puts_back_in_reverse_order():
    server = _server()
    server.checks['wait_timeout'] = lambda value: value != 1
    with pytest.raises(exception.GuestError):
        variables.apply(server, {'max_connections': 20, 'sql_mode': 'ANSI',
                                 'wait_timeout': 1})
    assert server.sets() == [
        ('max_connections', 20), ('sql_mode', 'ANSI'), ('wait_timeout', 1),
        ('sql_mode', 'STRICT_TRANS_TABLES'), ('max_connections', 100)]
    assert server.values == _server().values


def test_an_unknown_variable_is_refused_before_anything_changes():
    server = _server()
    with pytest.raises(exception.GuestError) as caught:
        variables.apply(server, {'wait_timeout': 240, 'no_such': 1})
    assert "Unknown system variable 'no_such'" in str(caught.value)
    assert server.sets() == []


def test_a_lost_connection_is_a_guest_error():
    class Lost(fake_globals.Globals):
        def execute(self, sql, args):
            raise pymysql.err.OperationalError(2013, 'Lost connection')

    with pytest.raises(exception.GuestError) as caught:
        variables.apply(Lost({}), {'wait_timeout': 1})
    assert 'Lost the connection' in str(caught.value)
