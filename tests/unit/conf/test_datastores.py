"""Tests for the per-datastore option groups."""

from oslo_config import cfg

from trove_lite.common import plugins
from trove_lite.conf import datastores


def test_a_group_per_installed_datastore_manager():
    installed = plugins.names(plugins.GUEST_DATASTORES)
    assert datastores.groups() == installed
    assert sorted(datastores.list_opts()) == list(installed)
    for group in installed:
        assert datastores.options_for(cfg.CONF, group) is cfg.CONF[group]
    assert datastores.options_for(cfg.CONF, 'db2') is None


def test_strategy_options_have_a_home():
    mysql = cfg.CONF.mysql
    assert mysql.backup_strategy == 'mariabackup'
    assert mysql.backup_namespace == datastores.BACKUP_NAMESPACE
    assert mysql.restore_namespace == datastores.RESTORE_NAMESPACE
    assert mysql.replication_strategy == 'mysql_gtid'
    assert mysql.replication_namespace == datastores.REPLICATION_NAMESPACE
    assert cfg.CONF.redis.replication_strategy == 'redis_replicaof'
    assert cfg.CONF.redis.root_on_create is True
    assert cfg.CONF.mariadb.replication_strategy == 'mariadb_gtid'
    assert cfg.CONF.mariadb.replication_semi_sync is False
    assert cfg.CONF.mariadb.replication_semi_sync_timeout == 10000


def test_the_replication_account_is_hidden_from_tenants():
    for group in ('mysql', 'mariadb'):
        assert 'os_repl' in cfg.CONF[group].ignore_users


def test_a_datastore_without_table_entries_gets_the_generic_defaults():
    values = datastores.defaults('some_plugin_datastore')
    assert values['ignore_users'] == []
    assert values['backup_strategy'] is None
    assert values['replication_strategy'] is None
    assert values['backup_namespace'] == datastores.BACKUP_NAMESPACE
    assert values['backup_incremental_strategy'] is None
    # The fake datastore has a strategy of its own (its state as JSON).
    assert cfg.CONF.fake.backup_strategy == 'fake'


def test_options_are_listed_in_the_same_order_every_time():
    first = [(group, [opt.name for opt in opts])
             for group, opts in datastores.list_opts().items()]
    second = [(group, [opt.name for opt in opts])
              for group, opts in datastores.list_opts().items()]
    assert first == second
    assert [group for group, _ in first] == sorted(group
                                                   for group, _ in first)
