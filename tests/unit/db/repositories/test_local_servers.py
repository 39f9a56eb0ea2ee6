"""Addresses of local servers."""

from unittest import mock

import pytest

from trove_lite.db.repositories import local_servers

RANGE = '127.77.0.0/29'


def test_lowest_free_address(admin_context):
    a = local_servers.allocate(admin_context, 'a', '/p/a', 'h', RANGE)
    b = local_servers.allocate(admin_context, 'b', '/p/b', 'h', RANGE)
    assert (a.address, b.address) == ('127.77.0.1', '127.77.0.2')
    assert local_servers.allocate(admin_context, 'a', '/p/a', 'h',
                                  RANGE).address == '127.77.0.1'
    local_servers.delete(admin_context, 'a')
    local_servers.delete(admin_context, 'a')
    assert local_servers.allocate(admin_context, 'c', '/p/c', 'h',
                                  RANGE).address == '127.77.0.1'
    assert [s.instance_id for s in local_servers.list_servers(
        admin_context, 'h')] == ['b', 'c']
    assert local_servers.list_servers(admin_context, 'other') == []


def test_a_lost_race_takes_the_next_address(admin_context):
    local_servers.allocate(admin_context, 'a', '/p/a', 'h', RANGE)
    real = local_servers._used_addresses
    calls = []

    def stale_view(context):
        # The first read misses 'a' (another taskmanager's fresh insert).
        calls.append(1)
        return set() if len(calls) == 1 else real(context)

    with mock.patch.object(local_servers, '_used_addresses', stale_view):
        b = local_servers.allocate(admin_context, 'b', '/p/b', 'h', RANGE)
    assert b.address == '127.77.0.2'
    assert len(calls) == 2


def test_exhausted(admin_context):
    for name in 'abcdef':
        local_servers.allocate(admin_context, name, '/p/' + name, 'h', RANGE)
    with pytest.raises(local_servers.AddressRangeExhausted):
        local_servers.allocate(admin_context, 'g', '/p/g', 'h', RANGE)


def test_allocate_skips_what_the_host_refuses(admin_context):
    server = local_servers.allocate(
        admin_context, 'i-1', '/x', 'h', '127.77.0.0/29',
        usable=lambda address: address != '127.77.0.1')
    assert server.address == '127.77.0.2'


def test_allocate_gives_up_when_every_address_is_busy(admin_context):
    with pytest.raises(local_servers.AddressRangeExhausted):
        local_servers.allocate(admin_context, 'i-1', '/x', 'h',
                               '127.77.0.0/16', usable=lambda address: False)
