"""Every route of the v1.0 table is guarded by a policy rule in code.

The route table (``api/router.py``) and the policy defaults
(``common/policies``) are written separately; these tests hold them
together. Each route must match the documented operations of at least one
registered rule, a request to it must be checked against one of those
rules, and the rules must give the secure-RBAC personas what they promise:
a reader of the project may read and change nothing, a member may do both,
a member of another project may do neither, an admin may do everything,
whichever project its token is for.
"""

import re

import pytest

from tests.unit import db_utils
from trove_lite.api.middleware import context as context_mw
from trove_lite.api import router
from trove_lite.common import context
from trove_lite.common import exception
from trove_lite.common import policies
from trove_lite.common import policy
from trove_lite.db.repositories import configurations as config_repo
from trove_lite.db.repositories import datastores
from trove_lite.db.repositories import instances as instance_repo

# The management API, and what only an operator may do to a project's
# instance. Listed here, not derived, so that making a route admin-only
# (or not) is a visible change to this test.
ADMIN_RULES = {
    'datastore:delete', 'instance:reset_status', 'mgmt:quota:update',
    'mgmt:instance:index', 'mgmt:instance:show', 'mgmt:instance:action',
    'mgmt:instance:root', 'mgmt:instance:rpc_ping',
    'mgmt:datastore_version:index',
    'mgmt:datastore_version:show', 'mgmt:datastore_version:create',
    'mgmt:datastore_version:edit', 'mgmt:datastore_version:delete',
    'mgmt:configuration_parameter:index', 'mgmt:configuration_parameter:show',
    'mgmt:configuration_parameter:create',
    'mgmt:configuration_parameter:update',
    'mgmt:configuration_parameter:delete',
    'backup:index:all_projects',
}


def _shape(path):
    """A path with every ``{placeholder}`` blanked, ``/v1.0`` prefixed."""
    path = re.sub(r'\{[^}]+\}', '{}', path)
    return path if path.startswith('/v1.0/') else '/v1.0' + path


def _routes():
    """``(method, path, action)`` of every v1.0 route but the version."""
    found = []
    for route in router.APIRouter().mapper.matchlist:
        if route.routepath == '/':
            continue
        for method in route.conditions['method']:
            found.append((method, route.routepath, route.defaults['action']))
    return found


def _documented():
    """``{(method, path shape): {rule names}}`` from the rules in code."""
    table = {}
    for rule in policies.list_rules():
        for operation in getattr(rule, 'operations', []):
            key = (operation['method'], _shape(operation['path']))
            table.setdefault(key, set()).add(rule.name)
    return table


ROUTES = _routes()
DOCUMENTED = _documented()


def _rules_of(method, path):
    return DOCUMENTED.get((method, _shape(path)), set())


def _ids(routes):
    return ['%s %s' % (method, path) for method, path, _ in routes]


def test_the_route_table_is_walked():
    # NOTE(tests): a guard against walking an empty or partial table.
    assert len(ROUTES) >= 45
    assert {method for method, _, _ in ROUTES} == {
        'GET', 'POST', 'PUT', 'PATCH', 'DELETE'}


@pytest.mark.parametrize('method,path,action', ROUTES, ids=_ids(ROUTES))
def test_every_route_has_a_registered_rule(method, path, action):
    names = _rules_of(method, path)
    assert names, 'no policy rule documents %s %s' % (method, path)
    registered = policy.get_enforcer().registered_rules
    assert names <= set(registered)


def test_every_documented_operation_is_a_route():
    shapes = {(method, _shape(path)) for method, path, _ in ROUTES}
    assert set(DOCUMENTED) <= shapes


def _persona(roles, project='p1'):
    return context.RequestContext(
        user_id='u', project_id=project,
        roles=context_mw.with_implied_roles(roles))


PERSONAS = {
    'reader': _persona(['reader']),
    'member': _persona(['member']),
    'other-member': _persona(['member'], project='p2'),
    'admin': _persona(['admin']),
    # An administrator whose token is for another project (the service
    # project, or a tenant's) may still act on p1's resources, as
    # upstream's cleanup tooling does (``context.lookup_project``).
    'admin-of-another-project': _persona(['admin'], project='service'),
}


def _allowed(persona, rule):
    try:
        policy.authorize(PERSONAS[persona], rule, {'tenant': 'p1'})
    except exception.PolicyNotAuthorized:
        return False
    return True


# Rules that only read although a POST may check them: ``POST …/log``
# without an action shows the log.
READ_RULES = {'instance:guest_log_list'}


def _expected(persona, method, rule):
    if persona.startswith('admin'):
        return True
    if persona == 'other-member' or rule in ADMIN_RULES:
        return False
    return persona == 'member' or method == 'GET' or rule in READ_RULES


@pytest.mark.parametrize('method,path,action', ROUTES, ids=_ids(ROUTES))
def test_personas_on_every_route(method, path, action):
    got = {}
    want = {}
    for name in sorted(_rules_of(method, path)):
        for persona in PERSONAS:
            got[persona, name] = _allowed(persona, name)
            want[persona, name] = _expected(persona, method, name)
    assert got == want


