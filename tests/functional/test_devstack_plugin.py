"""The devstack plugin's phases, run as devstack runs them.

``devstack/plugin.sh`` is sourced by bash for ``stack install``, ``stack
post-config``, ``stack extra``, ``unstack`` and ``clean``, after
``devstack/settings``, on top of ``tests/functional/devstack/functions-stub``:
devstack's functions under their own names, acting on this machine's real
services (MariaDB, a Keystone of the test's own through the ``openstack``
CLI, trove-lite-manage). What needs systemd, Neutron or Glance is not
here: ``run_process`` and ``wait_for_service`` are recorded, the
management network and image upload phases are off (``neutron`` and
``glance`` are not enabled), and uWSGI is not installed, so the test loads
the uWSGI file's WSGI module with the environment the file gives it and
serves it itself.
"""

import configparser
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import uuid

import pymysql
import pytest
import requests

from tests.functional import conftest
from tests.functional import fixtures
from tests.functional import keystone

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
STUB = REPO_ROOT / 'tests' / 'functional' / 'devstack' / 'functions-stub'
API_WORKERS = 3
SERVICE_PASSWORD = 'devstack-service-secret'
PHASES = (('stack', 'install'), ('stack', 'post-config'), ('stack', 'extra'),
          ('unstack', ''))


def _uwsgi_placeholder(state):
    """A ``uwsgi`` on PATH for the plugin's ``$(which uwsgi)``: devstack
    installs uWSGI, this machine has none, and the stub's ``run_process``
    never runs it.
    """
    path = state / 'bin' / 'uwsgi'
    path.parent.mkdir()
    path.write_text('#!/bin/sh\necho "uWSGI is not installed here" >&2\n'
                    'exit 1\n')
    path.chmod(0o755)
    return path


def _environment(state, identity, db_name, api_port):
    env = dict(os.environ)
    bin_dir = os.path.dirname(sys.executable)
    env.update({
        'PATH': os.pathsep.join([str(state / 'bin'), bin_dir,
                                 env.get('PATH', '')]),
        'STUB_LOG': str(state / 'calls.log'),
        'STUB_BIN_DIR': bin_dir,
        'STUB_DB_HOST': '127.0.0.1',
        'ENABLED_SERVICES': 'key,mysql,rabbit,keystone',
        # devstack's own variables that the plugin reads.
        'DEST': str(state / 'opt'),
        'DATA_DIR': str(state / 'data'),
        'STACK_USER': subprocess.run(['id', '-un'], capture_output=True,
                                     text=True, check=True).stdout.strip(),
        'SERVICE_HOST': '127.0.0.1',
        'SERVICE_LISTEN_ADDRESS': '127.0.0.1',
        'SERVICE_PROTOCOL': 'http',
        'SERVICE_PASSWORD': SERVICE_PASSWORD,
        'SERVICE_PROJECT_NAME': 'service',
        'SERVICE_DOMAIN_NAME': 'Default',
        'KEYSTONE_SERVICE_URI': identity.url,
        'SERVICE_TIMEOUT': '60',
        'REGION_NAME': keystone.REGION,
        'API_WORKERS': str(API_WORKERS),
        'ENABLE_DEBUG_LOG_LEVEL': 'True',
        'RABBIT_USERID': 'guest',
        'RABBIT_PASSWORD': 'guest',
        # The plugin's settings, where a test must not use the defaults.
        'TROVE_LITE_DIR': str(REPO_ROOT),
        'TROVE_LITE_CONF_DIR': str(state / 'etc'),
        'TROVE_LITE_SERVICE_PORT': str(api_port),
        'TROVE_LITE_DB_NAME': db_name,
        # The Keystone admin, for the openstack CLI.
        'OS_AUTH_URL': identity.url,
        'OS_IDENTITY_API_VERSION': '3',
        'OS_USERNAME': 'admin',
        'OS_PASSWORD': keystone.ADMIN_PASSWORD,
        'OS_PROJECT_NAME': 'admin',
        'OS_USER_DOMAIN_NAME': 'Default',
        'OS_PROJECT_DOMAIN_NAME': 'Default',
        'OS_REGION_NAME': keystone.REGION,
    })
    return env


def _run_phases(env, phases):
    """Source settings then plugin.sh once per phase in one bash, as
    stack.sh does (errexit on); returns the CompletedProcess.
    """
    lines = ['set -o errexit', 'source %s' % STUB,
             'source "$TROVE_LITE_DIR/devstack/settings"']
    for mode, phase in phases:
        lines.append('source "$TROVE_LITE_DIR/devstack/plugin.sh" %s %s'
                     % (mode, phase))
    return subprocess.run(['bash', '-c', '\n'.join(lines)], env=env,
                          capture_output=True, text=True, timeout=600,
                          stdin=subprocess.DEVNULL, cwd=REPO_ROOT)


