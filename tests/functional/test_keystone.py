"""trove-lite-all behind a real Keystone, driven by a real openrc.

Keystone (``tests/functional/keystone.py``) holds a ``service`` project
with the ``trove`` service user, a ``demo`` project with a member and a
reader and an admin, a second project ``other`` with a member, and the
``database`` service whose endpoint is ``/v1.0/%(tenant_id)s`` on the API.
The API runs with ``auth_strategy = keystone`` and a
``[keystone_authtoken]`` section, and the fake compute driver (no hosts, no
database servers; the ``fake`` datastore keeps databases and users in
memory, and its backups are that state, streamed by the ``fake`` strategy
into the API's local storage). The ``openstack`` CLI gets nothing but an
openrc: it finds the API through the catalog. The persona tests try every
route as each role, an admin of another project included
(``tests/functional/personas.py``).
"""

import datetime
import json
import os
import subprocess
import time

import pytest
import requests

from tests.functional import conftest
from tests.functional import keystone
from tests.functional import personas
from tests import waiting
from trove_lite.api import router

PASSWORD = keystone.USER_PASSWORD
# NOTE(expiry): short enough that a token taken when the API starts has
# expired when the last test runs, long enough for any one CLI command.
TOKEN_EXPIRATION = 30


@pytest.fixture(scope='module')
def cloud(shared_services):
    result = keystone.shared_cloud(shared_services, TOKEN_EXPIRATION)
    _register_fake_datastore(result)
    # A token the API accepts (and caches) now, for
    # test_expired_token_is_401.
    result.early_token = result.identity.token('demo-member', PASSWORD,
                                               'demo')
    resp = requests.get(result.url('demo', '/instances'), timeout=10,
                        headers={'X-Auth-Token': result.early_token[0]})
    assert resp.status_code == 200, resp.text
    return result


def _register_fake_datastore(cloud):
    # NOTE(speed): one management call instead of three trove-lite-manage
    # runs (seconds each).
    admin = personas.Caller(cloud, 'trove', 'service')
    personas.assert_status(admin('POST', '/mgmt/datastore-versions', {
        'version': {'datastore_name': 'fake', 'name': '1.0',
                    'datastore_manager': 'fake', 'active': True,
                    'default': True}}), 202)
    [version] = [v['id'] for v in admin(
        'GET', '/mgmt/datastore-versions').json()['versions']
        if (v['datastore_name'], v['name']) == ('fake', '1.0')]
    # The rule the persona tables read (and the management ones change).
    rule = personas.PARAMETERS % version + '/max_connections'
    if admin('GET', rule).status_code == 404:
        personas.assert_status(admin('POST', personas.PARAMETERS % version,
                                     personas.PARAMETER), 200)