def test_a_reader_changes_nothing_by_default():
    # Without the pinned enforce_new_defaults, oslo.policy would OR in
    # the deprecated admin_or_owner, which any role in the project passes.
    mutating = {name for method, path, _ in ROUTES if method != 'GET'
                for name in _rules_of(method, path)} - READ_RULES
    assert not [name for name in sorted(mutating)
                if _allowed('reader', name)]


def test_old_defaults_come_back_when_asked(override):
    override('enforce_new_defaults', False, group='oslo_policy')
    policy.reset()
    assert _allowed('reader', 'instance:delete')
    assert not _allowed('other-member', 'instance:delete')
    assert not _allowed('reader', 'mgmt:quota:update')


def test_a_token_not_scoped_to_a_project_is_refused():
    system = context.RequestContext(user_id='u', roles=['admin'],
                                    system_scope='all')
    with pytest.raises(exception.PolicyNotAuthorized):
        policy.authorize(system, 'instance:index', {'tenant': 'p1'})


# A body each route accepts far enough to reach its policy check, by
# method, the last literal part of the path, and management or not.
BODIES = {
    ('POST', 'instances', False): {'instance': {
        'name': 'x', 'flavorRef': '1', 'volume': {'size': 1}}},
    ('PUT', 'instances', False): {'instance': {'name': 'y'}},
    ('PATCH', 'instances', False): {'instance': {'name': 'y'}},
    ('POST', 'action', False): {'restart': {}},
    ('POST', 'action', True): {'reset-task-status': {}},
    ('POST', 'databases', False): {'databases': [{'name': 'd'}]},
    ('PUT', 'databases', False): {'databases': [{'name': 'd'}]},
    ('POST', 'users', False): {'users': [{'name': 'u', 'password': 'p'}]},
    ('PUT', 'users', False): {'users': [{'name': 'u', 'password': 'p'}]},
    ('PUT', 'quotas', True): {'quotas': {'instances': 1}},
    ('POST', 'datastore-versions', True): {'version': {
        'datastore_name': 'fake', 'name': '2.0', 'datastore_manager': 'fake',
        'image': 'i', 'active': True}},
    ('PATCH', 'datastore-versions', True): {'active': False},
    ('POST', 'log', False): {'name': 'general', 'enable': 1},
    ('POST', 'backup_schedules', False): {'backup_schedule': {
        'name': 's', 'pattern': '@every 1h', 'keep': 1}},
}


def _body(method, path, action):
    literals = [part for part in path.split('/')
                if part and not part.startswith('{')]
    if (method, action) == ('PUT', 'update') and literals[-1] == 'users':
        return {'user': {'password': 'p'}}  # one user, by name
    return BODIES.get((method, literals[-1], 'mgmt' in literals))


@pytest.fixture
def instance_id(ctx):
    datastores.update_datastore(ctx, 'fake')
    version = datastores.upsert_version(ctx, 'fake', '1.0',
                                        'fake')
    row = instance_repo.create(ctx, {
        'name': 'db', 'tenant_id': 'p1', 'flavor_id': '1',
        'volume_size': 1, 'datastore_version_id': version.id})
    return row.id


@pytest.fixture
def backup_id(ctx, instance_id):
    return db_utils.add_backup(ctx, instance_id, state='COMPLETED',
                               tenant_id='p1')


def _url(path, instance_id, backup_id=None, group_id=None):
    url = path.replace('{tenant_id}', 'p1')
    if url == '/p1/backups/{id}':
        url = url.replace('{id}', backup_id)
    if url.startswith('/p1/configurations/{id}'):
        url = url.replace('{id}', group_id)
    for name in ('instance_id', 'id'):
        url = url.replace('{%s}' % name, instance_id)
    return '/v1.0' + re.sub(r'\{[^}]+\}', 'x', url)


@pytest.fixture
def group_id(ctx, instance_id):
    version = instance_repo.get(ctx, instance_id).datastore_version_id
    return config_repo.create(ctx, 'p1', 'g', None, version, {}).id


@pytest.mark.parametrize('method,path,action', ROUTES, ids=_ids(ROUTES))
def test_every_route_checks_its_rule(method, path, action, client,
                                     instance_id, backup_id, group_id,
                                     monkeypatch):
    checked = []
    real = policy.authorize

    def spy(ctx, rule, target=None):
        checked.append(rule)
        real(ctx, rule, target)
        raise exception.PolicyNotAuthorized(action=rule)

    monkeypatch.setattr(policy, 'authorize', spy)
    resp = client.request(method, _url(path, instance_id, backup_id,
                                       group_id),
                          body=_body(method, path, action))
    assert resp.status_int == 403, resp.text
    assert checked and checked[0] in _rules_of(method, path), checked


