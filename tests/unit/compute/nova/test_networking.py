"""Ports, security group rules and floating addresses of an instance."""

import itertools

from neutronclient.common import exceptions as neutron_exc
import pytest

from trove_lite.compute import base
from trove_lite.compute.nova import networking


class FakeNeutron:
    """The few neutronclient calls ``Networking`` makes, in dicts."""

    def __init__(self):
        self.ids = itertools.count(1)
        self.groups = {}
        self.rules = {}
        self.ports = {}
        self.floating = {}
        self.calls = []

    def _id(self, kind):
        return '%s-%d' % (kind, next(self.ids))

    def list_security_groups(self, name):
        return {'security_groups': [g for g in self.groups.values()
                                    if g['name'] == name]}

    def create_security_group(self, body):
        group = dict(body['security_group'], id=self._id('sg'))
        self.groups[group['id']] = group
        # Neutron's own egress rule, which access never touches.
        rule = {'id': self._id('rule'), 'security_group_id': group['id'],
                'direction': 'egress'}
        self.rules[rule['id']] = rule
        return {'security_group': group}

    def delete_security_group(self, group_id):
        if any(group_id in p['security_groups']
               for p in self.ports.values()):
            raise neutron_exc.Conflict()
        if self.groups.pop(group_id, None) is None:
            raise neutron_exc.NotFound()

    def list_security_group_rules(self, security_group_id):
        return {'security_group_rules': [
            r for r in self.rules.values()
            if r['security_group_id'] == security_group_id]}

    def create_security_group_rule(self, body):
        rule = dict(body['security_group_rule'], id=self._id('rule'))
        self.calls.append(('add', rule['port_range_min'],
                           rule['remote_ip_prefix']))
        self.rules[rule['id']] = rule

    def delete_security_group_rule(self, rule_id):
        rule = self.rules.pop(rule_id)
        self.calls.append(('remove', rule['port_range_min'],
                           rule['remote_ip_prefix']))

    def create_port(self, body):
        port = dict(body['port'], id=self._id('port'), fixed_ips=[
            {'ip_address': '10.0.0.%d' % (len(self.ports) + 5)}])
        self.ports[port['id']] = port
        return {'port': port}

    def list_ports(self, name):
        return {'ports': [p for p in self.ports.values()
                          if p['name'] == name]}

    def delete_port(self, port_id):
        if self.ports.pop(port_id, None) is None:
            raise neutron_exc.NotFound()

    def list_floatingips(self, port_id):
        return {'floatingips': [f for f in self.floating.values()
                                if f['port_id'] == port_id]}

    def create_floatingip(self, body):
        floating = dict(body['floatingip'], id=self._id('fip'),
                        floating_ip_address='203.0.113.9')
        self.floating[floating['id']] = floating

    def delete_floatingip(self, floating_id):
        del self.floating[floating_id]


@pytest.fixture
def neutron():
    return FakeNeutron()


@pytest.fixture
def net(neutron):
    return networking.Networking(neutron, 'tl-', 'public-net',
                                 poll_interval=0.01)


def test_rules_open_the_ports_to_the_allowed_networks_only(net, neutron):
    group = net.ensure_security_group('i1')
    assert group['name'] == 'tl-i1'
    assert net.ensure_security_group('i1') == group
    net.apply_rules(group['id'], base.AccessSpec(
        False, ('10.1.0.0/16', '10.2.0.0/16'), (3306,)))
    assert sorted(neutron.calls) == [('add', 3306, '10.1.0.0/16'),
                                     ('add', 3306, '10.2.0.0/16')]
    neutron.calls.clear()
    net.apply_rules(group['id'], base.AccessSpec(
        False, ('10.2.0.0/16', '10.3.0.0/16'), (3306,)))
    # What stays is not touched; the new rule comes before the old goes.
    assert neutron.calls == [('add', 3306, '10.3.0.0/16'),
                             ('remove', 3306, '10.1.0.0/16')]
    neutron.calls.clear()
    net.apply_rules(group['id'], base.AccessSpec(False, (), (3306,)))
    assert sorted(neutron.calls) == [('add', 3306, '0.0.0.0/0'),
                                     ('remove', 3306, '10.2.0.0/16'),
                                     ('remove', 3306, '10.3.0.0/16')]
    # Neutron's egress rule stays.
    assert any(r['direction'] == 'egress' for r in neutron.rules.values())


def test_tenant_ports_carry_the_instances_group(net, neutron):
    ports = net.create_ports('i1', [{'net_id': 'tenant',
                                     'ip_address': '10.0.0.50'}],
                             ['mgmt'], 'sg-own', ['sg-mgmt'])
    assert [(p['network_id'], p['security_groups']) for p in ports] == [
        ('tenant', ['sg-own']), ('mgmt', ['sg-mgmt'])]
    assert net.addresses(ports, 1) == [
        {'address': ports[0]['fixed_ips'][0]['ip_address'],
         'type': 'private'}]


def test_without_a_tenant_network_the_management_ports_are_guarded(net):
    ports = net.create_ports('i1', [], ['mgmt'], 'sg-own', ['sg-mgmt'])
    assert ports[0]['security_groups'] == ['sg-own', 'sg-mgmt']
    # Its addresses are then those of its management ports.
    assert len(net.addresses(ports, 0)) == 1


def test_no_network_at_all_is_a_clear_error(net):
    with pytest.raises(base.ComputeError, match='no network'):
        net.create_ports('i1', [], [], 'sg-own', [])


def test_a_public_instance_gets_a_floating_address_and_loses_it(net,
                                                                neutron):
    ports = net.create_ports('i1', [{'net_id': 'tenant'}], [], 'sg', [])
    net.apply_public(ports, base.AccessSpec(True, (), (3306,)))
    net.apply_public(ports, base.AccessSpec(True, (), (3306,)))
    assert len(neutron.floating) == 1
    assert {'address': '203.0.113.9', 'type': 'public'} in \
        net.addresses(ports, 1)
    net.apply_public(ports, base.AccessSpec(False, (), (3306,)))
    assert neutron.floating == {}


def test_public_without_a_public_network_is_refused(neutron):
    net = networking.Networking(neutron, 'tl-', None)
    ports = net.create_ports('i1', [{'net_id': 'tenant'}], [], 'sg', [])
    with pytest.raises(base.ComputeError, match='public_network_id'):
        net.apply_public(ports, base.AccessSpec(True, (), (3306,)))


def test_remove_takes_everything_and_can_be_repeated(net, neutron):
    group = net.ensure_security_group('i1')
    ports = net.create_ports('i1', [{'net_id': 'tenant'}], ['mgmt'],
                             group['id'], [])
    net.apply_public(ports, base.AccessSpec(True, (), (3306,)))
    other = net.ensure_security_group('i2')
    net.remove('i1')
    net.remove('i1')
    assert neutron.ports == {} and neutron.floating == {}
    assert list(neutron.groups) == [other['id']]