def _drop_database(name):
    conn = pymysql.connect(host='127.0.0.1', user='root', autocommit=True)
    try:
        with conn.cursor() as cursor:
            cursor.execute('DROP DATABASE IF EXISTS `%s`' % name)
    finally:
        conn.close()


@pytest.fixture(scope='module')
def stacked():
    """A Keystone with a service project, and every phase of the plugin
    run against it; yields ``(env, result, identity)``.
    """
    state = pathlib.Path(tempfile.mkdtemp(prefix='tl-devstack-'))
    db_name = 'tl_devstack_%s' % uuid.uuid4().hex[:10]
    try:
        with keystone.start() as identity:
            identity.create_project('service')
            _uwsgi_placeholder(state)
            env = _environment(state, identity, db_name,
                               fixtures.free_port())
            result = _run_phases(env, PHASES)
            yield env, result, identity
    finally:
        _drop_database(db_name)
        shutil.rmtree(state, ignore_errors=True)


def _calls(env):
    with open(env['STUB_LOG']) as handle:
        return [line.rstrip('\n').split('\t') for line in handle]


def _ini(path):
    config = configparser.ConfigParser(interpolation=None)
    config.optionxform = str
    assert config.read(path), path
    return config


def _ok(result):
    assert result.returncode == 0, (result.stdout[-4000:],
                                    result.stderr[-8000:])


def test_infra_database_created_at_schema_head(stacked):
    env, result, _ = stacked
    _ok(result)
    conf = os.path.join(env['TROVE_LITE_CONF_DIR'], 'trove-lite.conf')
    assert env['TROVE_LITE_DB_NAME'] in _ini(conf)['database']['connection']
    again = conftest.run_script('trove-lite-manage', '--config-file', conf,
                                'db_sync')
    assert 'already at revision' in again.stdout, again.stdout
    assert '(head)' in again.stdout


def test_keystone_has_service_endpoint_and_user(stacked):
    env, result, identity = stacked
    _ok(result)
    token, body = identity.token('trove-lite', SERVICE_PASSWORD, 'service')
    assert token
    assert 'admin' in [role['name'] for role in body['roles']]
    catalog = {entry['type']: entry for entry in body['catalog']}
    database = catalog['database']
    assert database['name'] == 'trove-lite'
    # Keystone fills the endpoint's $(project_id)s in with the token's.
    assert [(e['interface'], e['url']) for e in database['endpoints']] == [
        ('public', 'http://127.0.0.1:%s/v1.0/%s'
         % (env['TROVE_LITE_SERVICE_PORT'], body['project']['id']))]


def test_the_nova_drivers_credentials_get_a_token(stacked):
    """The [service_credentials] the plugin wrote authenticate against the
    real Keystone as the service user, scoped to the service project that
    owns every instance's server (what the nova driver's session does).
    """
    env, result, identity = stacked
    _ok(result)
    conf = os.path.join(env['TROVE_LITE_CONF_DIR'], 'trove-lite.conf')
    assert _ini(conf)['DEFAULT']['compute_driver'] == 'nova'
    check = subprocess.run(
        [sys.executable, '-c', CREDENTIALS_CHECK, conf], capture_output=True,
        text=True, timeout=120)
    assert check.returncode == 0, check.stderr[-4000:]
    project_id, region = check.stdout.split()
    assert project_id == identity.token('trove-lite', SERVICE_PASSWORD,
                                        'service')[1]['project']['id']
    assert region == keystone.REGION


# Loads the session as trove_lite.compute.nova.clients does.
CREDENTIALS_CHECK = """
import sys
from trove_lite import conf
from trove_lite.compute.nova import clients
conf.CONF(['--config-file', sys.argv[1]], project='trove-lite',
          default_config_files=[])
session = clients.Clients().session
print(session.get_project_id(), conf.CONF.service_credentials.region_name)
"""


def test_datastores_registered_with_image_tags(stacked):
    env, result, _ = stacked
    _ok(result)
    conn = pymysql.connect(host='127.0.0.1', user='root',
                           database=env['TROVE_LITE_DB_NAME'])
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                'SELECT d.name, v.name, v.manager, v.active, v.image_tags, '
                'd.default_version_id = v.id FROM datastores d JOIN '
                'datastore_versions v ON v.datastore_id = d.id '
                'ORDER BY d.name')
            rows = cursor.fetchall()
            cursor.execute(
                'SELECT COUNT(*) FROM datastore_configuration_parameters')
            parameters = cursor.fetchone()[0]
    finally:
        conn.close()
    assert [row[:4] + (row[5],) for row in rows] == [
        ('mariadb', '10.11', 'mariadb', 1, 1),
        ('postgresql', '16', 'postgresql', 1, 1)]
    assert ['trove' in row[4] and row[0] in row[4] for row in rows] == [
        True, True]
    assert parameters > 0


