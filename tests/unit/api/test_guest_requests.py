"""The shared checks of the database, user and root routes."""

import types

import pytest

from trove_lite.api import guest_requests
from trove_lite.common import exception


@pytest.mark.parametrize('quoted, expected', [
    ('alice', ('alice', '%')),
    ('alice@localhost', ('alice', 'localhost')),
    ('a@b@10.0.0.%', ('a@b', '10.0.0.%')),
    ('alice@', ('alice@', '%')),
    ('bob%2e1@10%2e0%2e0%2e1', ('bob.1', '10.0.0.1')),
    ('alice%40%25', ('alice', '%')),
])
def test_split_user_id(quoted, expected):
    assert guest_requests.split_user_id(quoted) == expected


def _ctx(limit=None, marker=None):
    return types.SimpleNamespace(limit=limit, marker=marker)


def test_page_orders_and_starts_after_the_marker():
    items = ['c', 'a', 'b', 'd']
    assert guest_requests.page(_ctx(2), items, str, 20) == (['a', 'b'], 'b')
    assert guest_requests.page(_ctx(2, 'b'), items, str, 20) == (
        ['c', 'd'], None)
    assert guest_requests.page(_ctx(None, 'bb'), items, str, 20) == (
        ['c', 'd'], None)
    assert guest_requests.page(_ctx(), items, str, 3) == (
        ['a', 'b', 'c'], 'c')


def test_page_refuses_a_bad_limit():
    with pytest.raises(exception.BadValue):
        guest_requests.page(_ctx('x'), [], str, 20)


def test_summary_of_a_remote_builtin_keeps_the_first_line():
    err = RuntimeError('disk on fire\nTraceback (most recent call last):')
    assert guest_requests._summary(err) == 'RuntimeError: disk on fire'
