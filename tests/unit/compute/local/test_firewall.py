"""Access of local instances as nftables rules, with a recording nft."""

import pytest

from trove_lite.compute import base
from trove_lite.compute.local import firewall

PRIVATE = ['127.0.0.1/32', '127.77.0.0/16']


class FakeNft:
    """``run(script, args)`` as ``firewall.run_nft``: records what it was
    given; ``refuse`` makes it fail as nft does.
    """

    def __init__(self, refuse=None):
        self.calls = []
        self.refuse = refuse

    def __call__(self, script, args=('-f', '-')):
        self.calls.append((tuple(args), script))
        if self.refuse:
            raise firewall.FirewallError(reason=self.refuse)
        return ''

    @property
    def scripts(self):
        return [script for args, script in self.calls if args == ('-f', '-')]


@pytest.fixture
def private(override):
    override('private_cidrs', ['127.0.0.1/32'], group='local')
    override('address_range', '127.77.0.0/16', group='local')


def test_the_private_network_is_the_host_and_the_instances(override,
                                                           private):
    assert firewall.private_networks() == PRIVATE
    override('private_cidrs', ['127.0.0.1', '127.77.3.0/24'], group='local')
    # Collapsed: a network inside another is not named twice.
    assert firewall.private_networks() == PRIVATE


def test_a_private_instance_is_reached_from_the_private_network_only():
    rules = firewall.rules('127.77.0.5', base.AccessSpec(
        is_public=False, allowed_cidrs=('127.0.0.2/32',), ports=(3306,)),
        PRIVATE)
    assert rules == [
        ('ip daddr 127.77.0.5 tcp dport { 3306 } ip saddr '
         '{ 127.0.0.1/32, 127.77.0.0/16 } accept', 'private network'),
        ('ip daddr 127.77.0.5 tcp dport { 3306 } reject with tcp reset',
         'everyone else')]


def test_a_public_instance_also_lets_its_allowed_cidrs_in():
    rules = firewall.rules('127.77.0.5', base.AccessSpec(
        is_public=True, allowed_cidrs=('127.0.0.2/32', '127.0.0.0/30'),
        ports=(5432,)), PRIVATE)
    assert [rule for rule, why in rules] == [
        'ip daddr 127.77.0.5 tcp dport { 5432 } ip saddr '
        '{ 127.0.0.1/32, 127.77.0.0/16 } accept',
        'ip daddr 127.77.0.5 tcp dport { 5432 } ip saddr { 127.0.0.0/30 } '
        'accept',
        'ip daddr 127.77.0.5 tcp dport { 5432 } reject with tcp reset']


def test_a_public_instance_without_cidrs_is_not_filtered():
    assert firewall.rules('127.77.0.5', base.AccessSpec(
        is_public=True, ports=(6379,)), PRIVATE) == []


def test_without_ports_every_tcp_port_of_the_address_is_covered():
    [private, refuse] = firewall.rules('127.77.0.5', base.AccessSpec(),
                                       PRIVATE)
    assert refuse[0] == ('ip daddr 127.77.0.5 meta l4proto tcp reject '
                         'with tcp reset')


def test_one_transaction_replaces_the_chain_of_the_address():
    script = firewall.apply_script('127.77.0.5', base.AccessSpec(
        ports=(3306,)), PRIVATE, 'inst-1')
    lines = script.splitlines()
    assert lines[:3] == [
        'add table inet trove_lite',
        'add chain inet trove_lite addr-127-77-0-5 { type filter hook '
        'input priority 0 ; policy accept ; }',
        'flush chain inet trove_lite addr-127-77-0-5']
    assert lines[3].startswith('add rule inet trove_lite addr-127-77-0-5 '
                               'ip daddr 127.77.0.5 ')
    assert lines[3].endswith('comment "instance inst-1: private network"')
    assert len(lines) == 5
    # Nothing outside our own table.
    assert all(' inet trove_lite' in line for line in lines)


def test_removal_is_one_transaction_that_tolerates_a_missing_chain():
    assert firewall.remove_script('127.77.0.5').splitlines() == [
        'add table inet trove_lite',
        'add chain inet trove_lite addr-127-77-0-5 { type filter hook '
        'input priority 0 ; policy accept ; }',
        'flush chain inet trove_lite addr-127-77-0-5',
        'delete chain inet trove_lite addr-127-77-0-5']


def test_nftables_firewall_runs_the_scripts(private):
    nft = FakeNft()
    wall = firewall.NftablesFirewall(run=nft)
    access = base.AccessSpec(True, ('127.0.0.2/32',), (3306,))
    wall.apply('127.77.0.9', access, 'inst-9')
    wall.remove('127.77.0.9')
    assert nft.scripts == [
        firewall.apply_script('127.77.0.9', access, PRIVATE, 'inst-9'),
        firewall.remove_script('127.77.0.9')]


def test_refused_rules_are_a_compute_error(private):
    wall = firewall.NftablesFirewall(run=FakeNft(refuse='Operation not '
                                                        'permitted'))
    with pytest.raises(base.ComputeError, match='Operation not permitted'):
        wall.apply('127.77.0.9', base.AccessSpec(), 'inst-9')


def test_auto_uses_nftables_when_nft_runs():
    nft = FakeNft()
    wall = firewall.load('auto', run=nft)
    assert isinstance(wall, firewall.NftablesFirewall)
    assert nft.calls == [(('list', 'tables'), '')]


def test_auto_without_nft_does_not_enforce_and_says_so(caplog):
    wall = firewall.load('auto', run=FakeNft(refuse='Operation not '
                                                    'permitted'))
    assert not wall.enforced
    wall.apply('127.77.0.9', base.AccessSpec(), 'inst-9')
    wall.apply('127.77.0.10', base.AccessSpec(), 'inst-10')
    assert caplog.text.count('not enforced') == 1
    assert 'Operation not permitted' in caplog.text


def test_nftables_asked_for_and_unusable_is_an_error():
    with pytest.raises(firewall.FirewallError, match='not installed'):
        firewall.load('nftables', run=FakeNft(refuse='not installed'))


def test_none_runs_nothing():
    nft = FakeNft()
    wall = firewall.load('none', run=nft)
    wall.apply('127.77.0.9', base.AccessSpec(), 'inst-9')
    wall.remove('127.77.0.9')
    assert nft.calls == []


def test_a_missing_nft_is_named(monkeypatch):
    monkeypatch.setattr(firewall.shutil, 'which', lambda *a, **k: None)
    with pytest.raises(firewall.FirewallError, match='nftables'):
        firewall.run_nft('')
