"""The backup strategy routes: upsert, list, delete, and who may."""

import pytest

from tests.unit.api.conftest import member
from tests.unit import db_utils
from trove_lite.db.repositories import backups as backup_repo

UNKNOWN = '8b1f5e9c-8a43-4b4a-9b7e-0f1f2a3b4c5d'


@pytest.fixture
def instance(ctx):
    return db_utils.add_active_instance(ctx)


def _create(client, headers=None, **fields):
    return client.v1('POST', '/backup_strategies',
                     body={'backup_strategy': fields}, headers=headers)


def _strategies(client, query='', headers=None):
    resp = client.v1('GET', '/backup_strategies' + query, headers=headers)
    assert resp.status_int == 200, resp.text
    return sorted((s['project_id'], s['instance_id'], s['swift_container'])
                  for s in resp.json['backup_strategies'])


def test_create_upserts_and_lists(client, instance):
    resp = _create(client, swift_container='c1', headers=member())
    assert resp.status_int == 202, resp.text
    assert resp.json == {'backup_strategy': {
        'project_id': 'p1', 'instance_id': '', 'backend': 'swift',
        'swift_container': 'c1'}}
    _create(client, swift_container='c2', headers=member())
    _create(client, swift_container='ci', instance_id=instance.id,
            headers=member())
    assert _strategies(client, headers=member()) == [
        ('p1', '', 'c2'), ('p1', instance.id, 'ci')]
    assert _strategies(client, '?instance_id=%s' % instance.id) == [
        ('p1', instance.id, 'ci')]


def test_delete_is_202_whether_or_not_there_was_one(client, instance, ctx):
    _create(client, swift_container='ci', instance_id=instance.id)
    _create(client, swift_container='c')
    resp = client.v1('DELETE', '/backup_strategies?instance_id=%s'
                     % instance.id, headers=member())
    assert resp.status_int == 202, resp.text
    assert _strategies(client) == [('p1', '', 'c')]
    for _ in range(2):
        assert client.v1('DELETE', '/backup_strategies').status_int == 202
    assert backup_repo.list_strategies(ctx, 'p1') == []


@pytest.mark.parametrize('fields', [
    {}, {'swift_container': ''}, {'swift_container': 'c', 'extra': 1},
    {'swift_container': 'c', 'instance_id': 'nope'}])
def test_bad_bodies_are_400(client, ctx, fields):
    resp = _create(client, **fields)
    assert resp.status_int == 400, resp.text
    assert list(resp.json) == ['badRequest']
    assert backup_repo.list_strategies(ctx, 'p1') == []


def test_an_unknown_or_other_projects_instance_is_404(client, ctx):
    theirs = db_utils.add_active_instance(ctx, project='p2')
    for instance_id in (UNKNOWN, theirs.id):
        resp = _create(client, swift_container='c', instance_id=instance_id,
                       headers=member())
        assert resp.status_int == 404, resp.text
        assert list(resp.json) == ['itemNotFound']
    assert backup_repo.list_strategies(ctx, 'p1') == []
    assert backup_repo.list_strategies(ctx, 'p2') == []


def test_another_project_is_an_admins(client, ctx):
    backup_repo.upsert_strategy(ctx, 'p2', '', 'theirs')
    for method in ('GET', 'DELETE'):
        resp = client.v1(method, '/backup_strategies?project_id=p2',
                         headers=member())
        assert resp.status_int == 403, resp.text
        assert list(resp.json) == ['forbidden']
    assert _strategies(client, '?project_id=p2') == [('p2', '', 'theirs')]
    assert client.v1('DELETE', '/backup_strategies?project_id=p2'
                     ).status_int == 202
    assert backup_repo.list_strategies(ctx, 'p2') == []


def test_a_reader_may_list_but_not_change(client, ctx):
    reader = {'X-Roles': 'reader'}
    assert _create(client, swift_container='c',
                   headers=reader).status_int == 403
    assert client.v1('DELETE', '/backup_strategies',
                     headers=reader).status_int == 403
    assert _strategies(client, headers=reader) == []
