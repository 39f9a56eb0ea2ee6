"""Addresses of local servers."""

from unittest import mock

import pytest

from trove_lite.db.repositories import local_servers

RANGE = '127.77.0.0/29'


def test_lowest_free_address(ctx):
    a = local_servers.allocate(ctx, 'a', '/p/a', 'h', RANGE)
    b = local_servers.allocate(ctx, 'b', '/p/b', 'h', RANGE)
    assert (a.address, b.address) == ('127.77.0.1', '127.77.0.2')
    assert local_servers.allocate(ctx, 'a', '/p/a', 'h',
                                  RANGE).address == '127.77.0.1'
    local_servers.delete(ctx, 'a')
    local_servers.delete(ctx, 'a')
    assert local_servers.allocate(ctx, 'c', '/p/c', 'h',
                                  RANGE).address == '127.77.0.1'
    assert [s.instance_id for s in local_servers.list_servers(
        ctx, 'h')] == ['b', 'c']
    assert local_servers.list_servers(ctx, 'other') == []


def test_a_lost_race_takes_the_next_address(ctx):
    local_servers.allocate(ctx, 'a', '/p/a', 'h', RANGE)
    real = local_servers._used_addresses
    calls = []

    def stale_view(ctx):
        # The first read misses 'a' (another taskmanager's fresh insert).
        calls.append(1)
        return set() if len(calls) == 1 else real(ctx)

    with mock.patch.object(local_servers, '_used_addresses', stale_view):
        b = local_servers.allocate(ctx, 'b', '/p/b', 'h', RANGE)
    assert b.address == '127.77.0.2'
    assert len(calls) == 2


def test_exhausted(ctx):
    for name in 'abcdef':
        local_servers.allocate(ctx, name, '/p/' + name, 'h', RANGE)
    with pytest.raises(local_servers.AddressRangeExhausted):
        local_servers.allocate(ctx, 'g', '/p/g', 'h', RANGE)


def test_allocate_skips_what_the_host_refuses(ctx):
    server = local_servers.allocate(
        ctx, 'i-1', '/x', 'h', '127.77.0.0/29',
        usable=lambda address: address != '127.77.0.1')
    assert server.address == '127.77.0.2'


def test_allocate_gives_up_when_every_address_is_busy(ctx):
    with pytest.raises(local_servers.AddressRangeExhausted):
        local_servers.allocate(ctx, 'i-1', '/x', 'h',
                               '127.77.0.0/16', usable=lambda address: False)
