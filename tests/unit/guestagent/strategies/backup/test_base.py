"""What ``BackupStrategy`` gives every strategy: the refusal of a
parent by one that takes no incremental backups.
"""

import pytest

from tests.unit.guestagent import fakes
from trove_lite.common import exception
from trove_lite.guestagent import info as guest_info
from trove_lite.guestagent.strategies.backup import mysqldump
from trove_lite.guestagent.strategies.backup import pg_basebackup
from trove_lite.guestagent.strategies.backup import redis_rdb


@pytest.mark.parametrize('strategy_class', [
    mysqldump.MySQLDump, pg_basebackup.PgBaseBackup, redis_rdb.RedisRdb])
def test_a_full_only_strategy_refuses_a_parent_before_any_tool(
        strategy_class):
    manager = fakes.FakeManager(guest_info.GuestInfo(
        guest_id='g', datastore_manager='somedb'))
    strategy = strategy_class(manager)
    assert not strategy.incremental
    with pytest.raises(exception.DatastoreOperationNotSupported) as caught:
        strategy.backup({'to_lsn': '12'})
    assert str(caught.value) == (
        'The incremental backup (by %s) operation is not supported for the '
        'somedb datastore.' % strategy.name)
    strategy.refuse_parent(None)
