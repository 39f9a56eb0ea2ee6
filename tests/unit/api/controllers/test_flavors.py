"""The flavor routes."""

from trove_lite.db.repositories import flavors as flavor_repo


def test_index_orders_numeric_ids_first(client, flavor_rows):
    flavors = client.v1('GET', '/flavors').json['flavors']
    assert [f['str_id'] for f in flavors] == ['1', '2', 'ab-c']
    assert flavors[0]['id'] == 1
    assert flavors[2]['id'] is None  # not a number: upstream sends null
    assert flavors[0]['ram'] == 512 and flavors[0]['vcpus'] == 1


def test_show(client, flavor_rows):
    flavor = client.v1('GET', '/flavors/2').json['flavor']
    assert flavor['name'] == 'm1.small' and flavor['disk'] == 20
    assert flavor['links'][1]['href'].endswith('/flavors/2')


def test_show_by_name_is_404_so_the_cli_falls_back_to_list(
        client, flavor_rows):
    resp = client.v1('GET', '/flavors/m1.small')
    assert resp.status_int == 404
    assert list(resp.json) == ['itemNotFound']


def test_leading_zero_id_is_not_numeric(client, ctx):
    flavor_repo.create_flavor(ctx, '007', 'bond', 128, 1)
    [flavor] = client.v1('GET', '/flavors').json['flavors']
    assert flavor['id'] is None and flavor['str_id'] == '007'
