"""A property-based fuzz of every route: no input makes a 5xx or a trace.

For each route of the v1.0 table (``api/router.py``), hypothesis sends
requests to the in-process API (noauth, SQLite, the fake guest on the
in-memory bus) with ids from the fixtures or made up (unicode, NULs,
huge, bytes that are not UTF-8), JSON bodies shaped like the route's or
not at all (nested, huge integers, wrong types), junk query strings and
the personas of the policy table (reader, member, admin, a member or an
admin of another project, unknown roles). The world has a replication
group (a replica follows the first instance), and the create, update
and action routes bend the replication bodies too (``replica_of``,
``failover``, ``slave_of``, promote, eject). Every answer must be:

* below 500, except upstream's documented 501s (``notImplemented``);
* an error as upstream's fault document, ``{"<fault>": {"code",
  "message"}}``, with the request id header like every response;
* free of traceback text; and no ERROR is logged while serving it.

The budget is bounded, and derandomized, so that a run is reproducible
and CI sends the same requests every time: ``EXAMPLES`` (30) requests per
route, twice that for a route that takes a body and half for one that
does not, some 1,300 requests in about 20 s. A longer hunt (``=300`` is
some 13,000 requests, two minutes or so):
``TROVE_LITE_TEST_FUZZ_EXAMPLES=300 pytest tests/unit/api/test_fuzz.py``.
Each defect issue 13's fuzz found by hand has a regression test of its
own; this one fails on each of them too, were it back: bodies nested too
deep, rate limits of 0, paths and query strings that are not UTF-8,
integers past the database's, tenant errors logged as ERRORs by the
guest, a datastore version deleted while in use.
"""

import json
import logging
import os
import re
from urllib import parse

import hypothesis
from hypothesis import strategies as st
import pytest
import webob

from tests.unit.api.controllers.conftest import guest_instance  # noqa: F401
from tests.unit import db_utils
from tests.unit.rpc_fixtures import conf_overrides  # noqa: F401
from tests.unit.rpc_fixtures import memory_bus  # noqa: F401
from tests.unit.rpc_fixtures import start_service  # noqa: F401
from trove_lite.api import router
from trove_lite.common import exception
from trove_lite.db.repositories import backup_schedules as schedule_repo
from trove_lite.db.repositories import configurations as config_repo
from trove_lite.db.repositories import datastores as datastore_repo
from trove_lite.db.repositories import instances as instance_repo
from trove_lite.guestagent.strategies.replication import (
    fake as fake_replication)

EXAMPLES = int(os.environ.get('TROVE_LITE_TEST_FUZZ_EXAMPLES', '30'))

FAULT_NAMES = frozenset(exception.FAULT_NAMES.values()) | {'serverError'}
# NOTE(fuzz): what a body may never carry, whatever the status: a
# traceback, a remote one (oslo.messaging's ``_Remote`` classes), or the
# text of a library's exception.
TRACE_MARKERS = ('Traceback (most recent call last)', 'File "', '_Remote',
                 'sqlalchemy.', 'oslo_db.', 'pymysql.')


def _routes():
    """``(method, path)`` of every route but the version document."""
    found = []
    for route in router.APIRouter().mapper.matchlist:
        if route.routepath == '/':
            continue
        for method in route.conditions['method']:
            found.append((method, route.routepath))
    return found


ROUTES = _routes()


class Either(tuple):
    """Several bodies a route takes (the actions of ``/action``, a create
    with ``replica_of``): the fuzz bends one of them each time.
    """


