"""Per-datastore groups: one ``[<manager>]`` group for every installed
datastore manager (``[mysql]``, ``[mariadb]``, ``[postgresql]``,
``[redis]``, ``[fake]``, and any plugin's), with upstream's names and
defaults.

They tune what the API shows and offers for instances of that datastore
manager (accounts and schemas hidden from listings and refused on
create, whether root is enabled at create time, how long generated
passwords are) and name the guest's strategy plugins: backup, restore
and replication strategies are stevedore plugins, loaded from the entry
point namespace ``<kind>_namespace`` under the name ``<kind>_strategy``
(``common/plugins.load``). A strategy left unset means the datastore does
not offer that feature. What a datastore can do at all is not
configuration but its manifest (``guestagent/datastores/<family>/
manifest.py``).

NOTE(plugins): the groups come from the entry point names of namespace
``trove_lite.guestagent.datastores`` (read without importing a plugin),
so a datastore installed as a plugin gets its group, with the generic
defaults of ``_GENERIC``, without an edit here. Names are sorted, so the
generated sample is the same on every run of one installation.
"""

from oslo_config import cfg

from trove_lite.common import plugins

BACKUP_NAMESPACE = 'trove_lite.guestagent.backup'
# NOTE(strategies): one plugin both writes and restores its streams, so
# restores look in the backup namespace unless told otherwise; a backup
# is restored by the strategy whose name it recorded.
RESTORE_NAMESPACE = BACKUP_NAMESPACE
REPLICATION_NAMESPACE = 'trove_lite.guestagent.strategies.replication'


_GENERIC = {
    'ignore_users': [],
    'ignore_dbs': [],
    'root_on_create': False,
    'backup_strategy': None,
    'backup_incremental_strategy': None,
    'backup_namespace': BACKUP_NAMESPACE,
    'restore_namespace': RESTORE_NAMESPACE,
    'replication_strategy': None,
    'replication_namespace': REPLICATION_NAMESPACE,
    'guest_log_exposed_logs': [],
}

# NOTE(upstream): upstream names Python classes (``InnoBackupEx``,
# ``MysqlGTIDReplication``) in module namespaces; here a namespace is an
# entry point group and a strategy an entry point name in it. The
# strategies named come with the backup and replication features; until
# they are installed, asking for one fails with the plugin loader's
# message (namespace, name, option, what is installed).
_DEFAULTS = {
    'mysql': {
        'ignore_users': ['os_admin', 'os_repl', 'root'],
        'ignore_dbs': ['mysql', 'information_schema', 'performance_schema',
                       'sys'],
        'backup_strategy': 'mariabackup',
        'backup_incremental_strategy': 'mariabackup',
        'replication_strategy': 'mysql_gtid',
        'guest_log_exposed_logs': ['general', 'slow_query'],
    },
    'mariadb': {
        'ignore_users': ['os_admin', 'os_repl', 'root'],
        'ignore_dbs': ['mysql', 'information_schema', 'performance_schema'],
        'backup_strategy': 'mariabackup',
        'backup_incremental_strategy': 'mariabackup',
        'replication_strategy': 'mariadb_gtid',
        'guest_log_exposed_logs': ['general', 'slow_query'],
    },
    'postgresql': {
        'ignore_users': ['os_admin', 'os_repl', 'postgres', 'root'],
        'ignore_dbs': ['os_admin', 'postgres'],
        'backup_strategy': 'pg_basebackup',
        'replication_strategy': 'postgresql_streaming',
        'guest_log_exposed_logs': ['general'],
    },
    # NOTE(redis): an instance's server always requires a password, and
    # create is the only moment the tenant can be told it.
    'redis': {
        'root_on_create': True,
        'backup_strategy': 'redis_rdb',
        'replication_strategy': 'redis_replicaof',
    },
    # The fake datastore's guests keep their state in memory; its
    # strategy streams that state, so backups and restores of the CLI
    # conformance suite go through the real storage.
    'fake': {
        'backup_strategy': 'fake',
        'backup_incremental_strategy': 'fake',
        'replication_strategy': 'fake',
        'guest_log_exposed_logs': ['general'],
    },
}


