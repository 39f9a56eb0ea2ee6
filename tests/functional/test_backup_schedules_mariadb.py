"""Scheduled backup claims on the real MariaDB: taskmanagers that race for
the same due runs each claim a run exactly once.

SQLite serialises every writer, so the unit test of the race
(``tests/unit/db/repositories/test_backup_schedules.py``) cannot show that
the conditional UPDATE of ``next_run`` is what makes one winner; InnoDB
runs the racing transactions side by side, each on a connection of its
own, and only the row lock and the re-read of ``next_run`` under it leave
one of them with a changed row.
"""

import datetime
import threading

from tests.functional import fixtures
from tests.unit import db_utils
from trove_lite.common import context
from trove_lite.db.repositories import backup_schedules as repo

TASKMANAGERS = 6
SCHEDULES = 20


def test_racing_taskmanagers_claim_each_run_once_on_mariadb():
    with fixtures.mariadb_database() as url, \
            db_utils.database(url, migrate=True):
        admin = context.get_admin_context()
        created = [repo.create(admin, 'i%d' % n, 'p1', 'n%d' % n,
                               '@every 1h', 2) for n in range(SCHEDULES)]
        now = max(row.next_run for row in created) + datetime.timedelta(
            seconds=1)
        # Every taskmanager reads the same due rows before any claims.
        seen = [repo.due(admin, now, SCHEDULES) for _ in range(TASKMANAGERS)]
        assert all(len(rows) == SCHEDULES for rows in seen)
        start = threading.Barrier(TASKMANAGERS)
        won = [[] for _ in range(TASKMANAGERS)]
        errors = []

        def taskmanager(index):
            try:
                start.wait()
                for row in seen[index]:
                    claimed = repo.claim(context.get_admin_context(), row,
                                         now)
                    if claimed is not None:
                        won[index].append(claimed.id)
            except Exception as error:  # reported below
                errors.append(error)

        threads = [threading.Thread(target=taskmanager, args=(index,))
                   for index in range(TASKMANAGERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        claims = sorted(schedule_id for ids in won for schedule_id in ids)
        assert claims == sorted(row.id for row in created)
        assert repo.claim_due(admin, now, SCHEDULES) == []
        for row in repo.list_all(admin):
            assert row.next_run == now + datetime.timedelta(hours=1)