# A body each route takes, as upstream's client sends it: the shape the
# fuzz bends, so that requests reach past the schema into controllers.
# Keyed by method and path (without the project); other routes take none.
INSTANCE = '/instances/{id}'
USERS = '/instances/{instance_id}/users'
VERSIONS = '/mgmt/datastore-versions'
PARAMETERS = '/mgmt/datastores/versions/{version_id}/parameters'
# Stands for an instance id only known once the world is made.
MINE = '00000000-0000-4000-8000-000000000001'
MY_BACKUP = '00000000-0000-4000-8000-000000000002'
MY_GROUP = '00000000-0000-4000-8000-000000000003'
TEMPLATES = {
    ('POST', '/instances'): Either([{'instance': {
        'name': 'db', 'flavorRef': '1', 'volume': {'size': 1},
        'datastore': {'type': 'mysql', 'version': '10.11'},
        'databases': [{'name': 'app', 'character_set': 'utf8mb4'}],
        'users': [{'name': 'u', 'password': 'p', 'host': '%',
                   'databases': [{'name': 'app'}]}],
        'nics': [{'net-id': '8b1f5e9c-8a43-4b4a-9b7e-0f1f2a3b4c5d'}],
        'access': {'is_public': True, 'allowed_cidrs': ['10.0.0.0/8']},
        'restorePoint': {'backupRef': MY_BACKUP}}}, {'instance': {
            'name': 'r', 'replica_of': MINE, 'replica_count': 2,
            'failover': True, 'flavorRef': '1', 'volume': {'size': 1},
            'datastore': {'type': 'fake', 'version': '1.0'}}}]),
    ('PUT', INSTANCE): Either([{'instance': {'name': 'y'}},
                               {'instance': {'replica_of': None}},
                               {'instance': {'failover': True}},
                               {'instance': {'configuration': MY_GROUP}},
                               {'instance': {'configuration': None}},
                               {'instance': {'name': 'z', 'access': {
                                   'is_public': True,
                                   'allowed_cidrs': ['10.0.0.0/8']}}},
                               {'instance': {}}]),
    ('POST', '/configurations'): {'configuration': {
        'name': 'g2', 'description': 'd', 'values': {
            'max_connections': 10, 'sql_mode': 'ANSI'},
        'datastore': {'type': 'fake', 'version': '1.0'}}},
    ('PATCH', '/configurations/{id}'): {'configuration': {
        'values': {'max_connections': 20}}},
    ('PUT', '/configurations/{id}'): {'configuration': {
        'name': 'g3', 'values': {'sql_mode': 'TRADITIONAL'}}},
    ('PATCH', INSTANCE): Either([{'instance': {'name': 'y'}},
                                 {'instance': {'name': 'z',
                                               'slave_of': None}},
                                 {'instance': {'replica_of': None}},
                                 {'instance': {'access': {
                                     'is_public': False}}},
                                 {'instance': {'datastore_version': '1.1'}},
                                 {'instance': {'name': 'w',
                                               'datastore_version': '1.0'}},
                                 {'instance': {
                                     'datastore_version': '10.11'}}]),
    ('POST', INSTANCE + '/action'): Either([
        {'restart': {}}, {'promote_to_replica_source': {}},
        {'eject_replica_source': {}}, {'resize': {'volume': {'size': 2}}},
        {'resize': {'flavorRef': '2'}}]),
    ('POST', '/mgmt' + INSTANCE + '/action'): Either([
        {'reset-task-status': {}}, {'stop': {}}, {'reboot': {}},
        {'migrate': {'host': 'h2'}},
        {'rebuild': {'image_id': '8c1d5b9e-3f4a-4e2b-9a6c-0d7e8f9a1b2c'}}]),
    ('POST', '/instances/{instance_id}/databases'): {'databases': [
        {'name': 'd2', 'collate': 'utf8mb4_bin'}]},
    ('POST', USERS): {'users': [{'name': 'u2', 'password': 'p',
                                 'databases': [{'name': 'app'}]}]},
    ('PUT', USERS): {'users': [{'name': 'u', 'password': 'p2'}]},
    ('PUT', USERS + '/{id}'): {'user': {'name': 'u3', 'password': 'p',
                                        'host': '%'}},
    ('PUT', USERS + '/{user_id}/databases'): {'databases': [
        {'name': 'app'}]},
    ('POST', '/instances/{instance_id}/root'): {'password': 'secret'},
    ('POST', '/instances/{instance_id}/log'): Either([
        {'name': 'general'}, {'name': 'general', 'enable': 1},
        {'name': 'general', 'disable': True},
        {'name': 'general', 'publish': 1, 'discard': 0}]),
    ('PUT', '/mgmt/quotas/{project_id}'): {'quotas': {'instances': 5,
                                                      'ram': None}},
    ('POST', VERSIONS): {'version': {
        'datastore_name': 'fake', 'name': '2.0', 'datastore_manager': 'fake',
        'image': '', 'active': True, 'default': False,
        'packages': ['p'], 'image_tags': ['t']}},
    ('PATCH', VERSIONS + '/{id}'): {'active': False, 'image_tags': []},
    ('POST', PARAMETERS): {'configuration-parameter': {
        'name': 'max_connections', 'data_type': 'integer',
        'restart_required': 0, 'min_size': 1, 'max_size': 1000}},
    ('PUT', PARAMETERS + '/{name}'): {'configuration-parameter': {
        'name': 'max_connections', 'data_type': 'integer',
        'restart_required': 1, 'min_size': '1', 'max_size': '5000'}},
    ('POST', '/backups'): {'backup': {
        'name': 'b', 'instance': MINE, 'description': 'd', 'incremental': 1,
        'swift_container': 'c'}},
    ('POST', '/backup_strategies'): {'backup_strategy': {
        'swift_container': 'c', 'instance_id': MINE}},
    ('POST', '/instances/{instance_id}/backup_schedules'): {
        'backup_schedule': {'name': 'nightly', 'pattern': '*/5 * * * *',
                            'keep': 3, 'incremental': True,
                            'description': 'd'}},
}


