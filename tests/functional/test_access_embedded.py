"""Who may reach an instance, enforced on real servers (issue 17).

``trove-lite-all`` (embedded, the local compute driver) runs a real
``mariadbd`` and ``redis-server``; their access (``--is-public``,
``--is-private``, ``--allowed-cidr``) is set with the real ``openstack``
CLI, and real clients connect from chosen source addresses of this
host's loopback (``127.0.0.2``, ``127.0.0.3``: "other machines"; the
instances' own ``127.x`` range and ``127.0.0.1`` are its private
network). A client outside the access is refused by the kernel's packet
filter (nftables table ``inet trove_lite``) before the server sees it;
one inside logs in and runs a statement.
"""

import socket
import subprocess

import pymysql
import pytest

from tests.functional import embedded as embedded_shape
from tests.functional.embedded import cli
from tests.functional.embedded import run_cli
from tests import waiting
from trove_lite.compute.local import firewall

USER, PASSWORD, DATABASE = 'shop', 'shop-pw-1', 'shop'
INSIDE, OUTSIDE = '127.0.0.2', '127.0.0.3'
HOST = '127.0.0.1'


@pytest.fixture(scope='module')
def service():
    # NOTE(firewall): the functional tests run as root on a kernel with
    # nftables; a host where nft cannot run fails here (no skip).
    firewall.run_nft('', ('list', 'tables'))
    with embedded_shape.start({
            'local': {'access_enforcement': 'nftables'}},
            report_interval=1) as running:
        yield running


def create(service, name, datastore, *extra):
    args = ['database', 'instance', 'create', name, '--flavor', 'm1.tiny',
            '--size', '1', '--datastore', datastore] + list(extra)
    if datastore != 'redis':
        args += ['--databases', DATABASE, '--users',
                 '%s:%s' % (USER, PASSWORD)]
    created = cli(service, *args)
    shown = embedded_shape.wait_for(service, created['id'], ['ACTIVE'],
                                    deadline=240)
    return created, shown


def update_access(service, instance_id, *flags):
    """``openstack database instance update`` with access flags; returns
    the instance once it shows the new access (the change is recorded
    once it is enforced).
    """
    before = embedded_shape.shown(service, instance_id)['access']
    cli(service, 'database', 'instance', 'update', instance_id, *flags,
        parse=False)
    assert waiting.wait_for(
        lambda: embedded_shape.shown(service, instance_id)['access']
        != before, timeout=60), service.process.log()
    shown = embedded_shape.shown(service, instance_id)
    assert shown['status'] == 'ACTIVE', shown
    return shown


def mysql_from(source, address):
    """``SELECT 1`` as the tenant's user from ``source``: 1, or the
    error that refused it.
    """
    try:
        with pymysql.connect(host=address, port=3306, user=USER,
                             password=PASSWORD, database=DATABASE,
                             bind_address=source,
                             connect_timeout=10) as conn:
            with conn.cursor() as cursor:
                cursor.execute('SELECT 1')
                return cursor.fetchone()[0]
    except pymysql.err.OperationalError as err:
        return err


def refused_by_the_filter(outcome):
    """Whether the connection was refused (a TCP reset at connect: the
    packet filter; a server that saw the client would answer with an
    access-denied error instead).
    """
    return (isinstance(outcome, pymysql.err.OperationalError)
            and outcome.args[0] == 2003
            and 'Connection refused' in str(outcome.args[1]))


def redis_from(source, address, password):
    """``AUTH`` and ``PING`` over RESP from ``source``: the server's
    replies, or the ``OSError`` of a refused connection.
    """
    try:
        with socket.create_connection((address, 6379), timeout=10,
                                      source_address=(source, 0)) as sock:
            sock.sendall(b'*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n'
                         b'*1\r\n$4\r\nPING\r\n'
                         % (len(password), password.encode()))
            replies = b''
            while replies.count(b'\r\n') < 2:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                replies += chunk
            return replies.decode().split()
    except OSError as err:
        return err


def chain_of(shown):
    """The nftables chain of the instance's address, or None."""
    listed = subprocess.run(
        ['nft', 'list', 'chain', 'inet', 'trove_lite',
         firewall.chain_name(shown['ip'][0])],
        capture_output=True, text=True, timeout=30)
    return listed.stdout if listed.returncode == 0 else None


