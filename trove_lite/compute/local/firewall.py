"""Who reaches a local instance: its ``access`` as packet filtering.

A local instance listens on a loopback address of its own, so the only
way to tell one client from another is its source address, and the
kernel's packet filter is what can refuse it before the datastore ever
sees it (as a cloud's security group does). Every rule trove_lite makes
lives in a table of its own, ``inet trove_lite``, which nothing else
touches and trove_lite touches nothing else in:

- one base chain per instance address (``addr-127-77-0-1``), hooked on
  ``input``, whose rules match only packets to that address and the
  datastore's TCP ports, so an instance's rules never reach another's
  traffic, nor anything that is not an instance's;
- the chain is named after the address, not the instance: an address is
  one instance's at a time (``local_servers``), and the rules of an
  instance whose deployment vanished without deleting it are replaced
  by those of the next instance given its address, never left to refuse
  that one's clients;
- every change is one ``nft -f`` transaction, so a chain is always
  wholly the old rules or wholly the new ones.

What ``access`` means here (``[local] private_cidrs``):

- the *private network* is this host itself (``127.0.0.1``: the control
  plane, the guest agents, a client on this host that picks no source
  address) and the instances' own addresses (``[local] address_range``:
  replication between instances). It always gets through, as upstream's
  management network is outside ``access``;
- ``is_public`` false: nobody else does;
- ``is_public`` true: any other source address gets through when it is in
  ``allowed_cidrs`` (every address when that is empty).

Packet filtering needs ``nft`` (Debian's ``nftables``) and root (or
CAP_NET_ADMIN). ``[local] access_enforcement = auto`` uses it when it can
and otherwise says once, in the log, that access is not enforced.
"""

import ipaddress
import shutil
import subprocess
import threading

from oslo_config import cfg
from oslo_log import log as logging

from trove_lite.compute import base

LOG = logging.getLogger(__name__)

FAMILY = 'inet'
TABLE = 'trove_lite'
# NOTE(firewall): the filter priority of the input hook; an accept here
# does not bypass anyone else's chains, and a reject is only ever for an
# instance's own address and ports.
PRIORITY = 0
# Where nft is when the PATH of a non-root user leaves sbin out.
SBIN = '/usr/local/sbin:/usr/sbin:/sbin'


class FirewallError(base.ComputeError):
    message = 'The packet filter refused the rules: %(reason)s'


def chain_name(address):
    """The chain of the instance at ``address`` (``addr-127-77-0-1``)."""
    return 'addr-%s' % str(ipaddress.IPv4Address(address)).replace('.', '-')


def private_networks():
    """This host's private network: ``[local] private_cidrs`` and the
    instances' own ``address_range``, collapsed (as strings).
    """
    networks = [ipaddress.IPv4Network(cidr, strict=False)
                for cidr in cfg.CONF.local.private_cidrs]
    networks.append(ipaddress.IPv4Network(cfg.CONF.local.address_range,
                                          strict=False))
    return _collapsed(networks)


def _collapsed(networks):
    return [str(network) for network in ipaddress.collapse_addresses(
        ipaddress.IPv4Network(n, strict=False) for n in networks)]


def _set(items):
    return '{ %s }' % ', '.join(str(item) for item in items)


def _quoted(text):
    return '"%s"' % text.replace('"', "'")


def rules(address, access, private):
    """The rules of the instance at ``address`` for ``access`` (an
    ``AccessSpec``), in order; none when every source gets through.

    :param private: the private network's CIDRs (``private_networks``).
    """
    match = 'ip daddr %s' % ipaddress.IPv4Address(address)
    if access.ports:
        match += ' tcp dport %s' % _set(sorted(set(access.ports)))
    else:
        match += ' meta l4proto tcp'
    if access.is_public and not access.allowed_cidrs:
        return []
    found = [('%s ip saddr %s accept' % (match, _set(private)),
              'private network')]
    if access.is_public:
        found.append(('%s ip saddr %s accept' % (
            match, _set(_collapsed(access.allowed_cidrs))),
            'allowed_cidrs'))
    found.append(('%s reject with tcp reset' % match, 'everyone else'))
    return found