def _template(method, path, world=None):
    """The templates of a route (an ``Either``, or None), with ``MINE``
    and ``MY_BACKUP`` the ids of the world's first instance and backup.
    """
    template = TEMPLATES.get((method, path[len('/{tenant_id}'):]))
    if template is None:
        return None
    if not isinstance(template, Either):
        template = Either([template])
    if world is None:
        return template
    text = json.dumps(template).replace(MINE, world['instance_id'][0])
    text = text.replace(MY_GROUP, world['configurations'][0])
    return Either(json.loads(text.replace(MY_BACKUP, world['backups'][0])))


# -- strategies -----------------------------------------------------------

# Text as a tenant (or an attacker) may type it: any code point but
# surrogates (JSON cannot carry them as UTF-8), NULs and controls included.
TEXT = st.text(st.characters(blacklist_categories=('Cs',)), max_size=40)
HUGE_INTS = st.sampled_from([2 ** 31, 2 ** 63, 2 ** 64, -2 ** 63 - 1,
                             10 ** 40, -1, 0])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), HUGE_INTS,
    st.floats(allow_nan=True, allow_infinity=True), TEXT,
    st.sampled_from(['', ' ', '%', '\x00', 'a' * 300, '../..', '*',
                     'utf8mb4', 'mysql', '10.11', '1']))
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12)


def _nested(depth):
    document = {}
    for _ in range(depth):
        document = {'a': document}
    return document


def _like(template):
    """Documents shaped like ``template``: mostly it, or bent, or junk.

    Each level keeps the template's value more often than not, so that
    a good share of requests pass the schema and reach the controllers.
    """
    if isinstance(template, dict):
        bent = st.fixed_dictionaries(
            {key: _like(value) for key, value in template.items()})
        sparse = st.fixed_dictionaries(
            {}, optional={key: _like(value)
                          for key, value in template.items()})
        extra = st.builds(lambda known, junk: {**junk, **known},
                          bent, st.dictionaries(TEXT, JSON, max_size=2))
        return st.one_of(st.just(template), st.just(template), bent, bent,
                         sparse, extra, JSON)
    if isinstance(template, list):
        item = _like(template[0]) if template else JSON
        return st.one_of(st.just(template), st.just(template),
                         st.lists(item, max_size=3), JSON)
    if isinstance(template, int) and not isinstance(template, bool):
        # NOTE(fuzz): an integer a body stores is bent past the column.
        return st.one_of(st.just(template), st.just(template), HUGE_INTS,
                         SCALARS)
    return st.one_of(st.just(template), st.just(template), SCALARS)