def test_mariadb_access_is_enforced_and_changed(service):
    created, shown = create(service, 'acl-db', 'mysql', '--is-public',
                            '--allowed-cidr', INSIDE + '/32')
    address = shown['ip'][0]
    try:
        assert shown['access'] == {'is_public': True,
                                   'allowed_cidrs': [INSIDE + '/32']}
        detail = cli(service, 'database', 'instance', 'show', shown['id'])
        assert detail['public'] is True
        assert detail['allowed_cidrs'] == [INSIDE + '/32']
        assert mysql_from(INSIDE, address) == 1
        assert refused_by_the_filter(mysql_from(OUTSIDE, address))
        # This host (the private network) always gets through.
        assert mysql_from(HOST, address) == 1
        rules = chain_of(shown)
        assert 'instance %s' % shown['id'] in rules
        assert 'tcp dport 3306' in rules

        # Upstream's CLI: the other address instead.
        shown = update_access(service, shown['id'], '--is-public',
                              '--allowed-cidr', OUTSIDE + '/32')
        assert shown['access'] == {'is_public': True,
                                   'allowed_cidrs': [OUTSIDE + '/32']}
        assert mysql_from(OUTSIDE, address) == 1
        assert refused_by_the_filter(mysql_from(INSIDE, address))

        # Private: only this host's private network.
        shown = update_access(service, shown['id'], '--is-private')
        assert shown['access'] == {'is_public': False}
        assert cli(service, 'database', 'instance', 'show', shown['id'])[
            'public'] is False
        for source in (INSIDE, OUTSIDE):
            assert refused_by_the_filter(mysql_from(source, address))
        assert mysql_from(HOST, address) == 1

        # A bad network is upstream's 400, and changes nothing.
        result = run_cli(service, 'database', 'instance', 'update',
                         shown['id'], '--is-public', '--allowed-cidr',
                         '127.0.0.300/32')
        assert result.returncode == 1
        assert 'HTTP 400' in result.stderr, result.stderr
        assert embedded_shape.shown(service, shown['id'])['access'] == {
            'is_public': False}
        assert refused_by_the_filter(mysql_from(INSIDE, address))

        # Public to every source: nothing filtered.
        update_access(service, shown['id'], '--is-public')
        for source in (INSIDE, OUTSIDE, HOST):
            assert mysql_from(source, address) == 1
    finally:
        cli(service, 'database', 'instance', 'delete', created['id'],
            parse=False)
        embedded_shape.wait_until_gone(service, created['id'])
    assert chain_of(shown) is None


def test_redis_access_is_enforced_and_changed(service):
    created, shown = create(service, 'acl-redis', 'redis', '--is-public',
                            '--allowed-cidr', INSIDE + '/32')
    address, password = shown['ip'][0], created['password']
    try:
        assert redis_from(INSIDE, address, password) == ['+OK', '+PONG']
        assert isinstance(redis_from(OUTSIDE, address, password),
                          ConnectionRefusedError)
        update_access(service, shown['id'], '--is-public', '--allowed-cidr',
                      '127.0.0.0/30')
        # 127.0.0.0/30 holds both.
        for source in (INSIDE, OUTSIDE):
            assert redis_from(source, address, password) == ['+OK',
                                                             '+PONG']
        update_access(service, shown['id'], '--is-private')
        assert isinstance(redis_from(INSIDE, address, password),
                          ConnectionRefusedError)
        assert redis_from(HOST, address, password) == ['+OK', '+PONG']
    finally:
        cli(service, 'database', 'instance', 'delete', created['id'],
            parse=False)
        embedded_shape.wait_until_gone(service, created['id'])
    assert chain_of(shown) is None


def test_a_restart_restores_rules_the_host_lost(service):
    """Packet filters do not outlive a reboot of the host; a restarted
    trove-lite-all adopts its instances and applies their access again.
    """
    created, shown = create(service, 'acl-reboot', 'mysql', '--is-public',
                            '--allowed-cidr', INSIDE + '/32')
    address = shown['ip'][0]
    try:
        assert refused_by_the_filter(mysql_from(OUTSIDE, address))
        # What a reboot does to the kernel's rules.
        subprocess.run(['nft', 'delete', 'chain', 'inet', 'trove_lite',
                        firewall.chain_name(address)], check=True,
                       timeout=30)
        assert mysql_from(OUTSIDE, address) == 1
        service.crash_and_start()
        assert waiting.wait_for(lambda: chain_of(shown) is not None,
                                timeout=60), service.process.log()
        assert refused_by_the_filter(mysql_from(OUTSIDE, address))
        assert mysql_from(INSIDE, address) == 1
    finally:
        cli(service, 'database', 'instance', 'delete', created['id'],
            parse=False)
        embedded_shape.wait_until_gone(service, created['id'])
    assert chain_of(shown) is None
