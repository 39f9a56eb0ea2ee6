"""The shape of a backup schedule: no model column leaks, upstream's
timestamps.
"""

import datetime

from trove_lite.api.views import backup_schedules as views
from trove_lite.db import models


def test_a_schedule_shows_its_fields_only():
    row = models.BackupSchedule(
        id='s', tenant_id='p', instance_id='i', name='n', description=None,
        pattern='@every 5s', keep=2, incremental=None,
        next_run=datetime.datetime(2026, 3, 10, 12, 0, 5, 999),
        last_run=None, last_backup_id=None,
        created=datetime.datetime(2026, 3, 10, 12, 0, 0, 12),
        updated=datetime.datetime(2026, 3, 10, 12, 0, 0, 12),
        deleted=False, deleted_at=None)
    assert views.one(row) == {'backup_schedule': {
        'id': 's', 'instance_id': 'i', 'project_id': 'p', 'name': 'n',
        'description': None, 'pattern': '@every 5s', 'keep': 2,
        'incremental': False, 'next_run': '2026-03-10T12:00:05',
        'last_run': None, 'last_backup_id': None,
        'created': '2026-03-10T12:00:00', 'updated': '2026-03-10T12:00:00'}}
    assert views.many([row, row])['backup_schedules'] == [
        views.schedule(row)] * 2