def _leaves(document, path=()):
    """Every path into ``document``'s objects and arrays, itself excluded."""
    found = []
    items = (document.items() if isinstance(document, dict)
             else enumerate(document) if isinstance(document, list) else ())
    for key, value in items:
        found.append(path + (key,))
        found.extend(_leaves(value, path + (key,)))
    return found


def _replaced(document, path, value):
    """A copy of ``document`` with ``path`` set to ``value``, or removed
    (``_REMOVED``).
    """
    document = json.loads(json.dumps(document))
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    if value is _REMOVED:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return document


_REMOVED = object()


@st.composite
def bent_once(draw, template):
    """``template`` with one value replaced by junk, or removed: most of
    the body stays valid, so the junk reaches the code behind the schema.
    """
    paths = _leaves(template)
    if not paths:
        return draw(JSON)
    path = draw(st.sampled_from(paths))
    value = draw(st.one_of(HUGE_INTS, SCALARS, JSON, st.just(_REMOVED)))
    return _replaced(template, path, value)


def _raw_bodies():
    """Bodies that are not a JSON document of ours at all."""
    return st.one_of(
        st.binary(max_size=64),
        st.sampled_from([b'{', b'[1,', b'\xff\xfe{}', b'null', b'"x"', b'1',
                         b'{"a": NaN}', b'{"a": 1e999}',
                         b'9' * 5000,  # past Python's int digit limit
                         b'{"a":' * 5000 + b'1' + b'}' * 5000,
                         b'[' * 50000 + b']' * 50000,
                         b' ' * 120000]),  # past the size limit
        st.integers(1, 64).map(lambda depth: json.dumps(
            _nested(depth)).encode()))


@st.composite
def bodies(draw, method, path, world):
    """``(raw bytes or None, content type)`` of a request."""
    if method in ('GET', 'DELETE') and draw(st.integers(0, 3)):
        return None, None
    templates = _template(method, path, world)
    template = draw(st.sampled_from(templates)) if templates else None
    kind = draw(st.integers(0, 9))
    if kind < 4 and template is not None:
        raw = json.dumps(draw(bent_once(template))).encode()
    elif kind < 7 and template is not None:
        raw = json.dumps(draw(_like(template))).encode()
    elif kind < 9:
        raw = json.dumps(draw(JSON)).encode()
    else:
        raw = draw(_raw_bodies())
    content_type = draw(st.sampled_from(
        ['application/json'] * 12 + ['application/vnd.openstack.trove+json',
                                     'text/plain', 'application/xml', '']))
    return raw, content_type


def _segment(value):
    """One path segment: ``value`` percent-encoded (bytes as they are)."""
    if isinstance(value, str):
        value = value.encode('utf-8')
    return parse.quote(value, safe='')


def ids(known):
    """A path segment: a known id of the right kind, or one that names
    nothing.
    """
    return st.one_of(
        st.sampled_from(known), st.sampled_from(known),
        st.sampled_from(known),
        TEXT.filter(bool),
        st.binary(min_size=1, max_size=8),  # mostly not UTF-8
        st.sampled_from(['x' * 5000, '\x00', '%00', '..', ' ', 'u@%',
                         '\u2603', '9' * 40, '-1', 'None', 'null',
                         '%FF']))


def _kind(path, name):
    """What the placeholder ``name`` of ``path`` names, as the key of
    ``world``: the placeholder itself, or for ``{id}`` the collection
    before it.
    """
    if name != 'id':
        return name
    parts = path.split('/')
    return parts[parts.index('{id}') - 1]


QUERY_KEYS = st.sampled_from(['limit', 'marker', 'include_clustered',
                              'deleted', 'x', 'all_projects', 'project_id',
                              'instance_id', 'datastore'])
QUERIES = st.one_of(
    st.just(''),
    st.dictionaries(QUERY_KEYS, st.one_of(
        TEXT, st.sampled_from(['0', '-1', '1', '10' * 30, '1.5', 'null',
                               '9' * 5000])), max_size=3).map(
        parse.urlencode),
    st.sampled_from(['%ZZ', 'limit=%FF', 'marker=%00', '&&==', 'a' * 3000,
                     'limit']))

