"""Who may reach an instance's datastore: upstream's ``access``.

An instance's ``access`` is ``{"is_public": bool, "allowed_cidrs": [...]}``
(``openstack database instance create/update --is-public|--is-private
--allowed-cidr X``). It is stored as the request gave it and shown as
stored; what it means is read here, once, for every layer:

- ``is_public`` (False when absent): whether the datastore is reachable
  from outside the instance's private network (upstream: a floating
  address on the public network);
- ``allowed_cidrs`` (every address when absent or empty): the only
  source networks that reach its service ports (upstream: the rules of
  the instance's security group).

The compute driver enforces it (``compute.base.AccessSpec``); a create
applies it with the server, an update through the taskmanager's
``update_access`` workflow.
"""

import collections
import ipaddress
import json

from trove_lite.common import exception

# What an access means once the defaults are applied.
Access = collections.namedtuple('Access', 'is_public allowed_cidrs')

#: An instance created without ``access``: private, every source network.
DEFAULT = Access(is_public=False, allowed_cidrs=())


def check_cidrs(cidrs):
    """Refuse a CIDR that is not an IPv4 network (the schema checked its
    shape; this checks its values: ``300.1.1.1``, ``10.0.0.0/33``).

    An address with host bits set (``10.1.2.3/8``) is accepted and means
    its network, as Neutron's ``remote_ip_prefix`` does.

    :raises BadRequest: naming the first bad one (400).
    """
    for cidr in cidrs or ():
        try:
            ipaddress.IPv4Network(cidr, strict=False)
        except (ValueError, TypeError):
            raise exception.BadRequest(
                'Invalid allowed_cidrs value %r: use an IPv4 address or '
                'network such as 192.0.2.0/24.' % (cidr,))


def effective(access):
    """The ``Access`` a stored or requested access dict means.

    :param access: the dict (or None: the default).
    :returns: an ``Access`` whose ``allowed_cidrs`` are normalized network
        strings (``10.0.0.0/8``), in the order given, without repeats.
    """
    if not access:
        return DEFAULT
    cidrs = []
    for cidr in access.get('allowed_cidrs') or ():
        network = str(ipaddress.IPv4Network(cidr, strict=False))
        if network not in cidrs:
            cidrs.append(network)
    return Access(is_public=bool(access.get('is_public', False)),
                  allowed_cidrs=tuple(cidrs))


def load(stored):
    """The access dict stored on an instance row (``instances.access``,
    JSON text), or None when it has none.
    """
    return json.loads(stored) if stored else None


def dump(access):
    """The text stored for an access dict (None for none)."""
    return json.dumps(access) if access else None
