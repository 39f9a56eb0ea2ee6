"""The management quota routes: upstream's shapes, who may do what."""

from tests.unit.api.conftest import member


def _show(client, project='p2', **kwargs):
    return client.v1('GET', '/mgmt/quotas/%s' % project, **kwargs)


def _update(client, quotas, project='p2', **kwargs):
    return client.v1('PUT', '/mgmt/quotas/%s' % project,
                     body={'quotas': quotas}, **kwargs)


def test_show_lists_every_resource_with_defaults(client, override):
    override('max_instances_per_tenant', 4)
    resp = _show(client)
    assert resp.status_int == 200
    assert resp.json == {'quotas': [
        {'resource': 'backups', 'in_use': 0, 'reserved': 0, 'limit': 50},
        {'resource': 'instances', 'in_use': 0, 'reserved': 0, 'limit': 4},
        {'resource': 'ram', 'in_use': 0, 'reserved': 0, 'limit': -1},
        {'resource': 'volumes', 'in_use': 0, 'reserved': 0, 'limit': 40},
    ]}


def test_update_answers_the_changed_limits(client):
    resp = _update(client, {'instances': 5, 'ram': None, 'volumes': -1})
    assert resp.status_int == 200
    assert resp.json == {'quotas': {'instances': 5, 'volumes': -1}}
    limits = {q['resource']: q['limit'] for q in _show(client).json['quotas']}
    assert limits == {'backups': 50, 'instances': 5, 'ram': -1,
                      'volumes': -1}
    assert _update(client, {'instances': 6}).json == {
        'quotas': {'instances': 6}}


def test_update_shows_in_the_projects_limits(client):
    _update(client, {'instances': 2, 'backups': 3}, project='p1')
    absolute = client.v1('GET', '/limits').json['limits'][0]
    assert absolute['max_instances'] == 2
    assert absolute['max_backups'] == 3


def test_unknown_resource_is_404(client):
    resp = _update(client, {'instances': 2, 'cores': 3})
    assert resp.status_int == 404
    assert 'itemNotFound' in resp.json
    assert _show(client).json['quotas'][1]['limit'] == 10


def test_bad_values_are_400(client):
    for quotas in ({'instances': -2}, {'instances': 'many'},
                   {'instances': 1.5}, {}):
        resp = _update(client, quotas)
        assert resp.status_int == 400, quotas
        assert 'badRequest' in resp.json
    resp = client.v1('PUT', '/mgmt/quotas/p2', body={'quota': {}})
    assert resp.status_int == 400


def test_member_reads_only_its_own_project(client):
    assert _show(client, project='p1', headers=member()).status_int == 200
    resp = _show(client, project='p2', headers=member())
    assert resp.status_int == 403
    assert 'forbidden' in resp.json


def test_update_is_admin_only(client):
    resp = _update(client, {'instances': 1}, project='p1', headers=member())
    assert resp.status_int == 401
    assert resp.json['unauthorized']['message'] == \
        'User does not have admin privileges.'


def test_a_limit_the_table_cannot_hold_is_a_400(client):
    # NOTE(issue13): 2**64 reached the database: a 500 DBError.
    for value in (2 ** 64, 2 ** 31):
        resp = _update(client, {'instances': value})
        assert resp.status_int == 400, resp.text
        assert 'is greater than the maximum' in resp.json['badRequest'][
            'message']
    resp = _update(client, {'instances': 2 ** 31 - 1})
    assert resp.json == {'quotas': {'instances': 2 ** 31 - 1}}
