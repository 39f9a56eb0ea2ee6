"""Tests for merging configuration layers."""

import pytest

from trove_lite.common import exception
from trove_lite.guestagent.datastores import layers


def test_later_layers_win_option_by_option():
    merged = layers.merge({'a': 1, 'b': 'x'}, {'b': 'y', 'c': True},
                          None, {'c': 'z'})
    assert merged == {'a': 1, 'b': 'y', 'c': 'z'}
    # The first layer's order is kept; new options follow.
    assert list(merged) == ['a', 'b', 'c']


def test_none_removes_an_option():
    assert layers.merge({'a': 1, 'flag': True}, {'flag': None}) == {'a': 1}
    assert layers.merge({'a': 1}, {'missing': None}) == {'a': 1}


def test_sections_merge_separately():
    merged = layers.merge_sections(
        {'mysqld': {'a': 1, 'b': 2}, 'client': {'socket': '/s'}},
        {'mysqld': {'b': 3, 'a': None}})
    assert merged == {'mysqld': {'b': 3}, 'client': {'socket': '/s'}}


@pytest.mark.parametrize('key, value', [
    ('port', '3306\nuser = root'),
    ('port', '1\r2'),
    ('bad key', 1),
    ('key]', 1),
    ('', 1),
    ('list', [1, 2]),
])
def test_refuses_what_would_escape_its_line(key, value):
    with pytest.raises(exception.BadValue):
        layers.merge({key: value})


def test_refuses_a_section_that_is_not_a_mapping():
    with pytest.raises(exception.BadValue):
        layers.merge_sections({'mysqld': 'max_connections = 5'})
    with pytest.raises(exception.BadValue):
        layers.merge_sections({'my sqld': {}})
