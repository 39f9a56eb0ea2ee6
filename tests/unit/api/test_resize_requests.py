"""The checks of a resize request, on rows in states the API does not
reach quickly."""

import pytest

from tests.unit import db_utils
from trove_lite.api import resize_requests
from trove_lite.common import exception
from trove_lite.db.repositories import flavors
from trove_lite.db.repositories import instances


@pytest.fixture
def active(ctx):
    flavors.create_flavor(ctx, '1', 'm1.tiny', 512, 1, 1)
    flavors.create_flavor(ctx, '2', 'm1.small', 2048, 1, 20)
    return db_utils.add_active_instance(ctx)


def test_a_body_names_one_kind(active):
    assert resize_requests.kind_of({'resize': {'volume': {'size': 2}}}) == \
        resize_requests.VOLUME
    assert resize_requests.kind_of({'resize': {'flavorRef': 2}}) == \
        resize_requests.FLAVOR
    with pytest.raises(exception.BadRequest) as caught:
        resize_requests.kind_of({'resize': {'volume': {'size': 'x'}}})
    assert 'Validation error' in str(caught.value)


def test_a_volume_resize_counts_what_it_adds(ctx, active):
    [change] = resize_requests.volume_changes(ctx, active, '4')
    assert change.deltas == {'volumes': 3}
    assert change.arguments == {'new_size': 4, 'old_size': 1}
    assert change.operation == 'resize_volume'


def test_a_flavor_resize_counts_the_ram_it_adds(ctx, active):
    change = resize_requests.flavor_change(ctx, active, '2')
    assert change.deltas == {'ram': 1536}


def test_an_instance_without_volume_or_of_a_cluster(ctx, active):
    instances.update(ctx, active.id, volume_size=None)
    with pytest.raises(exception.BadRequest) as caught:
        resize_requests.volume_changes(ctx, instances.get(ctx, active.id),
                                       2)
    assert str(caught.value) == 'Instance %s has no volume.' % active.id
    instances.update(ctx, active.id, volume_size=1)
    row = instances.get(ctx, active.id)
    # A member of a cluster (the row as read; never stored).
    row.cluster_id = 'c1'
    for check in (lambda: resize_requests.volume_changes(ctx, row, 2),
                  lambda: resize_requests.flavor_change(ctx, row, '2')):
        with pytest.raises(exception.NotImplementedYet):
            check()


def test_a_replica_that_cannot_act_refuses_the_resize(ctx, active):
    replica = db_utils.add_active_instance(ctx)
    instances.update(ctx, replica.id, slave_of_id=active.id)
    instances.start(ctx, replica.id, 'restart', 'h')
    with pytest.raises(exception.InstanceNotReady):
        resize_requests.volume_changes(ctx, active, 2)
