"""The simulated Network API (Neutron v2.0, as neutronclient calls it).

Networks and their one subnet each are seeded by the test; ports, security
groups and their rules, and floating IPs are the tenants'. A port's fixed
IP is a loopback address of its network's CIDR (e.g. 127.78.1.0/24), so
that what a server's guest runs at its fixed IP is reachable from this
host. Errors are ``{"NeutronError": {"type", "message", "detail"}}``;
neutronclient raises its exception class by ``type`` and status.
"""

import ipaddress

from tests.functional.cloudsim import state
from tests.functional.cloudsim import wsgi
from trove_lite.compute.local import driver as local_driver

PORT_FIELDS = ('name', 'description', 'security_groups', 'device_id',
               'device_owner', 'admin_state_up')
RULE_FIELDS = ('direction', 'ethertype', 'protocol', 'port_range_min',
               'port_range_max', 'remote_ip_prefix', 'remote_group_id',
               'description')


def render_error(err):
    kind = err.kind or {400: 'BadRequest', 404: 'NotFound',
                        409: 'Conflict'}.get(err.status, 'NeutronError')
    return err.status, {'NeutronError': {'type': kind,
                                         'message': err.message,
                                         'detail': ''}}


def _filters(request):
    """The list filters of a query: ``{field: value or [values]}``
    (neutron's repeated ``?field=a&field=b`` means any of them).
    """
    found = {}
    for key in request.GET.keys():
        if key in ('fields', 'limit', 'marker', 'sort_key', 'sort_dir',
                   'page_reverse'):
            continue
        values = request.GET.getall(key)
        found[key] = values[0] if len(values) == 1 else values
    return found


def _view(record):
    """A record as the API shows it (the simulator's own keys left out)."""
    return {key: value for key, value in record.items()
            if key not in ('seeded', 'cidr_hosts')}


def _used_addresses(store):
    with store.lock:
        used = set()
        for port in store['ports'].values():
            used.update(ip['ip_address'] for ip in port['fixed_ips'])
        used.update(fip['floating_ip_address']
                    for fip in store['floatingips'].values())
        return used


