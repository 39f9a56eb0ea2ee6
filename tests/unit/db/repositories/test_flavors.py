"""Behaviour of the flavor repository on a migrated SQLite file."""

import pytest

from trove_lite.common import exception
from trove_lite.compute import base as compute_base
from trove_lite.db.repositories import datastores as ds_repo
from trove_lite.db.repositories import flavors as repo
from trove_lite.db.repositories import instances


def test_create_and_get(ctx):
    repo.create_flavor(ctx, 7, 'm1.small', 2048, 2, disk=20)
    flavor = repo.get_flavor(ctx, '7')
    assert (flavor.id, flavor.name, flavor.ram, flavor.vcpus, flavor.disk,
            flavor.ephemeral) == ('7', 'm1.small', 2048, 2, 20, 0)
    assert repo.get_flavor(ctx, 7).id == '7'


def test_get_unknown_raises(ctx):
    with pytest.raises(exception.FlavorNotFound):
        repo.get_flavor(ctx, '99')


@pytest.mark.parametrize('flavor_id,name', [('1', 'other'), ('2', 'tiny')])
def test_id_and_name_are_unique(ctx, flavor_id, name):
    repo.create_flavor(ctx, '1', 'tiny', 512, 1)
    with pytest.raises(exception.FlavorAlreadyExists):
        repo.create_flavor(ctx, flavor_id, name, 512, 1)


def test_list_orders_numeric_ids_numerically_then_others(ctx):
    for flavor_id in ('10', 'custom', '2', '1'):
        repo.create_flavor(ctx, flavor_id, 'f-' + flavor_id, 512, 1)
    assert [f.id for f in repo.list_flavors(ctx)] == [
        '1', '2', '10', 'custom']


def test_delete(ctx):
    repo.create_flavor(ctx, '1', 'tiny', 512, 1)
    repo.delete_flavor(ctx, '1')
    assert repo.list_flavors(ctx) == []
    with pytest.raises(exception.FlavorNotFound):
        repo.delete_flavor(ctx, '1')


def test_delete_refuses_while_a_version_allows_it(ctx):
    repo.create_flavor(ctx, '1', 'tiny', 512, 1)
    ds_repo.update_datastore(ctx, 'mysql')
    version = ds_repo.upsert_version(ctx, 'mysql', '8.0', 'mysql')
    ds_repo.add_version_metadata(ctx, version.id, ds_repo.FLAVOR_KEY,
                                 ['1'])
    with pytest.raises(exception.FlavorInUse):
        repo.delete_flavor(ctx, '1')
    ds_repo.delete_version_metadata(ctx, version.id, ds_repo.FLAVOR_KEY,
                                    '1')
    repo.delete_flavor(ctx, '1')


def _flavor(flavor_id, name, ram):
    return compute_base.Flavor(flavor_id, name, ram, 2, 20, 0)


def test_sync_copies_a_drivers_flavors(ctx):
    written, removed = repo.sync(ctx, [_flavor('42', 'nova.big', 8192),
                                       _flavor('43', 'nova.small', 1024)])
    assert (written, removed) == (2, 0)
    assert [(f.id, f.name, f.ram, f.vcpus, f.disk)
            for f in repo.list_flavors(ctx)] == [
        ('42', 'nova.big', 8192, 2, 20), ('43', 'nova.small', 1024, 2, 20)]
    # Nothing changed: nothing written.
    assert repo.sync(ctx, [_flavor('42', 'nova.big', 8192),
                           _flavor('43', 'nova.small', 1024)]) == (0, 0)


def test_sync_keeps_flavors_still_in_use_and_drops_the_rest(ctx):
    repo.sync(ctx, [_flavor('42', 'nova.big', 8192),
                    _flavor('43', 'nova.small', 1024),
                    _flavor('44', 'nova.pinned', 512)])
    instances.create(ctx, {'name': 'db', 'tenant_id': 'p',
                           'flavor_id': '42'})
    ds_repo.update_datastore(ctx, 'mysql')
    version = ds_repo.upsert_version(ctx, 'mysql', '8.0', 'mysql')
    ds_repo.add_version_metadata(ctx, version.id, ds_repo.FLAVOR_KEY,
                                 ['44'])
    written, removed = repo.sync(ctx, [_flavor('45', 'nova.small', 2048)])
    assert (written, removed) == (1, 1)
    assert [f.id for f in repo.list_flavors(ctx)] == ['42', '44', '45']