def openrc(cloud, user, project):
    """The environment ``source openrc`` gives: no endpoint override."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith('OS_')}
    env.update({'OS_AUTH_URL': cloud.identity.url,
                'OS_IDENTITY_API_VERSION': '3',
                'OS_USERNAME': user, 'OS_PASSWORD': PASSWORD,
                'OS_PROJECT_NAME': project,
                'OS_USER_DOMAIN_NAME': 'Default',
                'OS_PROJECT_DOMAIN_NAME': 'Default',
                'OS_REGION_NAME': keystone.REGION})
    return env


def run_cli(cloud, user, project, *args):
    return subprocess.run(
        [os.path.join(conftest.BIN_DIR, 'openstack')] + list(args),
        capture_output=True, text=True, timeout=120,
        stdin=subprocess.DEVNULL, env=openrc(cloud, user, project))


def cli(cloud, user, project, *args):
    result = run_cli(cloud, user, project, *(list(args) + ['-f', 'json']))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _assert_unauthorized(resp):
    assert resp.status_code == 401, resp.text
    assert list(resp.json()) == ['unauthorized'], resp.text
    assert resp.json()['unauthorized']['code'] == 401


def test_missing_token_is_401(cloud):
    resp = requests.get(cloud.url('demo', '/instances'), timeout=10)
    _assert_unauthorized(resp)
    assert cloud.identity.url in resp.headers['WWW-Authenticate']


def test_invalid_token_is_401(cloud):
    resp = requests.get(cloud.url('demo', '/instances'), timeout=10,
                        headers={'X-Auth-Token': 'not-a-token'})
    _assert_unauthorized(resp)


def test_token_of_another_project_is_403(cloud):
    token = cloud.token('other-member', 'other')
    resp = requests.get(cloud.url('demo', '/instances'), timeout=10,
                        headers={'X-Auth-Token': token})
    assert resp.status_code == 403, resp.text
    assert list(resp.json()) == ['forbidden'], resp.text
    fault = resp.json()['forbidden']
    assert fault['code'] == 403
    assert cloud.projects['other'] in fault['message']


def test_valid_token_of_the_url_project_is_accepted(cloud):
    for user in ('demo-member', 'demo-reader'):
        resp = requests.get(cloud.url('demo', '/instances'), timeout=10,
                            headers={'X-Auth-Token': cloud.token(user,
                                                                 'demo')})
        assert resp.status_code == 200, resp.text


def test_cli_lists_through_the_catalog(cloud):
    stores = cli(cloud, 'demo-member', 'demo', 'datastore', 'list')
    assert 'mysql' in {store['Name'] for store in stores}
    flavors = cli(cloud, 'demo-member', 'demo', 'database', 'flavor', 'list')
    assert 'm1.tiny' in {flavor['Name'] for flavor in flavors}


def test_cli_instance_lifecycle_and_isolation(cloud):
    created = cli(cloud, 'demo-member', 'demo', 'database', 'instance',
                  'create', 'ks-db1', '--flavor', 'm1.tiny', '--size', '1',
                  '--datastore', 'mysql')
    instance_id = created['id']
    listed = cli(cloud, 'demo-member', 'demo', 'database', 'instance',
                 'list')
    assert instance_id in {row['ID'] for row in listed}
    shown = cli(cloud, 'demo-member', 'demo', 'database', 'instance',
                'show', instance_id)
    assert shown['name'] == 'ks-db1'

    # Another project neither sees nor deletes it.
    other = cli(cloud, 'other-member', 'other', 'database', 'instance',
                'list')
    assert instance_id not in {row['ID'] for row in other}
    token = cloud.token('other-member', 'other')
    for method in ('GET', 'DELETE'):
        resp = requests.request(
            method, cloud.url('other', '/instances/' + instance_id),
            headers={'X-Auth-Token': token}, timeout=10)
        assert resp.status_code == 404, (method, resp.text)
        assert list(resp.json()) == ['itemNotFound'], resp.text
    result = run_cli(cloud, 'other-member', 'other', 'database',
                     'instance', 'delete', instance_id)
    assert result.returncode != 0
    assert cli(cloud, 'demo-member', 'demo', 'database', 'instance',
               'show', instance_id)['id'] == instance_id

    result = run_cli(cloud, 'demo-member', 'demo', 'database', 'instance',
                     'delete', instance_id)
    assert result.returncode == 0, result.stderr
    token = cloud.token('demo-member', 'demo')
    end = time.monotonic() + 60
    while requests.get(cloud.url('demo', '/instances/' + instance_id),
                       headers={'X-Auth-Token': token},
                       timeout=10).status_code != 404:
        assert time.monotonic() < end, 'instance %s never went away' % (
            instance_id)
        time.sleep(0.5)


@pytest.fixture(scope='module')
def demo(cloud):
    """demo's fake-datastore instance (databases app and logs, user alice
    with access to app), a COMPLETED backup of it, and the ids the route
    tables need.
    """
    member = personas.Caller(cloud, 'demo-member', 'demo')
    flavors = personas.assert_status(member('GET', '/flavors'), 200).json()
    flavor_id = {f['name']: f['id'] for f in flavors['flavors']}['m1.tiny']
    created = personas.assert_status(member(
        'POST', '/instances',
        personas.create_body('ks-persona', flavor_id)), 200).json()
    instance_id = created['instance']['id']
    personas.wait_for_status(member, instance_id, 'ACTIVE')
    version = personas.assert_status(
        member('GET', '/datastores/fake/versions/1.0'), 200).json()
    # A backup of it as created: the fake strategy streams the guest's
    # in-memory databases and users into the API's local storage.
    backup = personas.take_backup(member, instance_id, 'ks-backup')
    group = personas.assert_status(member(
        'POST', '/configurations', personas.group_body('ks-config')),
        200).json()['configuration']
    yield {'instance': instance_id, 'flavor': str(flavor_id),
           'version': version['version']['id'], 'backup': backup['id'],
           'configuration': group['id']}
    personas.assert_status(member('DELETE', '/backups/' + backup['id']),
                           202)
    personas.wait_for_backup(member, backup['id'], waiting.GONE)


@pytest.fixture(scope='module')
def other(cloud, demo):
    """other's own instance and backup, which demo must not see and an
    admin's all_projects list must.
    """
    member = personas.Caller(cloud, 'other-member', 'other')
    created = personas.assert_status(member(
        'POST', '/instances',
        personas.create_body('ks-other', demo['flavor'])), 200).json()
    instance_id = created['instance']['id']
    try:
        personas.wait_for_status(member, instance_id, 'ACTIVE')
        backup = personas.take_backup(member, instance_id, 'ks-other-backup')
        try:
            yield {'instance': instance_id, 'backup': backup['id']}
        finally:
            personas.assert_status(
                member('DELETE', '/backups/' + backup['id']), 202)
            personas.wait_for_backup(member, backup['id'], waiting.GONE)
    finally:
        personas.assert_status(member('DELETE', '/instances/' + instance_id),
                               202)
        personas.wait_for_status(member, instance_id, 'gone')


def _reads(cloud, demo, project='demo'):
    return _reads_of(demo, cloud.projects[project])


def _reads_of(ids, project_id):
    return (personas.instance_reads(ids['instance'])
            + personas.backup_reads(ids['backup'])
            + personas.configuration_reads(ids['configuration'])
            + personas.project_reads(ids['flavor'], ids['version'],
                                     project_id))


def _listed_backups(caller, path='/backups'):
    """Ids of the backups a list answers."""
    resp = personas.assert_status(caller('GET', path), 200)
    return {row['id'] for row in resp.json()['backups']}


def test_the_persona_tables_try_every_route():
    """A route the tables miss (a new resource's) fails here, so its
    isolation and personas are tried before it ships.
    """
    ids = {'instance': 'i-1', 'flavor': '1', 'version': 'v-1',
           'backup': 'b-1', 'configuration': 'c-1'}
    project = 'p-1'
    tried = ([('GET', path) for path, _ in _reads_of(ids, project)]
             + [('POST', '/instances')]
             + [(method, path) for method, path, _ in (
                 personas.instance_changes(ids['instance'])
                 + personas.backup_changes(ids['backup'], ids['instance'],
                                           ids['flavor'])
                 + personas.strategy_changes()
                 + personas.project_changes()
                 + personas.configuration_changes(ids['configuration'],
                                                  ids['instance'])
                 + personas.other_project_routes(project)
                 + personas.admin_rule_routes(ids['instance'])
                 + personas.mgmt_routes(ids['instance'], ids['version'],
                                        project))])
    mapper = router.APIRouter().mapper
    matched = set()
    for method, path in tried:
        found = mapper.routematch('/%s%s' % (project, path.split('?')[0]),
                                  environ={'REQUEST_METHOD': method})
        assert found, 'no route for %s %s' % (method, path)
        matched.add((method, found[1].routepath))
    every = {(method, route.routepath) for route in mapper.matchlist
             if route.routepath != '/'
             for method in route.conditions['method']}
    assert every - matched == set()


def test_a_reader_reads_everything_and_changes_nothing(cloud, demo):
    reader = personas.Caller(cloud, 'demo-reader', 'demo')
    member = personas.Caller(cloud, 'demo-member', 'demo')
    before = personas.snapshot(member, demo['instance'])
    for path, status in _reads(cloud, demo):
        personas.assert_status(reader('GET', path), status)
    changes = (personas.instance_changes(demo['instance'])
               + personas.backup_changes(demo['backup'], demo['instance'],
                                         demo['flavor'])
               + personas.strategy_changes()
               + personas.project_changes()
               + personas.configuration_changes(demo['configuration'],
                                                demo['instance'])
               + personas.other_project_routes(cloud.projects['other'])
               + personas.admin_rule_routes(demo['instance'])
               + [('POST', '/instances', personas.create_body(
                   'nope', demo['flavor']))])
    for method, path, body in changes:
        personas.assert_fault(reader(method, path, body), 403, 'forbidden')
    for method, path, body in personas.mgmt_routes(
            demo['instance'], demo['version'], cloud.projects['demo']):
        personas.assert_fault(reader(method, path, body), 401,
                              'unauthorized')
    assert personas.snapshot(member, demo['instance']) == before
    listed = member('GET', '/instances').json()['instances']
    assert [row['name'] for row in listed] == ['ks-persona']
    # The backup is read, and was neither deleted nor joined by another.
    assert _listed_backups(reader) == {demo['backup']}
    assert _listed_backups(
        reader, '/instances/%s/backups' % demo['instance']) == {
            demo['backup']}
    assert personas.backup_shown(reader, demo['backup'])['status'] == (
        'COMPLETED')
    assert reader('GET', '/backup_strategies').json() == {
        'backup_strategies': []}


def test_another_project_neither_sees_nor_changes(cloud, demo):
    other = personas.Caller(cloud, 'other-member', 'other')
    member = personas.Caller(cloud, 'demo-member', 'demo')
    before = personas.snapshot(member, demo['instance'])
    for path, status in personas.instance_reads(demo['instance']):
        if status == 501:
            # No instance is looked up; nothing about it is told.
            personas.assert_status(other('GET', path), 501)
        else:
            personas.assert_fault(other('GET', path), 404, 'itemNotFound')
    for method, path, body in personas.instance_changes(demo['instance']):
        personas.assert_fault(other(method, path, body), 404,
                              'itemNotFound')
    for path, _ in personas.configuration_reads(demo['configuration']):
        personas.assert_fault(other('GET', path), 404, 'itemNotFound')
    for method, path, body in personas.configuration_changes(
            demo['configuration'], demo['instance']):
        personas.assert_fault(other(method, path, body), 404,
                              'itemNotFound')
    assert other('GET', '/configurations').json() == {'configurations': []}
    for path in ('/instances', '/instances/detail'):
        resp = personas.assert_status(other('GET', path), 200)
        assert resp.json()['instances'] == []
    personas.assert_fault(
        other('GET', '/mgmt/quotas/' + cloud.projects['demo']), 403,
        'forbidden')
    assert personas.snapshot(member, demo['instance']) == before


def test_another_project_neither_sees_nor_changes_backups(cloud, demo,
                                                          other):
    outsider = personas.Caller(cloud, 'other-member', 'other')
    member = personas.Caller(cloud, 'demo-member', 'demo')
    strategy = {'backup_strategy': {'swift_container': 'ks-demo',
                                    'instance_id': demo['instance']}}
    personas.assert_status(member('POST', '/backup_strategies', strategy),
                           202)
    for path, _ in personas.backup_reads(demo['backup']):
        personas.assert_fault(outsider('GET', path), 404, 'itemNotFound')
    for method, path, body in personas.backup_changes(
            demo['backup'], demo['instance'], demo['flavor']):
        personas.assert_fault(outsider(method, path, body), 404,
                              'itemNotFound')
    for method, path, body in personas.other_project_routes(
            cloud.projects['demo']):
        personas.assert_fault(outsider(method, path, body), 403,
                              'forbidden')
    # Its lists hold its own backup, none of ours.
    assert _listed_backups(outsider) == {other['backup']}
    assert _listed_backups(
        outsider, '/backups?instance_id=' + demo['instance']) == set()
    # Forgetting its strategies (of our instance's id too) is its own
    # business: ours stay.
    for path in ('/backup_strategies',
                 '/backup_strategies?instance_id=' + demo['instance']):
        personas.assert_status(outsider('DELETE', path), 202)
    assert outsider('GET', '/backup_strategies').json() == {
        'backup_strategies': []}

    assert _listed_backups(member) == {demo['backup']}
    assert personas.backup_shown(member, demo['backup'])['status'] == (
        'COMPLETED')
    shown = personas.assert_status(member('GET', '/backup_strategies'),
                                   200).json()['backup_strategies']
    assert [(row['project_id'], row['instance_id'], row['swift_container'])
            for row in shown] == [(cloud.projects['demo'], demo['instance'],
                                   'ks-demo')]
    personas.assert_status(member(
        'DELETE', '/backup_strategies?instance_id=' + demo['instance']), 202)
    assert member('GET', '/backup_strategies').json() == {
        'backup_strategies': []}


def test_a_member_changes_everything_but_manages_nothing(cloud, demo):
    member = personas.Caller(cloud, 'demo-member', 'demo')
    for path, status in _reads(cloud, demo):
        personas.assert_status(member('GET', path), status)
    base = '/instances/' + demo['instance']
    for method, path, body, status in personas.change_steps():
        personas.assert_status(member(method, base + path, body), status)
    for method, path, body in personas.admin_rule_routes(demo['instance']):
        personas.assert_fault(member(method, path, body), 403, 'forbidden')
    for method, path, body in personas.mgmt_routes(
            demo['instance'], demo['version'], cloud.projects['demo']):
        personas.assert_fault(member(method, path, body), 401,
                              'unauthorized')
    personas.assert_status(
        member('POST', base + '/action', {'restart': {}}), 202)
    personas.wait_for_status(member, demo['instance'], 'ACTIVE')
    # Its configuration group: changed, attached, detached; another made
    # and deleted.
    group = '/configurations/' + demo['configuration']
    for method, path, body, status in (
            ('PATCH', group, {'configuration': {'values': {
                'max_connections': 55}}}, 200),
            ('PUT', group, {'configuration': {'values': {
                'max_connections': 50}}}, 202),
            ('PUT', base, {'instance': {
                'configuration': demo['configuration']}}, 202)):
        personas.assert_status(member(method, path, body), status)
    shown = member('GET', base).json()['instance']
    assert shown['configuration']['id'] == demo['configuration']
    personas.assert_status(member('PUT', base, {'instance': {}}), 202)
    made = personas.assert_status(member(
        'POST', '/configurations', personas.group_body('ks-scratch')),
        200).json()['configuration']
    personas.assert_status(
        member('DELETE', '/configurations/' + made['id']), 202)
    # A backup schedule of its instance: made, read, deleted.
    schedule = personas.assert_status(member(
        'POST', base + '/backup_schedules', personas.SCHEDULE),
        200).json()['backup_schedule']
    listed = member('GET', base + '/backup_schedules').json()
    assert [row['id'] for row in listed['backup_schedules']] == [
        schedule['id']]
    shown = personas.assert_status(member(
        'GET', '%s/backup_schedules/%s' % (base, schedule['id'])), 200)
    assert shown.json()['backup_schedule']['keep'] == 2
    personas.assert_status(member(
        'DELETE', '%s/backup_schedules/%s' % (base, schedule['id'])), 202)
    assert member('GET', base + '/backup_schedules').json() == {
        'backup_schedules': []}
    # A second instance of its own: created, then deleted.
    created = personas.assert_status(member(
        'POST', '/instances',
        personas.create_body('ks-second', demo['flavor'])), 200).json()
    second = created['instance']['id']
    personas.wait_for_status(member, second, 'ACTIVE')
    personas.assert_status(member('DELETE', '/instances/' + second), 202)
    personas.wait_for_status(member, second, 'gone')
    personas.wait_for_status(member, demo['instance'], 'ACTIVE')


def test_a_member_backs_up_restores_and_deletes(cloud, demo):
    member = personas.Caller(cloud, 'demo-member', 'demo')
    base = '/instances/' + demo['instance']
    second = personas.take_backup(member, demo['instance'], 'ks-second')
    assert second['datastore']['type'] == 'fake'
    assert second['project_id'] == cloud.projects['demo']
    both = {demo['backup'], second['id']}
    for path in ('/backups', base + '/backups',
                 '/backups?instance_id=' + demo['instance'],
                 '/backups?datastore=fake'):
        assert _listed_backups(member, path) == both, path

    # An instance restored from the first backup has what the source had
    # when it was taken.
    created = personas.assert_status(member('POST', '/instances',
                                            personas.restore_body(
                                                'ks-restored',
                                                demo['flavor'],
                                                demo['backup'])),
                                     200).json()['instance']
    personas.wait_for_status(member, created['id'], 'ACTIVE')
    restored = '/instances/' + created['id']
    for path in ('/databases', '/users'):
        got = personas.assert_status(member('GET', restored + path), 200)
        assert got.json() == member('GET', base + path).json(), path
    names = member('GET', restored + '/databases').json()['databases']
    assert {row['name'] for row in names} == {'app', 'logs'}
    personas.assert_status(member('DELETE', restored), 202)
    personas.wait_for_status(member, created['id'], 'gone')

    personas.assert_status(member('DELETE', '/backups/' + second['id']),
                           202)
    personas.wait_for_backup(member, second['id'], waiting.GONE)
    assert _listed_backups(member) == {demo['backup']}
    for method, path, body in personas.other_project_routes(
            cloud.projects['other']):
        personas.assert_fault(member(method, path, body), 403, 'forbidden')


def test_a_member_manages_its_backup_strategies(cloud, demo):
    member = personas.Caller(cloud, 'demo-member', 'demo')
    project = cloud.projects['demo']
    for body in ({'swift_container': 'ks-project'},
                 {'swift_container': 'ks-instance',
                  'instance_id': demo['instance']}):
        made = personas.assert_status(member(
            'POST', '/backup_strategies', {'backup_strategy': body}), 202)
        shown = made.json()['backup_strategy']
        assert shown['project_id'] == project
        assert shown['swift_container'] == body['swift_container']

    def listed(query=''):
        resp = personas.assert_status(
            member('GET', '/backup_strategies' + query), 200)
        return {(row['project_id'], row['instance_id'],
                 row['swift_container'])
                for row in resp.json()['backup_strategies']}

    assert listed() == listed('?project_id=' + project) == {
        (project, '', 'ks-project'),
        (project, demo['instance'], 'ks-instance')}
    assert listed('?instance_id=' + demo['instance']) == {
        (project, demo['instance'], 'ks-instance')}
    personas.assert_status(member(
        'DELETE', '/backup_strategies?instance_id=' + demo['instance']), 202)
    assert listed() == {(project, '', 'ks-project')}
    personas.assert_status(member('DELETE', '/backup_strategies'), 202)
    assert listed() == set()


def test_an_admin_of_another_project_acts_by_id(cloud, demo):
    """Upstream's cleanup tooling: an admin whose token is for its own
    project reaches a tenant's instance by id through the tenant routes
    (reads, changes, reset_status, delete); its lists stay its own
    project's.
    """
    admin = personas.Caller(cloud, 'other-admin', 'other')
    member = personas.Caller(cloud, 'demo-member', 'demo')
    for path, status in personas.instance_reads(demo['instance']):
        personas.assert_status(admin('GET', path), status)
    for path in ('/instances', '/instances/detail'):
        listed = personas.assert_status(admin('GET', path),
                                        200).json()['instances']
        assert demo['instance'] not in {row['id'] for row in listed}
    listed = personas.assert_status(admin(
        'GET', '/mgmt/instances?project_id=' + cloud.projects['demo']),
        200).json()['instances']
    assert demo['instance'] in {row['id'] for row in listed}
    base = '/instances/' + demo['instance']
    for method, path, body, status in personas.change_steps():
        personas.assert_status(admin(method, base + path, body), status)
    personas.assert_status(admin('POST', base + '/action', {'restart': {}}),
                           202)
    personas.wait_for_status(member, demo['instance'], 'ACTIVE')
    assert member('GET', base).json()['instance']['name'] == 'ks-persona'

    # A second instance of demo's, reset and force-deleted by the admin.
    created = personas.assert_status(member(
        'POST', '/instances',
        personas.create_body('ks-stuck', demo['flavor'])), 200).json()
    stuck = created['instance']['id']
    personas.assert_status(admin('POST', '/instances/%s/action' % stuck,
                                 {'reset_status': {}}), 202)
    personas.assert_status(admin('DELETE', '/instances/' + stuck), 202)
    personas.wait_for_status(member, stuck, 'gone')
    personas.wait_for_status(admin, stuck, 'gone')


def test_an_admin_of_another_project_reaches_backups_by_id(cloud, demo):
    """As for instances: a backup of a tenant's is shown and deleted by
    id through the tenant routes; the admin's own lists stay its own.
    """
    admin = personas.Caller(cloud, 'other-admin', 'other')
    member = personas.Caller(cloud, 'demo-member', 'demo')
    shown = personas.assert_status(
        admin('GET', '/backups/' + demo['backup']), 200).json()['backup']
    assert (shown['id'], shown['project_id']) == (demo['backup'],
                                                  cloud.projects['demo'])
    assert demo['backup'] not in _listed_backups(admin)
    assert demo['backup'] in _listed_backups(
        admin, '/instances/%s/backups' % demo['instance'])
    assert demo['backup'] in _listed_backups(
        admin, '/backups?project_id=' + cloud.projects['demo'])

    doomed = personas.take_backup(member, demo['instance'], 'ks-doomed')
    personas.assert_status(admin('DELETE', '/backups/' + doomed['id']), 202)
    personas.wait_for_backup(member, doomed['id'], waiting.GONE)
    personas.wait_for_backup(admin, doomed['id'], waiting.GONE)
    assert _listed_backups(member) == {demo['backup']}


def test_an_admin_lists_every_projects_backups(cloud, demo, other):
    for user, project in (('demo-admin', 'demo'), ('trove', 'service')):
        admin = personas.Caller(cloud, user, project)
        assert {demo['backup'], other['backup']} <= _listed_backups(
            admin, '/backups?all_projects=1')
        assert _listed_backups(
            admin, '/backups?project_id=' + cloud.projects['other']) == {
                other['backup']}
        personas.assert_status(admin(
            'GET', '/backup_strategies?project_id=' +
            cloud.projects['other']), 200)
    admin = personas.Caller(cloud, 'demo-admin', 'demo')
    assert _listed_backups(admin) == {demo['backup']}


def test_an_admin_does_everything(cloud, demo):
    admin = personas.Caller(cloud, 'demo-admin', 'demo')
    for path, status in _reads(cloud, demo):
        personas.assert_status(admin('GET', path), status)
    instance_id = demo['instance']
    base = '/instances/' + instance_id
    for method, path, body, status in [
            ('POST', base + '/root', None, 200),
            ('DELETE', base + '/root', None, 204),
            ('POST', base + '/databases',
             {'databases': [{'name': 'admindb'}]}, 202),
            ('DELETE', base + '/databases/admindb', None, 202),
            ('PUT', base, {'instance': {'name': 'ks-admin'}}, 202),
            ('POST', base + '/action', {'reset_status': {}}, 202),
            ('POST', '/mgmt/instances/%s/action' % instance_id,
             {'reset-task-status': {}}, 202),
            ('GET', '/mgmt/instances/%s/rpc_ping' % instance_id, None, 204),
            ('POST', '/mgmt/instances/%s/action' % instance_id,
             {'migrate': {}}, 501)]:
        personas.assert_status(admin(method, path, body), status)
    # The management stop and reboot: the datastore down, then back.
    mgmt_action = '/mgmt/instances/%s/action' % instance_id
    personas.assert_status(admin('POST', mgmt_action, {'stop': {}}), 202)
    personas.assert_status(admin('POST', mgmt_action, {'reboot': {}}), 202)
    personas.wait_for_status(admin, instance_id, 'ACTIVE')

    # The management API sees every project's instances.
    listed = personas.assert_status(admin('GET', '/mgmt/instances'),
                                    200).json()['instances']
    assert instance_id in {row['id'] for row in listed}
    service_admin = personas.Caller(cloud, 'trove', 'service')
    listed = personas.assert_status(service_admin('GET', '/mgmt/instances'),
                                    200).json()['instances']
    assert instance_id in {row['id'] for row in listed}
    for path in ('/mgmt/instances/' + instance_id,
                 '/mgmt/instances/%s/root' % instance_id,
                 '/mgmt/datastore-versions',
                 '/mgmt/datastore-versions/' + demo['version'],
                 personas.PARAMETERS % demo['version'],
                 personas.PARAMETERS % demo['version'] + '/max_connections',
                 '/mgmt/quotas/' + cloud.projects['other']):
        personas.assert_status(admin('GET', path), 200)
    other_quota = '/mgmt/quotas/' + cloud.projects['other']
    personas.assert_status(
        admin('PUT', other_quota, {'quotas': {'instances': 7}}), 200)
    quotas = admin('GET', other_quota).json()['quotas']
    assert {q['resource']: q['limit'] for q in quotas}['instances'] == 7

    # A scratch datastore version: registered, changed, deleted; then
    # its datastore.
    personas.assert_status(admin('POST', '/mgmt/datastore-versions', {
        'version': {'datastore_name': 'scratch', 'name': '9.9',
                    'datastore_manager': 'fake', 'active': True}}), 202)
    versions = admin('GET', '/mgmt/datastore-versions').json()['versions']
    [scratch] = [v['id'] for v in versions if v['datastore_name'] ==
                 'scratch']
    for method, body in (('PATCH', {'active': False}), ('DELETE', None)):
        personas.assert_status(admin(
            method, '/mgmt/datastore-versions/' + scratch, body), 202)
    personas.assert_status(admin('DELETE', '/datastores/scratch'), 202)
    personas.assert_fault(admin('GET', '/datastores/scratch'), 404,
                          'itemNotFound')

    # A parameter rule of the fake version: added, changed, read by a
    # tenant, deleted.
    rules = personas.PARAMETERS % demo['version']
    added = personas.assert_status(admin('POST', rules, {
        'configuration-parameter': {'name': 'ks_param', 'data_type': 'float',
                                    'restart_required': 1, 'min_size': 0.5,
                                    'max_size': 2}}), 200).json()
    assert (added['type'], added['min_size'], added['max_size']) == (
        'float', 0.5, 2)
    changed = personas.assert_status(admin('PUT', rules + '/ks_param', {
        'configuration-parameter': {'name': 'ks_param', 'data_type': 'float',
                                    'restart_required': 0, 'min_size': 1,
                                    'max_size': 3}}), 200).json()
    assert changed['restart_required'] is False
    member = personas.Caller(cloud, 'demo-member', 'demo')
    shown = personas.assert_status(member(
        'GET', '/datastores/versions/%s/parameters/ks_param'
        % demo['version']), 200).json()
    assert (shown['min'], shown['max']) == (1, 3)
    personas.assert_status(admin('DELETE', rules + '/ks_param'), 204)
    personas.assert_fault(admin('DELETE', rules + '/ks_param'), 400,
                          'badRequest')

    personas.assert_status(admin('DELETE', base), 202)
    personas.wait_for_status(admin, instance_id, 'gone')
    # Its backup outlives it, as upstream's do.
    assert personas.backup_shown(admin, demo['backup'])['status'] == (
        'COMPLETED')


def test_expired_token_is_401(cloud):
    # Last in the module: the token the fixture took has expired by now
    # (or will after a short wait); the API accepted it then.
    token, body = cloud.early_token
    expires = datetime.datetime.strptime(body['expires_at'],
                                         '%Y-%m-%dT%H:%M:%S.%fZ')
    while datetime.datetime.utcnow() <= expires:
        time.sleep(0.5)
    resp = requests.get(cloud.url('demo', '/instances'), timeout=10,
                        headers={'X-Auth-Token': token})
    _assert_unauthorized(resp)