def test_services_started_and_stopped(stacked):
    env, result, _ = stacked
    _ok(result)
    bin_dir = env['STUB_BIN_DIR']
    conf = os.path.join(env['TROVE_LITE_CONF_DIR'], 'trove-lite.conf')
    uwsgi_conf = os.path.join(env['TROVE_LITE_CONF_DIR'],
                              'trove-lite-api-uwsgi.ini')
    calls = _calls(env)
    assert calls[0] == ['setup_develop', str(REPO_ROOT)]
    runs = [call[1:] for call in calls if call[0] == 'run_process']
    assert [name for name, _ in runs] == ['tl-api', 'tl-tmgr', 'tl-cond']
    commands = dict(runs)
    assert commands['tl-api'] == (
        '%s/bin/uwsgi --procname-prefix trove-lite-api --ini %s'
        % (os.path.dirname(env['DATA_DIR']), uwsgi_conf))
    assert commands['tl-tmgr'] == (
        '%s/trove-lite-taskmanager --config-file %s' % (bin_dir, conf))
    assert commands['tl-cond'] == (
        '%s/trove-lite-conductor --config-file %s' % (bin_dir, conf))
    assert ['wait_for_service', '60', 'http://127.0.0.1:%s/'
            % env['TROVE_LITE_SERVICE_PORT']] in calls
    assert [call[1] for call in calls if call[0] == 'stop_process'] == [
        'tl-api', 'tl-tmgr', 'tl-cond']


def test_uwsgi_file_runs_the_api_with_api_workers(stacked, monkeypatch):
    env, result, identity = stacked
    _ok(result)
    uwsgi = _ini(os.path.join(env['TROVE_LITE_CONF_DIR'],
                              'trove-lite-api-uwsgi.ini'))['uwsgi']
    assert uwsgi['processes'] == str(API_WORKERS)
    assert uwsgi['http'] == '127.0.0.1:%s' % env['TROVE_LITE_SERVICE_PORT']
    assert uwsgi['module'] == 'trove_lite.wsgi.api:application'
    conf = _ini(os.path.join(env['TROVE_LITE_CONF_DIR'], 'trove-lite.conf'))
    assert conf['DEFAULT']['trove_api_workers'] == str(API_WORKERS)
    assert len(conf['DEFAULT']['inst_rpc_key_encr_key']) == 64
    # NOTE(uwsgi): what uWSGI would do with the file: set its env, import
    # the module, serve ``application`` on the http address.
    name, value = uwsgi['env'].split('=', 1)
    module, attribute = uwsgi['module'].split(':')
    monkeypatch.setenv(name, value)
    host, port = uwsgi['http'].rsplit(':', 1)
    code = ('import importlib, sys\n'
            'from trove_lite.common import http_server\n'
            'app = getattr(importlib.import_module(sys.argv[1]), sys.argv[2])\n'
            'http_server.WSGIServer(app, sys.argv[3], int(sys.argv[4]))'
            '.start().wait()\n')
    log = pathlib.Path(env['DATA_DIR']) / 'api.log'
    process = conftest.Process('trove-lite-api', [module, attribute, host,
                                                  port], log,
                               command=[sys.executable, '-c', code])
    try:
        base = 'http://%s:%s' % (host, port)
        conftest.wait_for_http(base + '/', process)
        token, body = identity.token('trove-lite', SERVICE_PASSWORD,
                                     'service')
        response = requests.get(
            '%s/v1.0/%s/datastores' % (base, body['project']['id']),
            headers={'X-Auth-Token': token}, timeout=30)
        assert response.status_code == 200, (response.text, process.log())
        assert sorted(d['name'] for d in response.json()['datastores']) == [
            'mariadb', 'postgresql']
        # The README's other way to register an image's version: the
        # management API through the catalog's endpoint, as the service
        # user (an admin).
        cli_env = dict(env, OS_USERNAME='trove-lite',
                       OS_PASSWORD=SERVICE_PASSWORD,
                       OS_PROJECT_NAME='service')
        created = subprocess.run(
            ['openstack', 'datastore', 'version', 'create', '7.2', 'redis',
             'redis', '', '--image-tags', 'trove,redis', '--active',
             '--default'], env=cli_env, capture_output=True, text=True,
            timeout=120, stdin=subprocess.DEVNULL)
        assert created.returncode == 0, created.stdout + created.stderr
        listed = requests.get(
            '%s/v1.0/%s/datastores/redis/versions' % (
                base, body['project']['id']),
            headers={'X-Auth-Token': token}, timeout=30)
        assert [v['name'] for v in listed.json()['versions']] == ['7.2']
    finally:
        process.stop()


def test_clean_removes_config(stacked):
    env, result, _ = stacked
    _ok(result)
    cleaned = _run_phases(env, [('clean', '')])
    _ok(cleaned)
    assert not os.path.exists(env['TROVE_LITE_CONF_DIR'])
    assert not os.path.exists(os.path.join(env['DATA_DIR'], 'trove-lite'))
