"""The backup schedules of an instance: create, list, show, delete, and
the refusals.
"""

import pytest

from tests.unit.api.conftest import member
from trove_lite.db.repositories import backup_schedules as schedule_repo
from trove_lite.db.repositories import instances as instance_repo

FIELDS = {'id', 'instance_id', 'project_id', 'name', 'description',
          'pattern', 'keep', 'incremental', 'next_run', 'last_run',
          'last_backup_id', 'created', 'updated'}


@pytest.fixture
def instance_of(ctx, flavor):
    def _make(project='p1'):
        return instance_repo.create(ctx, {
            'name': 'db', 'tenant_id': project, 'flavor_id': flavor.id,
            'volume_size': 1}).id
    return _make


@pytest.fixture
def instance_id(instance_of):
    return instance_of()


def _path(instance_id, schedule_id=None):
    path = '/instances/%s/backup_schedules' % instance_id
    return path + ('/%s' % schedule_id if schedule_id else '')


def _body(**values):
    spec = {'name': 'nightly', 'pattern': '0 3 * * *', 'keep': 3}
    spec.update(values)
    return {'backup_schedule': spec}


def test_create_list_show_delete(client, ctx, instance_id):
    resp = client.v1('POST', _path(instance_id), headers=member(),
                     body=_body(incremental=True, description='daily'))
    assert resp.status_int == 200, resp.text
    shown = resp.json['backup_schedule']
    assert set(shown) == FIELDS
    assert {key: shown[key] for key in (
        'instance_id', 'project_id', 'name', 'description', 'pattern',
        'keep', 'incremental', 'last_run', 'last_backup_id')} == {
        'instance_id': instance_id, 'project_id': 'p1', 'name': 'nightly',
        'description': 'daily', 'pattern': '0 3 * * *', 'keep': 3,
        'incremental': True, 'last_run': None, 'last_backup_id': None}
    # Upstream's timestamps: naive ISO 8601, whole seconds.
    assert shown['next_run'].endswith('T03:00:00')
    assert '.' not in shown['created']
    row = schedule_repo.get(ctx, shown['id'], instance_id)
    assert row.tenant_id == 'p1' and row.incremental is True

    listed = client.v1('GET', _path(instance_id), headers=member())
    assert listed.status_int == 200
    assert listed.json == {'backup_schedules': [shown]}
    assert client.v1('GET', _path(instance_id, shown['id']),
                     headers=member()).json == {'backup_schedule': shown}

    resp = client.v1('DELETE', _path(instance_id, shown['id']),
                     headers=member())
    assert resp.status_int == 202 and resp.body == b''
    assert client.v1('GET', _path(instance_id)).json == {
        'backup_schedules': []}
    resp = client.v1('GET', _path(instance_id, shown['id']))
    assert resp.status_int == 404
    assert list(resp.json) == ['itemNotFound']


def test_defaults_and_every_seconds(client, instance_id):
    resp = client.v1('POST', _path(instance_id),
                     body=_body(pattern='@every 5s', keep=1))
    assert resp.status_int == 200, resp.text
    shown = resp.json['backup_schedule']
    assert (shown['incremental'], shown['description'], shown['keep']) == (
        False, None, 1)


@pytest.mark.parametrize('body,message', [
    (_body(pattern='every day'), "pattern 'every day' is not valid"),
    (_body(pattern='61 * * * *'), 'out of range'),
    (_body(pattern='@every 0s'), 'shorter than the shortest'),
    (_body(keep=0), 'keep'),
    (_body(keep=-1), 'keep'),
    (_body(keep='3'), 'keep'),
    (_body(keep=2 ** 31), 'keep'),
    (_body(incremental='yes'), 'incremental'),
    (_body(name=''), 'name'),
    (_body(pattern='x' * 65), 'pattern'),
    (_body(extra=1), 'extra'),
    ({'backup_schedule': {'name': 'n', 'keep': 1}}, 'pattern'),
    ({'schedule': {}}, 'backup_schedule'),
    (None, 'JSON body'),
])
def test_bad_bodies_are_400s(client, ctx, instance_id, body, message):
    resp = client.v1('POST', _path(instance_id), body=body)
    assert resp.status_int == 400, resp.text
    assert list(resp.json) == ['badRequest']
    assert message in resp.json['badRequest']['message']
    assert schedule_repo.list_all(ctx) == []


def test_an_unknown_instance_is_a_404(client, ctx, instance_id):
    for method, path, body in [
            ('GET', _path('nosuch'), None),
            ('POST', _path('nosuch'), _body()),
            ('GET', _path('nosuch', 'x'), None),
            ('DELETE', _path('nosuch', 'x'), None)]:
        resp = client.v1(method, path, body=body, headers=member())
        assert resp.status_int == 404, (method, resp.text)
        assert 'Instance nosuch cannot be found' in \
            resp.json['itemNotFound']['message']
    assert schedule_repo.list_all(ctx) == []


def test_another_projects_instance_is_a_404(client, ctx, instance_of):
    theirs = instance_of('p2')
    schedule = schedule_repo.create(ctx, theirs, 'p2', 'n', '@every 1h', 2)
    for method, path, body in [
            ('GET', _path(theirs), None),
            ('POST', _path(theirs), _body()),
            ('GET', _path(theirs, schedule.id), None),
            ('DELETE', _path(theirs, schedule.id), None)]:
        resp = client.v1(method, path, body=body, headers=member())
        assert resp.status_int == 404, (method, resp.text)
        assert list(resp.json) == ['itemNotFound']
    assert [row.id for row in schedule_repo.list_all(ctx)] == [schedule.id]


def test_a_schedule_of_another_instance_is_a_404(client, ctx, instance_of):
    mine, other = instance_of(), instance_of()
    schedule = schedule_repo.create(ctx, other, 'p1', 'n', '@every 1h', 2)
    for method in ('GET', 'DELETE'):
        resp = client.v1(method, _path(mine, schedule.id))
        assert resp.status_int == 404, resp.text
        assert 'Backup schedule %s cannot be found' % schedule.id in \
            resp.json['itemNotFound']['message']
    assert schedule_repo.get(ctx, schedule.id, other).id == schedule.id


def test_a_reader_may_look_but_not_schedule(client, ctx, instance_id):
    reader = {'X-Roles': 'reader'}
    assert client.v1('GET', _path(instance_id),
                     headers=reader).status_int == 200
    resp = client.v1('POST', _path(instance_id), body=_body(),
                     headers=reader)
    assert resp.status_int == 403, resp.text
    assert schedule_repo.list_all(ctx) == []
