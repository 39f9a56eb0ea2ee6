"""The network side of an instance's server: its ports, the security
group that opens its datastore to the instance's ``allowed_cidrs``, and
the floating address of a public instance.

Everything is named ``<prefix><instance id>`` (``[nova]
resource_name_prefix``) in the service project, so that delete, a
failed create's revert and a resumed create all find what an instance
owns by its id alone, even when the create died before it could record
anything.

Ports come in the order of the server's NICs: the tenant's networks
first (they carry the instance's security group: the datastore is reached
there), then the deployment's management networks with
``management_security_groups`` (how the guest reaches the message bus).
An instance with no network of its own gets its security group on its
management ports, so its access is enforced there.
"""

import time

from neutronclient.common import exceptions as neutron_exc
from oslo_log import log as logging
from oslo_utils import uuidutils

from trove_lite.compute import base

LOG = logging.getLogger(__name__)

EVERYWHERE = '0.0.0.0/0'
# NOTE(delete): a security group is in use until Neutron has let go of
# the deleted ports; a few seconds of retries cover that.
SECURITY_GROUP_RETRIES = 10


def desired_rules(access):
    """The ingress rules ``access`` needs: ``{(port, cidr)}``, every
    source network when it names none.
    """
    cidrs = access.allowed_cidrs or (EVERYWHERE,)
    return {(int(port), cidr) for port in access.ports for cidr in cidrs}


def _rule_key(rule):
    return (rule.get('port_range_min'), rule.get('remote_ip_prefix'))


