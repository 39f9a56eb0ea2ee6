"""The datastore routes as tenants and admins see them."""

from trove_lite.db.repositories import datastores

from tests.unit.api.conftest import member


def test_index_lists_datastores_with_versions(client, mysql):
    resp = client.v1('GET', '/datastores')
    assert resp.status_int == 200
    [store] = resp.json['datastores']
    assert store['name'] == 'mysql'
    assert store['default_version'] == mysql['active']
    assert {v['name'] for v in store['versions']} == {'10.11', '5.7'}
    assert store['links'][0]['rel'] == 'self'
    assert store['links'][0]['href'].startswith('https://')
    assert 'links' not in resp.json  # one page only


def test_members_see_only_active_versions(client, mysql):
    resp = client.v1('GET', '/datastores', headers=member())
    [store] = resp.json['datastores']
    assert [v['id'] for v in store['versions']] == [mysql['active']]
    assert 'active' not in store['versions'][0]  # admin-only field


def test_members_do_not_see_datastores_without_active_versions(
        client, ctx):
    datastores.update_datastore(ctx, 'redis')
    datastores.upsert_version(ctx, 'redis', '7.0', 'redis',
                              active=False)
    assert client.v1('GET', '/datastores',
                     headers=member()).json['datastores'] == []
    assert len(client.v1('GET', '/datastores').json['datastores']) == 1


def test_show_by_name_and_id(client, mysql):
    by_name = client.v1('GET', '/datastores/mysql').json['datastore']
    by_id = client.v1('GET', '/datastores/%s' % by_name['id'])
    assert by_id.json['datastore'] == by_name


def test_show_unknown_datastore_is_404(client, mysql):
    resp = client.v1('GET', '/datastores/nosuch')
    assert resp.status_int == 404
    assert resp.json == {'itemNotFound': {
        'code': 404, 'message': 'Datastore nosuch cannot be found.'}}


def test_version_index_and_show(client, mysql):
    versions = client.v1('GET', '/datastores/mysql/versions').json[
        'versions']
    assert len(versions) == 2
    shown = client.v1('GET', '/datastores/mysql/versions/10.11').json[
        'version']
    assert shown['id'] == mysql['active']
    assert shown['datastore'] == client.v1(
        'GET', '/datastores/mysql').json['datastore']['id']
    by_uuid = client.v1('GET', '/datastores/versions/%s' % mysql['active'])
    assert by_uuid.json['version'] == shown


def test_unknown_version_is_400_as_upstream(client, mysql):
    resp = client.v1('GET', '/datastores/mysql/versions/9.9')
    assert resp.status_int == 400
    assert resp.json['badRequest']['message'] == \
        'Datastore version 9.9 cannot be found.'
    resp = client.v1('GET', '/datastores/versions/nosuch')
    assert resp.status_int == 400


def test_version_pagination(client, ctx, override):
    datastores.update_datastore(ctx, 'pg')
    for number in range(5):
        datastores.upsert_version(ctx, 'pg', '1%d' % number,
                                  'postgresql')
    first = client.v1('GET', '/datastores/pg/versions?limit=2').json
    assert len(first['versions']) == 2
    [link] = first['links']
    assert link['rel'] == 'next'
    marker = first['versions'][-1]['id']
    assert 'marker=%s' % marker in link['href']
    assert 'limit=2' in link['href']
    second = client.v1('GET', '/datastores/pg/versions?limit=2&marker=%s'
                       % marker).json
    third_marker = second['versions'][-1]['id']
    third = client.v1('GET', '/datastores/pg/versions?limit=2&marker=%s'
                      % third_marker).json
    seen = [v['id'] for page in (first, second, third)
            for v in page['versions']]
    assert len(seen) == len(set(seen)) == 5
    assert 'links' not in third


def test_page_size_caps_limit(client, ctx, override):
    override('datastores_page_size', 2)
    datastores.update_datastore(ctx, 'pg')
    for number in range(3):
        datastores.upsert_version(ctx, 'pg', '1%d' % number,
                                  'postgresql')
    page = client.v1('GET', '/datastores/pg/versions?limit=50').json
    assert len(page['versions']) == 2 and 'links' in page


def test_bad_limit_is_400(client, mysql):
    resp = client.v1('GET', '/datastores?limit=0')
    assert resp.status_int == 400
    resp = client.v1('GET', '/datastores?limit=x')
    assert resp.json['badRequest']['code'] == 400


def test_associated_flavors(client, mysql, flavor_rows, ctx):
    path = '/datastores/mysql/versions/%s/flavors' % mysql['active']
    assert len(client.v1('GET', path).json['flavors']) == 3
    datastores.add_version_metadata(ctx, mysql['active'],
                                    'flavor', ['2'])
    assert [f['str_id'] for f in client.v1('GET', path).json['flavors']] \
        == ['2']


def test_delete_needs_admin_and_no_versions(client, mysql):
    resp = client.v1('DELETE', '/datastores/mysql', headers=member())
    assert resp.status_int == 403
    assert resp.json['forbidden']['message'] == \
        "Policy doesn't allow datastore:delete to be performed."
    resp = client.v1('DELETE', '/datastores/mysql')
    assert resp.status_int == 400
    assert 'versions' in resp.json['badRequest']['message']