def apply_script(address, access, private, owner):
    """The ``nft -f`` transaction that makes the chain of ``address`` hold
    exactly the rules of ``access`` (made if missing, emptied first).

    :param owner: who the rules are for (the instance id), a comment.
    """
    chain = chain_name(address)
    lines = _chain_lines(chain) + ['flush chain %s %s %s'
                                   % (FAMILY, TABLE, chain)]
    for rule, why in rules(address, access, private):
        lines.append('add rule %s %s %s %s comment %s' % (
            FAMILY, TABLE, chain, rule,
            _quoted('instance %s: %s' % (owner, why))))
    return '\n'.join(lines) + '\n'


def remove_script(address):
    """The transaction that removes the chain of ``address`` (made first,
    so that removing what is gone already is not an error).
    """
    chain = chain_name(address)
    return '\n'.join(_chain_lines(chain) + [
        'flush chain %s %s %s' % (FAMILY, TABLE, chain),
        'delete chain %s %s %s' % (FAMILY, TABLE, chain)]) + '\n'


def _chain_lines(chain):
    return ['add table %s %s' % (FAMILY, TABLE),
            'add chain %s %s %s { type filter hook input priority %d ; '
            'policy accept ; }' % (FAMILY, TABLE, chain, PRIORITY)]


def run_nft(script, args=('-f', '-')):
    """Run ``nft`` with ``script`` on its stdin.

    :returns: its stdout.
    :raises FirewallError: nft is missing or refused.
    """
    command = shutil.which('nft') or shutil.which('nft', path=SBIN)
    if command is None:
        raise FirewallError(reason='nft is not installed (Debian package '
                                   'nftables)')
    try:
        done = subprocess.run([command] + list(args), input=script,
                              capture_output=True, text=True, timeout=60,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise FirewallError(reason=str(err))
    if done.returncode != 0:
        raise FirewallError(reason=(done.stderr or done.stdout).strip())
    return done.stdout


class NftablesFirewall:
    """Access of local instances as nftables rules.

    :param run: ``run(script, args)`` runs nft (``run_nft``); a unit test
        gives one that records.
    """

    enforced = True

    def __init__(self, run=None):
        self._run = run or run_nft

    def usable(self):
        """Whether nft runs here with the rights it needs.

        :returns: None when it does, else why not.
        """
        try:
            self._run('', ('list', 'tables'))
        except FirewallError as err:
            return str(err)
        return None

    def apply(self, address, access, owner):
        """Enforce ``access`` (an ``AccessSpec``) for ``address``.

        :raises FirewallError: the rules could not be applied; the old
            ones stay in force.
        """
        self._run(apply_script(address, access, private_networks(), owner))
        LOG.info('Access of instance %s at %s: %s', owner, address,
                 describe(access))

    def remove(self, address):
        """Remove the rules of ``address``; none is fine.

        :raises FirewallError: they could not be removed.
        """
        self._run(remove_script(address))


class NoFirewall:
    """Access stored and shown but not enforced (``access_enforcement =
    none``, or ``auto`` where nft cannot run).
    """

    enforced = False

    def __init__(self, reason):
        self.reason = reason
        self._warned = False
        self._lock = threading.Lock()

    def apply(self, address, access, owner):
        with self._lock:
            warn, self._warned = not self._warned, True
        if warn:
            LOG.warning('The access of local instances is not enforced '
                        '(%s): every source address reaches them',
                        self.reason)

    def remove(self, address):
        pass


def describe(access):
    """``access`` in a few words, for the log."""
    if not access.is_public:
        return 'private'
    if not access.allowed_cidrs:
        return 'public, every source'
    return 'public, from %s' % ', '.join(access.allowed_cidrs)


def load(mode=None, run=None):
    """The firewall ``[local] access_enforcement`` asks for.

    :raises FirewallError: ``nftables`` was asked for and nft cannot run.
    """
    mode = mode or cfg.CONF.local.access_enforcement
    if mode == 'none':
        return NoFirewall('[local] access_enforcement = none')
    firewall = NftablesFirewall(run=run)
    why_not = firewall.usable()
    if why_not is None:
        return firewall
    if mode == 'nftables':
        raise FirewallError(reason=why_not)
    return NoFirewall('nft cannot run here: %s' % why_not)