class Networking:
    """Ports, security group and floating addresses of instances.

    :param neutron: a neutronclient ``Client``.
    :param prefix: the name prefix of the instance's resources.
    :param public_network_id: the external network of floating
        addresses, or None.
    """

    def __init__(self, neutron, prefix, public_network_id=None,
                 poll_interval=1.0):
        self.neutron = neutron
        self.prefix = prefix
        self.public_network_id = public_network_id
        self.poll_interval = poll_interval

    def name(self, instance_id):
        return self.prefix + instance_id

    # -- security group ------------------------------------------------

    def find_security_group(self, instance_id):
        found = self.neutron.list_security_groups(
            name=self.name(instance_id))['security_groups']
        return found[0] if found else None

    def ensure_security_group(self, instance_id):
        """The instance's security group, made when missing (a resumed
        create finds the one it made before).
        """
        group = self.find_security_group(instance_id)
        if group is None:
            group = self.neutron.create_security_group({'security_group': {
                'name': self.name(instance_id),
                'description': 'trove_lite instance %s: who reaches its '
                               'datastore' % instance_id}})['security_group']
        return group

    def apply_rules(self, group_id, access):
        """Make the group's TCP ingress rules exactly those of
        ``access``: missing ones are added first, then the extra ones
        removed, so a change never leaves a moment with neither.
        """
        rules = self.neutron.list_security_group_rules(
            security_group_id=group_id)['security_group_rules']
        ingress = [rule for rule in rules
                   if rule.get('direction') == 'ingress']
        have = {_rule_key(rule) for rule in ingress}
        wanted = desired_rules(access)
        for port, cidr in sorted(wanted - have):
            self.neutron.create_security_group_rule({'security_group_rule': {
                'security_group_id': group_id, 'direction': 'ingress',
                'ethertype': 'IPv4', 'protocol': 'tcp',
                'port_range_min': port, 'port_range_max': port,
                'remote_ip_prefix': cidr}})
        for rule in ingress:
            if _rule_key(rule) not in wanted:
                self.neutron.delete_security_group_rule(rule['id'])

    def management_group_ids(self, names):
        """Ids of ``[DEFAULT] management_security_groups`` (names or
        ids).

        :raises: ComputeError for a name Neutron does not know.
        """
        ids = []
        for name in names:
            if uuidutils.is_uuid_like(name):
                ids.append(name)
                continue
            found = self.neutron.list_security_groups(
                name=name)['security_groups']
            if not found:
                raise base.ComputeError(
                    reason='management security group %s does not exist'
                           % name)
            ids.append(found[0]['id'])
        return ids

    # -- ports -----------------------------------------------------------

    def find_ports(self, instance_id):
        return self.neutron.list_ports(
            name=self.name(instance_id))['ports']

    def create_ports(self, instance_id, tenant_networks,
                     management_networks, group_id, management_group_ids):
        """One port per network, tenant's first; returns them in order.

        :param tenant_networks: ``[{'net_id', 'ip_address'?}]``.
        :param management_networks: network ids.
        """
        own = [group_id]
        specs = [(net, own) for net in tenant_networks]
        management_groups = list(management_group_ids)
        if not tenant_networks:
            management_groups = own + management_groups
        specs += [({'net_id': net}, management_groups)
                  for net in management_networks]
        if not specs:
            raise base.ComputeError(
                reason='the instance has no network: give it one (nics) '
                       'or set [DEFAULT] management_networks')
        ports = []
        for net, groups in specs:
            body = {'network_id': net['net_id'],
                    'name': self.name(instance_id),
                    'description': 'trove_lite instance %s' % instance_id,
                    'security_groups': groups}
            if net.get('ip_address'):
                fixed = {'ip_address': net['ip_address']}
                if net.get('subnet_id'):
                    fixed['subnet_id'] = net['subnet_id']
                body['fixed_ips'] = [fixed]
            ports.append(self.neutron.create_port({'port': body})['port'])
        return ports

    # -- floating addresses -------------------------------------------

    def floating_ips(self, ports):
        found = []
        for port in ports:
            found += self.neutron.list_floatingips(
                port_id=port['id'])['floatingips']
        return found

    def apply_public(self, ports, access):
        """A floating address on the first port (the tenant's, when it
        has one) while ``is_public``, none otherwise.

        :raises: ComputeError when the instance is public and no
            ``[nova] public_network_id`` is set.
        """
        current = self.floating_ips(ports)
        if not access.is_public:
            for floating in current:
                self.neutron.delete_floatingip(floating['id'])
            return
        if current:
            return
        if not self.public_network_id:
            raise base.ComputeError(
                reason='a public instance needs a floating address, and '
                       '[nova] public_network_id is not set')
        self.neutron.create_floatingip({'floatingip': {
            'floating_network_id': self.public_network_id,
            'port_id': ports[0]['id']}})

    # -- addresses ----------------------------------------------------

    def addresses(self, ports, tenant_port_count):
        """The addresses the API shows: the fixed addresses of the
        tenant's ports (of the management ports when it has none), then
        the floating ones.
        """
        shown = ports[:tenant_port_count] or ports
        addresses = [{'address': fixed['ip_address'],
                      'type': base.ADDRESS_PRIVATE}
                     for port in shown
                     for fixed in port.get('fixed_ips', ())]
        addresses += [{'address': floating['floating_ip_address'],
                       'type': 'public'}
                      for floating in self.floating_ips(ports)]
        return addresses

    # -- removal --------------------------------------------------------

    def remove(self, instance_id):
        """Remove every port, floating address and the security group of
        the instance. Idempotent.
        """
        ports = self.find_ports(instance_id)
        for floating in self.floating_ips(ports):
            _ignore_missing(self.neutron.delete_floatingip, floating['id'])
        for port in ports:
            _ignore_missing(self.neutron.delete_port, port['id'])
        group = self.find_security_group(instance_id)
        if group is None:
            return
        for attempt in range(SECURITY_GROUP_RETRIES):
            try:
                _ignore_missing(self.neutron.delete_security_group,
                                group['id'])
                return
            except neutron_exc.Conflict:
                if attempt == SECURITY_GROUP_RETRIES - 1:
                    raise
                LOG.info('Security group %s of instance %s is still in '
                         'use; retrying', group['id'], instance_id)
                time.sleep(self.poll_interval)


def _ignore_missing(call, *args):
    try:
        call(*args)
    except neutron_exc.NotFound:
        pass