# (token project, X-Roles, URL project): the personas of test_router.py,
# and callers the policy table does not know.
# Those allowed the most come up the most, so that requests get past
# the policy checks.
PERSONAS = st.sampled_from([
    ('p1', 'admin', 'p1'), ('p1', 'admin', 'p1'), ('p1', 'admin', 'p1'),
    ('p1', 'member', 'p1'), ('p1', 'member', 'p1'), ('p1', 'reader', 'p1'),
    ('p2', 'member', 'p2'), ('p2', 'admin', 'p2'), ('p2', 'member', 'p1'),
    ('p1', 'nobody', 'p1'), ('p1', '', 'p1'), ('p1', ' , ,', 'p1'),
])


# -- the world the requests land in ----------------------------------------

@pytest.fixture
def world(ctx, client, mysql, flavor_rows, guest_instance,  # noqa: F811
          override):
    """Known ids by kind: ACTIVE instances of p1 and p2 with fake guests
    that have a database ``app``, a user ``u`` and a backup schedule,
    the datastores, versions and flavors of the fixtures.
    """
    # NOTE(fuzz): every limit off (0), so the fuzz reaches the routes
    # rather than 413s; test_ratelimit.py covers the limits themselves.
    for option in ('http_get_rate', 'http_post_rate', 'http_put_rate',
                   'http_delete_rate', 'http_mgmt_post_rate'):
        override(option, 0)
    # NOTE(fuzz): every guest answers at once; should one not, its
    # GuestTimeout (a 400) must not cost the budget 15 s a request.
    override('agent_call_low_timeout', 1)
    override('agent_call_high_timeout', 1)
    mine = guest_instance()
    theirs = guest_instance(project='p2')
    for instance in (mine, theirs):
        instance.datastore.create_databases([{'name': 'app'}])
        instance.datastore.create_users([{'name': 'u', 'password': 'p',
                                          'databases': [{'name': 'app'}]}])
    # A replica of mine (its guest follows mine's, read-only), so that
    # the replication rules are walked: detach, promote, eject, a
    # source's delete, a replica of a replica.
    replica = guest_instance()
    instance_repo.update(ctx, replica.id, slave_of_id=mine.id)
    fake_replication.FakeReplication(replica.datastore).attach(
        fake_replication.FakeReplication(mine.datastore).enable_as_source())
    instances = [mine.id, theirs.id, replica.id]
    # The fake version is the instances': in use, so not to be deleted.
    in_use = instance_repo.get(ctx, mine.id).datastore_version_id
    # Another version of theirs, for upgrades to go to.
    datastore_repo.upsert_version(ctx, 'fake', '1.1', 'fake')
    # Configuration parameter rules, so that their routes find some.
    datastore_repo.load_configuration_parameters(ctx, in_use, [
        {'name': 'max_connections', 'restart_required': False,
         'type': 'integer', 'min': 1, 'max': 1000},
        {'name': 'sql_mode', 'restart_required': True, 'type': 'string'}])
    # A chain of backups of each instance (full, then an increment), and
    # one that failed.
    backups = []
    for instance, project in ((mine, 'p1'), (theirs, 'p2')):
        full = db_utils.add_backup(ctx, instance.id, state='COMPLETED',
                                   tenant_id=project, size=0.1,
                                   datastore_version_id=in_use)
        backups += [full, db_utils.add_backup(
            ctx, instance.id, state='COMPLETED', tenant_id=project,
            parent_id=full, datastore_version_id=in_use),
            db_utils.add_backup(ctx, instance.id, state='FAILED',
                                tenant_id=project)]
    schedules = [schedule_repo.create(ctx, instance.id, project, 'n',
                                      '@every 1h', 2).id
                 for instance, project in ((mine, 'p1'), (theirs, 'p2'))]
    # A configuration group of each project; p1's attached to its
    # replica, so that changes reach a guest.
    groups = [config_repo.create(ctx, project, 'g', None, in_use,
                                 {'max_connections': 5}).id
              for project in ('p1', 'p2')]
    config_repo.attach(ctx, replica.id, groups[0])
    versions = [mysql['active'], mysql['inactive'], in_use]
    return {
        'instance_id': instances, 'instances': instances,
        'datastores': ['mysql', 'fake'], 'datastore': ['mysql', 'fake'],
        'versions': ['10.11', '5.7'] + versions, 'version_id': versions,
        'version': versions, 'name': ['max_connections', 'nosuch'],
        'datastore-versions': versions, 'flavors': ['1', '2', 'ab-c'],
        'databases': ['app', 'nosuch'], 'users': ['u', 'u@%', 'u@h'],
        'user_id': ['u', 'u@%'], 'project_id': ['p1', 'p2'],
        'backups': backups,
        'backup_schedules': schedules,
        'configurations': groups,
    }