# The tenant routes that name one instance: an admin of another project
# reaches them by id (upstream's cleanup tooling), a member of another
# project gets the 404 of an unknown id.
# Upstream has no database show: a 501 before any instance is looked up.
NO_LOOKUP = {('GET', '/{tenant_id}/instances/{instance_id}/databases/{id}')}
INSTANCE_ROUTES = [(method, path, action) for method, path, action in ROUTES
                   if path.startswith('/{tenant_id}/instances/{')
                   and (method, path) not in NO_LOOKUP]


def _spied(monkeypatch):
    checked = []
    real = policy.authorize

    def spy(ctx, rule, target=None):
        checked.append((rule, (target or {}).get('tenant')))
        real(ctx, rule, target)
        raise exception.PolicyNotAuthorized(action=rule)

    monkeypatch.setattr(policy, 'authorize', spy)
    return checked


@pytest.mark.parametrize('method,path,action', INSTANCE_ROUTES,
                         ids=_ids(INSTANCE_ROUTES))
def test_an_admin_of_another_project_reaches_the_instance(
        method, path, action, client, instance_id, monkeypatch):
    checked = _spied(monkeypatch)
    url = _url(path, instance_id).replace('/v1.0/p1/', '/v1.0/p2/')
    resp = client.request(method, url, body=_body(method, path, action))
    assert resp.status_int == 403, resp.text
    # The rule was checked against the owner, p1, not the URL's project.
    assert checked and checked[0][0] in _rules_of(method, path), checked
    assert checked[0][1] == 'p1', checked


@pytest.mark.parametrize('method,path,action', INSTANCE_ROUTES,
                         ids=_ids(INSTANCE_ROUTES))
def test_a_member_of_another_project_gets_404(method, path, action, client,
                                              instance_id, monkeypatch):
    checked = _spied(monkeypatch)
    url = _url(path, instance_id).replace('/v1.0/p1/', '/v1.0/p2/')
    resp = client.request(method, url, body=_body(method, path, action),
                          headers={'X-Roles': 'member'})
    assert resp.status_int == 404, resp.text
    assert list(resp.json) == ['itemNotFound']
    assert [tenant for _, tenant in checked if tenant] == []


# The routes that name one backup: as for instances, an admin of another
# project reaches it by id, a member of another project gets a 404.
BACKUP_ROUTES = [(method, path, action) for method, path, action in ROUTES
                 if path.startswith('/{tenant_id}/backups/{')]


def test_the_backup_routes_are_walked():
    assert {method for method, _, _ in BACKUP_ROUTES} == {'GET', 'DELETE'}


@pytest.mark.parametrize('method,path,action', BACKUP_ROUTES,
                         ids=_ids(BACKUP_ROUTES))
def test_an_admin_of_another_project_reaches_the_backup(
        method, path, action, client, instance_id, backup_id, monkeypatch):
    checked = _spied(monkeypatch)
    url = _url(path, instance_id, backup_id).replace('/v1.0/p1/',
                                                     '/v1.0/p2/')
    resp = client.request(method, url)
    assert resp.status_int == 403, resp.text
    assert checked and checked[0][0] in _rules_of(method, path), checked
    assert checked[0][1] == 'p1', checked


@pytest.mark.parametrize('method,path,action', BACKUP_ROUTES,
                         ids=_ids(BACKUP_ROUTES))
def test_a_member_of_another_project_gets_404_for_the_backup(
        method, path, action, client, instance_id, backup_id, monkeypatch):
    checked = _spied(monkeypatch)
    url = _url(path, instance_id, backup_id).replace('/v1.0/p1/',
                                                     '/v1.0/p2/')
    resp = client.request(method, url, headers={'X-Roles': 'member'})
    assert resp.status_int == 404, resp.text
    assert list(resp.json) == ['itemNotFound']
    assert [tenant for _, tenant in checked if tenant] == []


# The replication actions share POST .../action with restart: each is
# checked against its own rule, on the instance's owner.
ACTIONS = [({'promote_to_replica_source': {}},
            'instance:promote_to_replica_source'),
           ({'eject_replica_source': {}}, 'instance:eject_replica_source'),
           ({'restart': {}}, 'instance:restart')]


@pytest.mark.parametrize('body, rule', ACTIONS)
@pytest.mark.parametrize('project', ['p1', 'p2'])
def test_each_action_checks_its_own_rule(body, rule, project, client,
                                         instance_id, monkeypatch):
    checked = _spied(monkeypatch)
    url = '/v1.0/%s/instances/%s/action' % (project, instance_id)
    resp = client.request('POST', url, body=body)
    assert resp.status_int == 403, resp.text
    assert checked == [(rule, 'p1')]
    assert rule in _rules_of('POST', '/{tenant_id}/instances/{id}/action')


@pytest.mark.parametrize('body', [
    {'instance': {'replica_of': None}}, {'instance': {'failover': True}},
    {'instance': {'slave_of': None}}])
def test_detach_and_failover_are_updates(body, client, instance_id,
                                         monkeypatch):
    checked = _spied(monkeypatch)
    resp = client.request('PATCH', '/v1.0/p1/instances/%s' % instance_id,
                          body=body)
    assert resp.status_int == 403, resp.text
    assert checked == [('instance:update', 'p1')]