class NetworkAPI:
    """``/network/v2.0/...``: networks, subnets, ports, security groups,
    their rules and floating IPs.

    :param probe_ports: a fixed IP is never one where something listens
        on one of these ports already (another cloud's datastore, a
        server left running): a guest's datastore must be able to bind it.
    """

    def __init__(self, store, probe_ports=(3306,)):
        self.store = store
        self.probe_ports = tuple(probe_ports)
        router = self.router = wsgi.Router(render_error)
        for plural, kind in (('networks', 'networks'),
                             ('subnets', 'subnets')):
            router.add('GET', '/%s' % plural, self._lister(kind))
            router.add('GET', '/%s/(?P<ident>[^/]+)' % plural,
                       self._shower(kind))
        router.add('GET', '/ports', self._lister('ports'))
        router.add('POST', '/ports', self.create_port)
        router.add('GET', '/ports/(?P<ident>[^/]+)', self._shower('ports'))
        router.add('PUT', '/ports/(?P<ident>[^/]+)', self.update_port)
        router.add('DELETE', '/ports/(?P<ident>[^/]+)', self.delete_port)
        router.add('GET', '/security-groups', self.list_groups)
        router.add('POST', '/security-groups', self.create_group)
        router.add('GET', '/security-groups/(?P<ident>[^/]+)',
                   self.show_group)
        router.add('DELETE', '/security-groups/(?P<ident>[^/]+)',
                   self.delete_group)
        router.add('GET', '/security-group-rules',
                   self._lister('security_group_rules'))
        router.add('POST', '/security-group-rules', self.create_rule)
        router.add('GET', '/security-group-rules/(?P<ident>[^/]+)',
                   self._shower('security_group_rules'))
        router.add('DELETE', '/security-group-rules/(?P<ident>[^/]+)',
                   self.delete_rule)
        router.add('GET', '/floatingips', self._lister('floatingips'))
        router.add('POST', '/floatingips', self.create_floatingip)
        router.add('GET', '/floatingips/(?P<ident>[^/]+)',
                   self._shower('floatingips'))
        router.add('PUT', '/floatingips/(?P<ident>[^/]+)',
                   self.update_floatingip)
        router.add('DELETE', '/floatingips/(?P<ident>[^/]+)',
                   self.delete_floatingip)

    # Seeding (the operator's, from the test).

    def add_network(self, name, cidr):
        net = ipaddress.ip_network(cidr)
        network = self.store.add('networks', {
            'name': name, 'status': 'ACTIVE', 'admin_state_up': True,
            'shared': True, 'router:external': True, 'subnets': [],
            'project_id': None, 'seeded': True, 'mtu': 1500})
        subnet = self.store.add('subnets', {
            'name': '%s-subnet' % name, 'network_id': network['id'],
            'cidr': str(net), 'ip_version': net.version,
            'gateway_ip': str(next(net.hosts())), 'enable_dhcp': True,
            'project_id': None, 'seeded': True})
        network['subnets'].append(subnet['id'])
        return network

    def add_security_group(self, name, description=''):
        """A pre-existing group (a management one), nobody's resource."""
        return self._new_group(None, name, description, seeded=True)

    # Generic reads.

    def _lister(self, kind):
        def handler(request):
            records = self.store.find(kind, wsgi.project_of(request),
                                      **_filters(request))
            return 200, {kind: [_view(r) for r in records]}
        return handler

    def _shower(self, kind):
        def handler(request, ident):
            record = self.store.get(kind, ident, wsgi.project_of(request),
                                    error_kind=_not_found_kind(kind))
            return 200, {kind[:-1]: _view(record)}
        return handler

    # Ports.

    def allocate_address(self, network_id):
        """A free address of the network's subnet: no port or floating IP
        holds it and nothing listens on ``probe_ports`` there.

        :raises: SimError 409 IpAddressGenerationFailure when none is left.
        """
        with self.store.lock:
            subnet = self.store.find('subnets', network_id=network_id)[0]
            net = ipaddress.ip_network(subnet['cidr'])
            used = _used_addresses(self.store) | {subnet['gateway_ip']}
            probes = [local_driver.port_free(port)
                      for port in self.probe_ports]
            for host in net.hosts():
                address = str(host)
                if address in used:
                    continue
                if all(probe(address) for probe in probes):
                    return subnet['id'], address
        raise state.SimError(409, 'No more IP addresses available on network '
                             '%s.' % network_id, 'IpAddressGenerationFailure')

    def create_port(self, request):
        project = wsgi.project_of(request)
        body = wsgi.member(wsgi.json_body(request), 'port')
        self.store.called('port.create')
        with self.store.lock:
            network_id = body.get('network_id')
            self.store.get('networks', network_id, project,
                           error_kind='NetworkNotFound')
            groups = body.get('security_groups')
            if groups is None:
                groups = []
            for group_id in groups:
                self.store.get('security_groups', group_id, project,
                               error_kind='SecurityGroupNotFound')
            subnet_id, address = self.allocate_address(network_id)
            port = {'project_id': project, 'tenant_id': project,
                    'network_id': network_id, 'name': body.get('name', ''),
                    'description': body.get('description', ''),
                    'fixed_ips': [{'subnet_id': subnet_id,
                                   'ip_address': address}],
                    'security_groups': list(groups), 'device_id': '',
                    'device_owner': '', 'status': 'DOWN',
                    'admin_state_up': body.get('admin_state_up', True),
                    'mac_address': _mac(address)}
            port = self.store.add('ports', port)
        return 201, {'port': _view(port)}

    def update_port(self, request, ident):
        project = wsgi.project_of(request)
        body = wsgi.member(wsgi.json_body(request), 'port')
        with self.store.lock:
            port = self.store.get('ports', ident, project,
                                  error_kind='PortNotFound')
            for group_id in body.get('security_groups') or ():
                self.store.get('security_groups', group_id, project,
                               error_kind='SecurityGroupNotFound')
            for key in PORT_FIELDS:
                if key in body:
                    port[key] = body[key]
            return 200, {'port': _view(port)}

    def delete_port(self, request, ident):
        project = wsgi.project_of(request)
        self.store.called('port.delete')
        with self.store.lock:
            port = self.store.get('ports', ident, project,
                                  error_kind='PortNotFound')
            # NOTE(neutron): a bound port may be deleted; the server loses
            # the interface, and a floating IP on it is disassociated.
            server = self.store['servers'].get(port['device_id'])
            if server is not None and ident in server['port_ids']:
                server['port_ids'].remove(ident)
            for fip in self.store.find('floatingips', port_id=ident):
                fip.update(port_id=None, fixed_ip_address=None,
                           status='DOWN')
            self.store.remove('ports', ident)
        return 204, None

    # Security groups and rules.

    def _new_group(self, project, name, description, seeded=False):
        with self.store.lock:
            group = self.store.add('security_groups', {
                'project_id': project, 'tenant_id': project, 'name': name,
                'description': description, 'seeded': seeded})
            for ethertype in ('IPv4', 'IPv6'):
                self._new_rule(project, group['id'], {
                    'direction': 'egress', 'ethertype': ethertype},
                    seeded=seeded)
            return group

    def _group_view(self, group):
        view = _view(group)
        view['security_group_rules'] = [
            _view(rule) for rule in self.store.find(
                'security_group_rules', security_group_id=group['id'])]
        return view

    def list_groups(self, request):
        groups = self.store.find('security_groups', wsgi.project_of(request),
                                 **_filters(request))
        return 200, {'security_groups': [self._group_view(g)
                                         for g in groups]}

    def show_group(self, request, ident):
        group = self.store.get('security_groups', ident,
                               wsgi.project_of(request),
                               error_kind='SecurityGroupNotFound')
        return 200, {'security_group': self._group_view(group)}

    def create_group(self, request):
        project = wsgi.project_of(request)
        body = wsgi.member(wsgi.json_body(request), 'security_group')
        self.store.called('security_group.create')
        group = self._new_group(project, body.get('name', ''),
                                body.get('description', ''))
        return 201, {'security_group': self._group_view(group)}

    def delete_group(self, request, ident):
        project = wsgi.project_of(request)
        self.store.called('security_group.delete')
        with self.store.lock:
            self.store.get('security_groups', ident, project,
                           error_kind='SecurityGroupNotFound')
            users = [port['id'] for port in self.store['ports'].values()
                     if ident in port['security_groups']]
            if users:
                raise state.SimError(
                    409, 'Security Group %s in use by ports %s.'
                    % (ident, ', '.join(users)), 'SecurityGroupInUse')
            for rule in self.store.find('security_group_rules',
                                        security_group_id=ident):
                self.store.remove('security_group_rules', rule['id'])
            self.store.remove('security_groups', ident)
        return 204, None

    def _new_rule(self, project, group_id, body, seeded=False):
        rule = {'project_id': project, 'tenant_id': project,
                'security_group_id': group_id, 'seeded': seeded,
                'direction': body.get('direction'),
                'ethertype': body.get('ethertype') or 'IPv4'}
        for key in RULE_FIELDS[2:]:
            rule[key] = body.get(key)
        return self.store.add('security_group_rules', rule)

    def create_rule(self, request):
        project = wsgi.project_of(request)
        body = wsgi.member(wsgi.json_body(request), 'security_group_rule')
        self.store.called('security_group_rule.create')
        if body.get('direction') not in ('ingress', 'egress'):
            raise state.SimError(400, 'Invalid direction %r.'
                                 % body.get('direction'))
        if body.get('ethertype', 'IPv4') not in ('IPv4', 'IPv6'):
            raise state.SimError(400, 'Invalid ethertype %r.'
                                 % body.get('ethertype'))
        with self.store.lock:
            group_id = body.get('security_group_id')
            self.store.get('security_groups', group_id, project,
                           error_kind='SecurityGroupNotFound')
            wanted = dict(body, ethertype=body.get('ethertype', 'IPv4'))
            for rule in self.store.find('security_group_rules',
                                        security_group_id=group_id):
                if all(rule.get(key) == wanted.get(key)
                       for key in RULE_FIELDS[:-1]):
                    raise state.SimError(
                        409, 'Security group rule already exists. Rule id '
                        'is %s.' % rule['id'], 'SecurityGroupRuleExists')
            rule = self._new_rule(project, group_id, body)
        return 201, {'security_group_rule': _view(rule)}

    def delete_rule(self, request, ident):
        with self.store.lock:
            self.store.get('security_group_rules', ident,
                           wsgi.project_of(request),
                           error_kind='SecurityGroupRuleNotFound')
            self.store.remove('security_group_rules', ident)
        return 204, None

    # Floating IPs.

    def create_floatingip(self, request):
        project = wsgi.project_of(request)
        body = wsgi.member(wsgi.json_body(request), 'floatingip')
        self.store.called('floatingip.create')
        with self.store.lock:
            network_id = body.get('floating_network_id')
            self.store.get('networks', network_id, project,
                           error_kind='NetworkNotFound')
            _, address = self.allocate_address(network_id)
            fip = self.store.add('floatingips', {
                'project_id': project, 'tenant_id': project,
                'floating_network_id': network_id,
                'floating_ip_address': address, 'port_id': None,
                'fixed_ip_address': None, 'status': 'DOWN',
                'router_id': None, 'description': ''})
            self._associate(fip, body.get('port_id'), project)
        return 201, {'floatingip': _view(fip)}

    def _associate(self, fip, port_id, project):
        if port_id is None:
            fip.update(port_id=None, fixed_ip_address=None, status='DOWN')
            return
        port = self.store.get('ports', port_id, project,
                              error_kind='PortNotFound')
        fip.update(port_id=port_id,
                   fixed_ip_address=port['fixed_ips'][0]['ip_address'],
                   status='ACTIVE')

    def update_floatingip(self, request, ident):
        project = wsgi.project_of(request)
        body = wsgi.member(wsgi.json_body(request), 'floatingip')
        with self.store.lock:
            fip = self.store.get('floatingips', ident, project,
                                 error_kind='FloatingIPNotFound')
            if 'port_id' in body:
                self._associate(fip, body['port_id'], project)
            return 200, {'floatingip': _view(fip)}

    def delete_floatingip(self, request, ident):
        with self.store.lock:
            self.store.get('floatingips', ident, wsgi.project_of(request),
                           error_kind='FloatingIPNotFound')
            self.store.remove('floatingips', ident)
        return 204, None


def _not_found_kind(kind):
    return {'networks': 'NetworkNotFound', 'subnets': 'SubnetNotFound',
            'ports': 'PortNotFound',
            'security_group_rules': 'SecurityGroupRuleNotFound',
            'floatingips': 'FloatingIPNotFound'}.get(kind, 'NotFound')


def _mac(address):
    """A MAC address derived from the fixed IP (unique with it)."""
    octets = [int(part) for part in address.split('.')]
    return 'fa:16:3e:%02x:%02x:%02x' % tuple(octets[1:])
