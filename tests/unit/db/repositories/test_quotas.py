"""Quota limits, live usage, and the atomic check-and-create."""

import pytest

from trove_lite.common import exception
from trove_lite.db.repositories import instances as instance_repo
from trove_lite.db.repositories import quotas


def _instance(ctx, project='p1', size=2):
    return instance_repo.create(ctx, {
        'name': 'db', 'tenant_id': project, 'flavor_id': 'none',
        'volume_size': size})


def test_update_then_limits(ctx, override):
    override('max_backups_per_tenant', 7)
    assert quotas.update(ctx, 'p1',
                         {'instances': 2, 'ram': None}) == {'instances': 2}
    assert quotas.update(ctx, 'p1', {'instances': 3}) == {
        'instances': 3}
    assert quotas.get_limits(ctx, 'p1') == {
        'instances': 3, 'ram': -1, 'volumes': 40, 'backups': 7}
    assert quotas.get_limits(ctx, 'p2')['instances'] == 10


def test_update_refuses_unknown_and_too_small(ctx):
    with pytest.raises(exception.QuotaResourceUnknown):
        quotas.update(ctx, 'p1', {'cores': 1})
    with pytest.raises(exception.BadValue):
        quotas.update(ctx, 'p1', {'instances': -2})


def test_usage_is_the_live_rows(ctx):
    first = _instance(ctx)
    _instance(ctx, size=3)
    _instance(ctx, project='p2')
    instance_repo.mark_deleted(ctx, first.id)
    shown = quotas.show(ctx, 'p1')
    assert shown['instances'] == (1, 0, 10)
    assert shown['volumes'] == (3, 0, 40)
    assert shown['backups'] == (0, 0, 50)


def test_run_with_quotas_creates_inside_the_check(ctx):
    quotas.update(ctx, 'p1', {'volumes': 3})
    row = quotas.run_with_quotas(ctx, 'p1', {'volumes': 2},
                                 lambda ctx: _instance(ctx))
    assert row.id
    with pytest.raises(exception.QuotaExceeded) as caught:
        quotas.run_with_quotas(ctx, 'p1',
                               {'volumes': 2, 'instances': 1},
                               lambda ctx: _instance(ctx))
    assert str(caught.value) == 'Quota exceeded for resources: volumes.'
    assert len(instance_repo.list_instances(ctx)) == 1


def test_negative_deltas_always_fit(ctx):
    quotas.update(ctx, 'p1', {'instances': 0})
    assert quotas.run_with_quotas(ctx, 'p1', {'instances': -1},
                                  lambda ctx: 'done') == 'done'


def test_a_failed_create_leaves_nothing(ctx):
    def _fails(ctx):
        _instance(ctx)
        raise RuntimeError('boom')

    with pytest.raises(RuntimeError):
        quotas.run_with_quotas(ctx, 'p1', {'instances': 1}, _fails)
    assert instance_repo.list_instances(ctx) == []