# -- the property -----------------------------------------------------------

def _check(method, url, resp, errors):
    where = '%s %s -> %s' % (method, url[:300], resp.status)
    text = resp.body.decode('utf-8', 'replace')
    assert resp.status_int < 500 or resp.status_int == 501, (where, text)
    assert re.match(r'^req-[0-9a-f-]{36}$',
                    resp.headers.get('X-OpenStack-Request-ID', '')), where
    for marker in TRACE_MARKERS:
        assert marker not in text, (where, text)
    assert errors == [], (where, errors)
    if resp.status_int < 400:
        assert not text or resp.json is not None, (where, text)
        return
    assert resp.content_type == 'application/json', (where, text)
    body = resp.json
    assert isinstance(body, dict) and len(body) == 1, (where, text)
    [(name, fault)] = body.items()
    assert name in FAULT_NAMES, (where, text)
    if resp.status_int == 501:
        assert name == 'notImplemented', (where, text)
    assert fault['code'] == resp.status_int, (where, text)
    assert isinstance(fault['message'], str) and fault['message'], (
        where, text)


@pytest.mark.parametrize('method,path', ROUTES,
                         ids=['%s %s' % route for route in ROUTES])
def test_no_input_makes_a_server_error(method, path, world, client, caplog):
    placeholders = re.findall(r'\{([^}]+)\}', path)

    # NOTE(fuzz): a body has far more ways to be wrong than a path; the
    # routes that take one get four times the examples of the others.
    examples = EXAMPLES * 2 if _template(method, path) else EXAMPLES // 2

    @hypothesis.settings(
        max_examples=examples, deadline=None, derandomize=True,
        database=None, print_blob=False,
        suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture,
                               hypothesis.HealthCheck.too_slow,
                               hypothesis.HealthCheck.data_too_large,
                               hypothesis.HealthCheck.large_base_example])
    @hypothesis.given(
        persona=PERSONAS,
        values=st.fixed_dictionaries({
            name: ids(world[_kind(path, name)])
            for name in placeholders if name != 'tenant_id'}),
        query=QUERIES, body=bodies(method, path, world),
        verb=st.sampled_from([method] * 12 + ['GET', 'POST', 'PUT',
                                              'PATCH', 'DELETE']))
    def fuzz(persona, values, query, body, verb):
        token_project, roles, url_project = persona
        url = '/v1.0' + path.replace('{tenant_id}', url_project)
        for name, value in values.items():
            url = url.replace('{%s}' % name, _segment(value))
        if query:
            url += '?' + query
        req = webob.Request.blank(url, method=verb)
        req.headers['X-Auth-Token'] = 'fuzz:%s' % token_project
        req.headers['X-Roles'] = roles
        raw, content_type = body
        if raw is not None:
            req.body = raw
            if content_type:
                req.content_type = content_type
        caplog.clear()
        resp = req.get_response(client.app)
        errors = ['%s: %s' % (record.name, record.getMessage())
                  for record in caplog.records
                  if record.levelno >= logging.ERROR]
        _check(verb, url, resp, errors)

    fuzz()
