"""Progress of long operations: the latest report counts, older ones not."""

import uuid

from trove_lite.db import api as db_api
from trove_lite.db import models
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import progress


@db_api.writer
def _backup(context, instance_id):
    backup = models.Backup(id=str(uuid.uuid4()), name='b', state='NEW',
                           instance_id=instance_id, tenant_id='p')
    context.session.add(backup)
    context.session.flush()
    return backup.id


def test_the_latest_report_replaces_the_one_before(admin_context):
    assert progress.record(admin_context, 'backup', 'b1', 'backup', 'i1',
                           10.0, step='copy', percent=10.0, bytes_done=10,
                           bytes_total=100, message='copying')
    assert progress.record(admin_context, 'backup', 'b1', 'backup', 'i1',
                           11.0, step='copy', percent=50.0)
    row = progress.latest(admin_context, 'backup', 'b1', 'backup')
    # A report says where the whole operation is: unsent fields clear.
    assert (row.step, row.percent, row.bytes_done, row.message, row.sent,
            row.instance_id) == ('copy', 50.0, None, None, 11.0, 'i1')


def test_stale_and_repeated_reports_are_dropped(admin_context):
    assert progress.record(admin_context, 'backup', 'b1', 'backup', 'i1',
                           10.0, percent=60.0)
    assert not progress.record(admin_context, 'backup', 'b1', 'backup',
                               'i1', 9.0, percent=20.0)
    assert not progress.record(admin_context, 'backup', 'b1', 'backup',
                               'i1', 10.0, percent=30.0)
    assert progress.latest(admin_context, 'backup', 'b1',
                           'backup').percent == 60.0


def test_operations_are_kept_apart_and_listed_newest_first(admin_context):
    progress.record(admin_context, 'instance', 'i1', 'prepare', 'i1', 1.0,
                    percent=100.0)
    progress.record(admin_context, 'instance', 'i1', 'restore', 'i1', 2.0,
                    percent=5.0)
    progress.record(admin_context, 'instance', 'i2', 'prepare', 'i2', 3.0)
    rows = progress.list_for(admin_context, 'instance', 'i1')
    assert [row.operation for row in rows] == ['restore', 'prepare']
    assert progress.latest(admin_context, 'instance', 'i1',
                           'nothing') is None
    assert progress.purge(admin_context, 'instance', 'i1') == 2
    assert progress.list_for(admin_context, 'instance', 'i1') == []
    assert len(progress.list_for(admin_context, 'instance', 'i2')) == 1


def test_owner_of_a_resource(admin_context):
    instance = instances.create(admin_context, {'name': 'db',
                                                'tenant_id': 'p'})
    backup_id = _backup(admin_context, instance.id)
    assert progress.owner_of(admin_context, 'instance',
                             instance.id) == instance.id
    assert progress.owner_of(admin_context, 'backup',
                             backup_id) == instance.id
    assert progress.owner_of(admin_context, 'backup', 'nosuch') is None
    assert progress.owner_of(admin_context, 'cluster', instance.id) is None
    instances.mark_deleted(admin_context, instance.id)
    assert progress.owner_of(admin_context, 'instance', instance.id) is None


def test_a_deleted_instance_takes_its_reports_along(admin_context):
    instance = instances.create(admin_context, {'name': 'db',
                                                'tenant_id': 'p'})
    progress.record(admin_context, 'instance', instance.id, 'prepare',
                    instance.id, 1.0)
    progress.record(admin_context, 'backup', 'b1', 'backup', instance.id,
                    1.0)
    progress.record(admin_context, 'backup', 'b2', 'backup', 'other', 1.0)
    instances.mark_deleted(admin_context, instance.id)
    assert progress.list_for(admin_context, 'instance', instance.id) == []
    assert progress.list_for(admin_context, 'backup', 'b1') == []
    assert len(progress.list_for(admin_context, 'backup', 'b2')) == 1