def defaults(group):
    """The option defaults of datastore group ``group``."""
    values = dict(_GENERIC)
    values.update(_DEFAULTS.get(group, {}))
    return values


def _opts(values):
    return [
        cfg.ListOpt('ignore_users', default=values['ignore_users'],
                    help='Users hidden from user listings and refused by '
                         'user create, update and delete.'),
        cfg.ListOpt('ignore_dbs', default=values['ignore_dbs'],
                    help='Databases hidden from database listings and '
                         'refused by create, delete and grants.'),
        cfg.BoolOpt('root_on_create', default=values['root_on_create'],
                    help='Enable root when an instance is created; the '
                         'create response then carries its password.'),
        cfg.IntOpt('default_password_length', default=36, min=8, max=255,
                   help='Length of the passwords generated for root.'),
        cfg.StrOpt('backup_strategy', default=values['backup_strategy'],
                   help='Name of the backup strategy plugin in '
                        'backup_namespace; unset, the datastore takes no '
                        'backups.'),
        cfg.StrOpt('backup_incremental_strategy',
                   default=values['backup_incremental_strategy'],
                   help='Name of the strategy plugin in backup_namespace '
                        'that takes incremental backups (on top of a '
                        'parent); unset, incremental backups are refused.'),
        cfg.StrOpt('backup_namespace', default=values['backup_namespace'],
                   help='Entry point namespace the backup strategy is '
                        'loaded from.'),
        cfg.StrOpt('restore_namespace', default=values['restore_namespace'],
                   help='Entry point namespace a backup\'s restore strategy '
                        '(the one whose name the backup recorded) is loaded '
                        'from.'),
        cfg.StrOpt('replication_strategy',
                   default=values['replication_strategy'],
                   help='Name of the replication strategy plugin in '
                        'replication_namespace; unset, the datastore has '
                        'no replicas.'),
        cfg.StrOpt('replication_namespace',
                   default=values['replication_namespace'],
                   help='Entry point namespace the replication strategy is '
                        'loaded from.'),
        cfg.BoolOpt('replication_semi_sync', default=False,
                    help='Semi-synchronous replication, where the '
                         'replication strategy offers it (MariaDB): a '
                         'source commits a transaction only once a replica '
                         'has it, so that a failover loses no committed '
                         'transaction. Applies from the next change of an '
                         'instance\'s replication role.'),
        cfg.IntOpt('replication_semi_sync_timeout', default=10000, min=0,
                   help='Milliseconds a semi-synchronous source waits for a '
                        'replica to acknowledge a commit before it goes on '
                        'asynchronously (until a replica catches up).'),
        cfg.ListOpt('guest_log_exposed_logs',
                    default=values['guest_log_exposed_logs'],
                    help='Guest logs of this datastore that the owner of an '
                         'instance may list, show, enable, publish and '
                         'discard; administrators reach every log of the '
                         'datastore (its system logs too).'),
        cfg.IntOpt('guest_log_long_query_time', default=1000, min=0,
                   help='Milliseconds a statement must run to be written to '
                        'the slow query log (where the datastore has one), '
                        'set when the log is enabled.'),
    ]


def groups():
    """The datastore groups: every installed datastore manager, sorted."""
    return plugins.names(plugins.GUEST_DATASTORES)


def register_opts(conf):
    for group, opts in list_opts().items():
        conf.register_opts(opts, group=group)


def list_opts():
    return {group: _opts(defaults(group)) for group in groups()}


def options_for(conf, manager):
    """The group of datastore manager ``manager``, or None when no such
    manager is installed.
    """
    if manager not in groups():
        return None
    return conf[manager]
