"""The rules of replication requests, on their own (the routes are in
``controllers/test_replicas.py``).
"""

import datetime
import types

import pytest

from tests.unit import db_utils
from trove_lite.api import replica_requests
from trove_lite.common import exception
from trove_lite.db.repositories import instances


def test_replica_names():
    assert replica_requests.replica_names('r', 1) == ['r']
    assert replica_requests.replica_names('r', 3) == ['r-1', 'r-2', 'r-3']


@pytest.mark.parametrize('manager', ['cassandra', 'fake'])
def test_a_manager_without_a_strategy_has_no_replication(override, manager):
    override('replication_strategy', None, group='fake')
    with pytest.raises(exception.ReplicationNotSupported) as caught:
        replica_requests.strategy_of(types.SimpleNamespace(manager=manager))
    assert caught.value.code == 400
    assert '[%s] replication_strategy is not set' % manager in str(
        caught.value)


def test_the_configured_strategy_is_named(override):
    version = types.SimpleNamespace(manager='fake')
    assert replica_requests.strategy_of(version) == 'fake'
    override('replication_strategy', 'mariadb_gtid', group='fake')
    assert replica_requests.strategy_of(version) == 'mariadb_gtid'


def test_a_strategy_that_is_not_installed_is_refused(override):
    override('replication_strategy', 'other', group='fake')
    with pytest.raises(exception.ReplicationNotSupported) as caught:
        replica_requests.strategy_of(types.SimpleNamespace(manager='fake'))
    assert 'other is not installed' in str(caught.value)


def test_eject_is_refused_until_the_heartbeat_is_older_than_the_expiry(
        ctx, override):
    override('agent_heartbeat_expiry', 60)
    source = db_utils.add_active_instance(ctx)
    replica = db_utils.add_active_instance(ctx)
    instances.update(ctx, replica.id, slave_of_id=source.id)
    beat = instances.get_heartbeat(ctx, source.id).updated_at
    with pytest.raises(exception.ReplicaSourceAlive) as caught:
        replica_requests.ejection_group(
            ctx, source, now=beat + datetime.timedelta(seconds=59.9))
    assert 'its last heartbeat was 59 seconds ago' in str(caught.value)
    members = replica_requests.ejection_group(
        ctx, source, now=beat + datetime.timedelta(seconds=60))
    assert members == [source.id, replica.id]


def test_has_replicas_counts_live_ones(ctx):
    source = db_utils.add_active_instance(ctx)
    assert not replica_requests.has_replicas(ctx, source)
    replica = db_utils.add_active_instance(ctx)
    instances.update(ctx, replica.id, slave_of_id=source.id)
    assert replica_requests.has_replicas(ctx, source)
    instances.mark_deleted(ctx, replica.id)
    assert not replica_requests.has_replicas(ctx, source)
