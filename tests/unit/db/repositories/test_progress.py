"""Progress of long operations: the latest report counts, older ones not."""

from tests.unit import db_utils
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import progress


def test_the_latest_report_replaces_the_one_before(ctx):
    assert progress.record(ctx, 'backup', 'b1', 'backup', 'i1',
                           10.0, step='copy', percent=10.0, bytes_done=10,
                           bytes_total=100, message='copying')
    assert progress.record(ctx, 'backup', 'b1', 'backup', 'i1',
                           11.0, step='copy', percent=50.0)
    row = progress.latest(ctx, 'backup', 'b1', 'backup')
    # A report says where the whole operation is: unsent fields clear.
    assert (row.step, row.percent, row.bytes_done, row.message, row.sent,
            row.instance_id) == ('copy', 50.0, None, None, 11.0, 'i1')


def test_stale_and_repeated_reports_are_dropped(ctx):
    assert progress.record(ctx, 'backup', 'b1', 'backup', 'i1',
                           10.0, percent=60.0)
    assert not progress.record(ctx, 'backup', 'b1', 'backup',
                               'i1', 9.0, percent=20.0)
    assert not progress.record(ctx, 'backup', 'b1', 'backup',
                               'i1', 10.0, percent=30.0)
    assert progress.latest(ctx, 'backup', 'b1',
                           'backup').percent == 60.0


def test_operations_are_kept_apart_and_listed_newest_first(ctx):
    progress.record(ctx, 'instance', 'i1', 'prepare', 'i1', 1.0,
                    percent=100.0)
    progress.record(ctx, 'instance', 'i1', 'restore', 'i1', 2.0,
                    percent=5.0)
    progress.record(ctx, 'instance', 'i2', 'prepare', 'i2', 3.0)
    rows = progress.list_for(ctx, 'instance', 'i1')
    assert [row.operation for row in rows] == ['restore', 'prepare']
    assert progress.latest(ctx, 'instance', 'i1',
                           'nothing') is None
    assert progress.purge(ctx, 'instance', 'i1') == 2
    assert progress.list_for(ctx, 'instance', 'i1') == []
    assert len(progress.list_for(ctx, 'instance', 'i2')) == 1


def test_owner_of_a_resource(ctx):
    instance = instances.create(ctx, {'name': 'db',
                                      'tenant_id': 'p'})
    backup_id = db_utils.add_backup(ctx, instance.id)
    assert progress.owner_of(ctx, 'instance',
                             instance.id) == instance.id
    assert progress.owner_of(ctx, 'backup',
                             backup_id) == instance.id
    assert progress.owner_of(ctx, 'backup', 'nosuch') is None
    assert progress.owner_of(ctx, 'cluster', instance.id) is None
    instances.mark_deleted(ctx, instance.id)
    assert progress.owner_of(ctx, 'instance', instance.id) is None


def test_a_deleted_instance_takes_its_reports_along(ctx):
    instance = instances.create(ctx, {'name': 'db',
                                      'tenant_id': 'p'})
    progress.record(ctx, 'instance', instance.id, 'prepare',
                    instance.id, 1.0)
    progress.record(ctx, 'backup', 'b1', 'backup', instance.id,
                    1.0)
    progress.record(ctx, 'backup', 'b2', 'backup', 'other', 1.0)
    instances.mark_deleted(ctx, instance.id)
    assert progress.list_for(ctx, 'instance', instance.id) == []
    assert progress.list_for(ctx, 'backup', 'b1') == []
    assert len(progress.list_for(ctx, 'backup', 'b2')) == 1
