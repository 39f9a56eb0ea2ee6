"""The flavor catalogue follows the compute driver, so the RAM quota and
the API's flavor list work with flavors only a cloud driver knows."""

import types

from trove_lite.api.views import flavors as flavor_views
from trove_lite.compute import base as compute_base
from trove_lite.compute.fake import driver as fake_driver
from trove_lite.db.repositories import flavors
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import quotas
from trove_lite.taskmanager import flavor_sync


class NovaLikeDriver(fake_driver.FakeDriver):
    """Flavors that live in the compute service, not in the infra DB."""

    flavors_in_infra_db = False

    def __init__(self, flavor_list):
        super().__init__()
        self.flavor_list = flavor_list

    def list_flavors(self, context):
        return list(self.flavor_list)


# What the flavor view reads of a request: its host and project.
REQ = types.SimpleNamespace(host='db.example', environ={
    'trove_lite.context': types.SimpleNamespace(project_id='p9')})
BIG = compute_base.Flavor('42', 'nova.big', 8192, 4, 40, 0)


def test_the_ram_quota_counts_a_flavor_only_the_driver_knows(ctx):
    instances.create(ctx, {'name': 'db', 'tenant_id': 'p9',
                           'flavor_id': '42'})
    # NOTE(quota): what went wrong: the instance's RAM counted as 0.
    assert quotas.get_usage(ctx, 'p9')['ram'] == 0
    assert flavor_sync.sync_flavors(ctx, NovaLikeDriver([BIG])) == (1, 0)
    assert quotas.get_usage(ctx, 'p9')['ram'] == 8192


def test_the_api_shows_a_synced_flavor_as_a_local_one(ctx):
    local = flavors.create_flavor(ctx, '7', 'local.big', 8192, 4, 40)
    local_view = flavor_views.flavor(REQ, local)
    flavors.delete_flavor(ctx, '7')
    flavor_sync.sync_flavors(ctx, NovaLikeDriver(
        [BIG._replace(id='7', name='local.big')]))
    assert flavor_views.flavor(REQ, flavors.get_flavor(ctx, '7')) == \
        local_view


def test_a_driver_whose_flavors_are_the_table_is_left_alone(ctx, flavor):
    driver = fake_driver.FakeDriver()
    driver.list_flavors = None  # NOTE(test): it must not even be asked.
    assert flavor_sync.sync_flavors(ctx, driver) == (0, 0)
    assert [f.id for f in flavors.list_flavors(ctx)] == [flavor.id]


def test_the_service_syncs_at_start(ctx):
    service = flavor_sync.FlavorSyncService(NovaLikeDriver([BIG]),
                                            interval=0)
    service.start()
    service.stop()
    service.wait()
    assert [f.name for f in flavors.list_flavors(ctx)] == ['nova.big']


def test_a_failing_driver_is_logged_not_raised(ctx):
    driver = NovaLikeDriver([])

    def broken(context):
        raise compute_base.ComputeError(reason='nova is down')

    driver.list_flavors = broken
    assert flavor_sync.FlavorSyncService(driver).run_once() is None
