"""The interface every datastore manager implements, and what they share.

A manager serves one instance (one ``GuestInfo``) and owns everything
under its instance directory:

* ``data/`` is the instance's "volume": the datastore's files and nothing
  else, so its size is the volume's usage;
* ``run/`` holds sockets and pid files; ``log/`` the server's logs;
* ``prepared.json`` records a finished ``prepare`` (and the volume size it
  was given), so that an agent restarted later knows the instance is set
  up and how big its volume is;
* ``restored.json`` records that the data came from a finished restore
  of backups, so that a repeated ``prepare`` keeps it (and one after a
  failed restore starts again from empty data);
* ``stopped.json``, while present, says the server is down on purpose:
  stopped by an operation (restart, delete, stop_db, a failed prepare),
  or given up on by the agent's supervisor after it crashed too often
  (then with the reason). The supervisor (``guestagent/supervisor.py``)
  starts again a server that is down without it; being a file, it tells
  an agent started later too;
* ``overrides.json``, when present, holds configuration overrides (what
  configuration groups will feed) that the datastore's configuration
  applies over its defaults and flavor-derived values;
* ``datastore_version.json``, once an upgrade ran, names the datastore
  version the instance runs and the directories of its server binaries:
  it overrides what ``guest_info.conf`` said when the instance was made,
  so that an agent started later runs the upgraded server.

The server of an instance outlives its agent (a restart of trove_lite does
not restart databases): a manager finds a running server through its pid
file and adopts it.

Methods run on the agent's RPC threads and may block for as long as the
operation takes; ``prepare`` runs on a thread of its own.
"""

import abc
import contextlib
import json
import os
import time

from oslo_config import cfg

from trove_lite.common import exception
from trove_lite.common import guest_logs as log_types
from trove_lite.common import plugins
from trove_lite.conf import datastores as datastores_conf
from trove_lite.guestagent import backups
from trove_lite.guestagent import guest_logs
from trove_lite.guestagent.strategies.replication import (
    base as replication_base)

PREPARED_FILE = 'prepared.json'
RESTORED_FILE = 'restored.json'
STOPPED_FILE = 'stopped.json'
OVERRIDES_FILE = 'overrides.json'
VERSION_FILE = 'datastore_version.json'
GB = 1024 ** 3

# Strategy kinds: (strategy option, namespace option) of ``[<manager>]``.
BACKUP = 'backup'
RESTORE = 'restore'
REPLICATION = 'replication'
_STRATEGY_OPTIONS = {
    BACKUP: ('backup_strategy', 'backup_namespace'),
    # NOTE(strategies): a backup is restored by the strategy of the same
    # name that wrote it, as upstream pairs InnoBackupEx with its restore.
    RESTORE: ('backup_strategy', 'restore_namespace'),
    REPLICATION: ('replication_strategy', 'replication_namespace'),
}


class DatastoreManager(metaclass=abc.ABCMeta):
    """A datastore's server for one instance.

    :param info: the agent's ``GuestInfo`` (instance directory, address,
        port).
    """

    def __init__(self, info):
        self.info = info

    @abc.abstractmethod
    def prepare(self, memory_mb, databases, users, root_password=None,
                volume_size=None, restore_info=None, replica_info=None,
                overrides=None):
        """Initialise the data, start the server, create databases and users.

        Safe to repeat: data that is already initialised is kept, and
        databases and users that exist are left alone. Data of a restore
        counts as initialised only once the restore finished: a repeat
        after a failed one restores again from scratch.

        :param memory_mb: the flavor's RAM; sizes the server's caches.
        :param databases: ``[{'name', 'character_set'?, 'collate'?}]``.
        :param users: ``[{'name', 'password', 'host'?, 'databases':
            [{'name'}]}]``; ``host`` defaults to ``'%'``.
        :param root_password: enables remote root with this password; root
            stays local-only when None.
        :param volume_size: the volume's size in GB (what usage is reported
            against).
        :param restore_info: ``{'chain': [...]}`` (``guestagent/
            backups.py``) to fill the new instance from backups instead of
            empty data; None for empty data.
        :param replica_info: ``{'source': source_info, 'snapshot':
            snapshot}`` (``strategies/replication/base.py``) to make the
            instance a replica: its data is seeded from the snapshot's
            backup or by the replication strategy, no databases or users
            are created (they come from the source) and it ends
            following the source.
        :param overrides: the configuration group's values
            (``apply_configuration``), saved before the configuration is
            first written; None keeps what was saved (a repeat).
        :raises: exception.BadValue for an invalid name; exception.GuestError
            when the server cannot be initialised or started (the message
            includes the tail of its log); what ``backups.restore`` raises
            (exception.BackupChecksumMismatch for a damaged backup).
        """

    @abc.abstractmethod
    def start_db(self):
        """Start the server (or adopt the one already running) and wait
        until it accepts connections.

        :raises: exception.GuestError when it exits or does not answer in
            time.
        """

    @abc.abstractmethod
    def stop_db(self):
        """Shut the server down cleanly (forcibly after a bounded wait).

        A no-op when it is not running.
        """

    @abc.abstractmethod
    def restart(self):
        """``stop_db`` then ``start_db``.

        :raises: exception.GuestError as ``start_db``.
        """

    @abc.abstractmethod
    def status(self):
        """The server's health as a ``states.ServiceStatus``.

        :returns: SVC_NEW before a ``prepare`` finished; SVC_HEALTHY when it
            answers; SVC_SHUTDOWN when it is not running; SVC_CRASHED when
            its pid file remains but the process is gone; SVC_FAILED when
            it is not running and the agent's supervisor gave up on it
            (``mark_failed``); SVC_BLOCKED when it runs but does not
            answer.
        """

    @abc.abstractmethod
    def filesystem_stats(self):
        """Usage of the instance's volume.

        :returns: ``{'total', 'used', 'free'}`` in GB (floats); ``total``
            and ``free`` are None when no volume size is known.
        """

    def adopt(self):
        """Take over a server that was running before this agent started.

        :returns: the server's pid, or None when none runs.
        """
        return None

    # -- databases, users, root (guest API 1.2) ---------------------------
    #
    # Datastores without these features keep the defaults, which refuse
    # with DatastoreOperationNotSupported; the API answers such requests
    # from the datastore's manifest (``manifest.py`` of each family) and
    # never sends them, so these refusals only guard the guest boundary.
    #
    # Shapes (plain dicts, as they travel over RPC):
    #   database: {'name', 'character_set'?, 'collate'?}
    #   user:     {'name', 'host', 'password'?, 'databases': [{'name'}]}
    # ``host`` is '%' for "any host"; datastores without per-host accounts
    # (PostgreSQL) accept only '%' and always report '%'.
    #
    # Every method validates its names itself (the guest trusts no
    # caller) and raises exception.BadValue for a malformed or reserved
    # name, exception.DatabaseNotFound / UserNotFound for a missing one.

    def list_databases(self):
        """Every database the tenant may see, sorted by name (the
        datastore's own system databases excluded).

        :returns: ``[database]``.
        """
        raise self._unsupported('list_databases')

    def create_databases(self, databases):
        """Create ``databases`` (``[database]``); existing ones are kept."""
        raise self._unsupported('create_databases')

    def delete_database(self, name):
        """Drop the database ``name``.

        :raises: exception.DatabaseNotFound when it does not exist.
        """
        raise self._unsupported('delete_database')

    def list_users(self):
        """Every tenant-visible user, sorted by (name, host), each with the
        databases it has access to (no passwords).

        :returns: ``[user]``.
        """
        raise self._unsupported('list_users')

    def get_user(self, name, host):
        """The user ``name``@``host`` (no password), or None."""
        raise self._unsupported('get_user')

    def create_users(self, users):
        """Create ``users`` (``[user]`` with passwords) and grant each its
        ``databases``.

        :raises: exception.UserAlreadyExists for an existing user (nothing
            is created then); exception.DatabaseNotFound for a grant on a
            missing database.
        """
        raise self._unsupported('create_users')

    def delete_user(self, name, host):
        """Drop the user ``name``@``host``.

        :raises: exception.UserNotFound.
        """
        raise self._unsupported('delete_user')

    def update_user(self, name, host, attributes):
        """Change a user's ``name``, ``host`` and/or ``password`` (the keys
        present in ``attributes``); grants follow a renamed user.

        :raises: exception.UserNotFound; exception.UserAlreadyExists when
            the new name/host is taken.
        """
        raise self._unsupported('update_user')

    def change_passwords(self, users):
        """Set the password of each ``{'name', 'host', 'password'}``.

        :raises: exception.UserNotFound (before anything is changed).
        """
        raise self._unsupported('change_passwords')

    def list_access(self, name, host):
        """The databases user ``name``@``host`` has access to.

        :returns: ``[{'name'}]`` sorted by name.
        :raises: exception.UserNotFound.
        """
        raise self._unsupported('list_access')

    def grant_access(self, name, host, databases):
        """Give the user full access to each database named in
        ``databases`` (a list of names).

        :raises: exception.UserNotFound; exception.DatabaseNotFound (before
            anything is granted).
        """
        raise self._unsupported('grant_access')

    def revoke_access(self, name, host, database):
        """Take the user's access to ``database`` away.

        :raises: exception.UserNotFound; exception.DatabaseNotFound when
            the user has no access to it.
        """
        raise self._unsupported('revoke_access')

    def enable_root(self, password):
        """Enable the datastore's superuser for remote use with
        ``password`` (the control plane generates one when the tenant gave
        none).

        :returns: ``{'name': <superuser name>, 'password': password}``.
        """
        raise self._unsupported('enable_root')

    def disable_root(self):
        """Make the superuser unusable remotely again."""
        raise self._unsupported('disable_root')

    def is_root_enabled(self):
        """Whether the superuser can log in remotely now."""
        raise self._unsupported('is_root_enabled')

    # -- strategies: backup, restore, replication ---------------------------
    #
    # NOTE(strategies): how a datastore backs up, restores and replicates
    # is a stevedore plugin named in its ``[<manager>]`` group
    # (``backup_strategy`` in ``backup_namespace``, ...), not code of the
    # manager: one datastore may have several (mariabackup or mysqldump,
    # GTID or binlog-position replication). A manager's hooks hand the
    # strategy itself; until a strategy is configured (or while none is
    # installed) they refuse with DatastoreOperationNotSupported (or the
    # plugin loader's error naming what is missing).

    def strategy(self, kind):
        """The strategy plugin of ``kind`` (BACKUP, RESTORE, REPLICATION)
        configured for this datastore, built as ``Strategy(self)``.

        :raises: exception.DatastoreOperationNotSupported when this
            datastore has none configured; plugins.PluginNotFound when the
            configured one is not installed.
        """
        manager = self.info.datastore_manager
        options = datastores_conf.options_for(cfg.CONF, manager)
        strategy_option, namespace_option = _STRATEGY_OPTIONS[kind]
        name = getattr(options, strategy_option, None) if options else None
        if not name:
            raise self._unsupported(kind)
        return plugins.load(
            getattr(options, namespace_option), name,
            option='[%s] %s' % (manager, strategy_option), args=(self,))

    def create_backup(self, backup_info, progress=None):
        """Stream a backup of the datastore into storage
        (``backups.take_backup``, which documents the arguments).

        :returns: ``{'location', 'checksum', 'size', 'backup_type',
            'metadata'}``.
        :raises: exception.DatastoreOperationNotSupported when no strategy
            is configured; what ``backups.take_backup`` raises.
        """
        return backups.take_backup(self, backup_info, progress)

    def replication(self):
        """The replication strategy, which sets this instance up as a
        source or a replica.

        :raises: exception.DatastoreOperationNotSupported (see
            ``strategy``).
        """
        return self.strategy(REPLICATION)

    def replication_state(self):
        """What the replication strategy says, for heartbeats: None for
        an instance that never took part in replication (no record of the
        strategy) or a datastore without replication.
        """
        if self.info is None or not self.info.instance_dir or \
                not os.path.exists(self.path(replication_base.RECORD_FILE)):
            return None
        try:
            strategy = self.replication()
        except (exception.DatastoreOperationNotSupported,
                plugins.PluginNotFound):
            return None
        return strategy.state()

    # -- datastore version upgrades ----------------------------------------

    def upgrade(self, datastore_version, server_path):
        """Run the instance on the server binaries of another version of
        its datastore, on the same data: stop the server, switch to the
        binaries in ``server_path`` (PATH's when empty), start it, run the
        datastore's own upgrade step when it has one, and return once it
        answers. Safe to repeat, and how a failed upgrade is undone (the
        old version and path, again).

        :param datastore_version: the version (number) it runs from now.
        :param server_path: the directories of that version's binaries.
        :raises: exception.DatastoreOperationNotSupported (the default);
            exception.GuestError when the new server cannot run the data
            (it is then stopped: the caller undoes the upgrade).
        """
        raise self._unsupported('datastore upgrade')

    def running_version(self):
        """``(datastore version, server path)`` the instance runs: the
        last upgrade's (``datastore_version.json``), else what
        ``guest_info.conf`` said.
        """
        try:
            with open(self.path(VERSION_FILE)) as handle:
                record = json.load(handle)
            return (record.get('datastore_version'),
                    tuple(record.get('server_path') or ()))
        except (OSError, ValueError, AttributeError):
            return self.info.datastore_version, tuple(self.info.server_path)

    def record_version(self, datastore_version, server_path):
        """Record the version the instance runs from now (atomically)."""
        target = self.path(VERSION_FILE)
        with open(target + '.tmp', 'w') as handle:
            json.dump({'datastore_version': datastore_version,
                       'server_path': list(server_path or ())}, handle,
                      sort_keys=True)
        os.replace(target + '.tmp', target)

    def _unsupported(self, operation):
        return exception.DatastoreOperationNotSupported(
            operation=operation, datastore=self.info.datastore_manager)

    # -- configuration groups --------------------------------------------------

    def apply_configuration(self, overrides, memory_mb):
        """Make ``overrides`` the instance's configuration overrides.

        ``overrides`` is the whole set (``{}`` when the group is
        detached): ``{name: value}`` with JSON values the control plane
        checked against the version's validation rules. They are saved
        (``save_overrides``) and the server's configuration is written
        again from its layers, so that a restart keeps them; what changed
        from the previous set is applied to the running server where the
        server can change it live. A parameter no longer overridden goes
        back to the value of the layers below (the datastore's defaults,
        the flavor's), or the server's own default.

        :param memory_mb: the flavor's RAM (the flavor layer).
        :returns: ``{'pending_restart': [names]}``: the changed parameters
            whose new value takes effect only when the server restarts.
        :raises: exception.DatastoreOperationNotSupported (the default);
            exception.GuestError when the server refuses a value (nothing
            then changes: the previous overrides stay saved and live).
        """
        raise self._unsupported('configuration groups')

    def configuration_defaults(self, memory_mb):
        """The parameters a server of ``memory_mb`` gets without any
        overrides: ``{name: value}`` of the defaults and flavor layers
        (not the instance's own paths and addresses).

        :raises: exception.DatastoreOperationNotSupported (the default).
        """
        raise self._unsupported('configuration defaults')

    # -- resize (guest API 1.6) ------------------------------------------------

    def resize_flavor(self, memory_mb):
        """Re-tune the datastore for a flavor of ``memory_mb``: its
        configuration is written again from its layers with the new
        flavor layer, and the server restarted on it. Safe to repeat;
        the same call with the old flavor's memory puts it back.

        :returns: when the server answers again.
        :raises: exception.DatastoreOperationNotSupported (the default);
            exception.GuestError when the server does not come back.
        """
        raise self._unsupported('flavor resize')

    def resize_fs(self, volume_size):
        """Make the data volume's filesystem span its device, which the
        compute driver grew, and report usage against ``volume_size`` GB
        from now on. Safe to repeat.

        :raises: exception.DatastoreOperationNotSupported (the default);
            exception.GuestError when the filesystem cannot be grown.
        """
        raise self._unsupported('volume resize')

    # -- guest logs (guest API 1.8; guestagent/guest_logs.py) ------------------

    def guest_log_definitions(self):
        """``{name: guest_logs.LogDefinition}`` of the logs this datastore
        writes; none by default.
        """
        return {}

    def apply_guest_logs(self, enabled, long_query_time_ms=None):
        """Make the server write exactly the user logs in ``enabled``
        (names), now and after a restart.

        :param long_query_time_ms: the slow query threshold, where the
            datastore has a slow query log.
        :raises: exception.DatastoreOperationNotSupported (the default: no
            user logs); exception.GuestError when the server refuses.
        """
        raise self._unsupported('guest log')

    def agent_log_path(self):
        """The guest agent's own log file (``common.guest_logs
        .AGENT_LOG_FILE`` of the instance), or None for an agent without
        an instance directory.
        """
        if not self.info.instance_dir:
            return None
        return self.path(log_types.AGENT_LOG_FILE)

    def guest_logs(self):
        """The instance's ``guest_logs.GuestLogs`` (made once)."""
        if getattr(self, '_guest_logs', None) is None:
            self._guest_logs = guest_logs.GuestLogs(
                self, self._guest_log_state_path())
        return self._guest_logs

    def _guest_log_state_path(self):
        """Where the guest logs' state is kept; None keeps it in memory."""
        return self.path(guest_logs.STATE_FILE)

    # -- supervision (guestagent/supervisor.py) ------------------------------
    #
    # NOTE(supervision): the agent's supervisor restarts a server that died
    # on its own. It needs the manager to tell "down on purpose" from
    # "died", and to keep out of the way of operations: it looks and
    # restarts only while holding the manager's lifecycle lock, which
    # every operation that stops or starts the server holds throughout.
    # A manager without a server process keeps these defaults and is not
    # supervised.

    #: Whether this datastore runs a server process the agent supervises.
    SUPERVISED = False

    @contextlib.contextmanager
    def unless_busy(self):
        """Hold the lifecycle lock unless an operation (prepare, restart,
        stop...) holds it; yields whether it is held. Never blocks.
        """
        yield False

    def died_on_its_own(self):
        """Whether the server should run and does not: prepared, not
        running, and not stopped on purpose (``stopped``). Asked within
        ``unless_busy``.
        """
        return False

    def crash_log(self):
        """Why the server died, as far as its logs say.

        :returns: ``(path, text)``: the log and its last lines ('' when
            no log says anything).
        """
        return None, ''

    def stopped(self):
        """What ``mark_stopped`` or ``mark_failed`` recorded, or None when
        the server is not down on purpose (an unreadable record counts as
        on purpose: the supervisor must rather leave a server down than
        fight an operator).
        """
        try:
            with open(self.path(STOPPED_FILE)) as handle:
                record = json.load(handle)
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return {'unreadable': True}
        return record if isinstance(record, dict) else {'unreadable': True}

    def mark_stopped(self, by='stop_db'):
        """Record that the server is going down on purpose (before it is
        signalled), so that the supervisor does not start it again; a
        no-op when the instance directory does not exist.
        """
        self._write_stopped({'by': by, 'at': time.time()})

    def mark_failed(self, message, details):
        """Record that the supervisor gave up on the server: ``status``
        then says FAILED (across agent restarts) until a start succeeds.

        :param message: for the tenant, as the fault it reported.
        :param details: the log tail, for administrators.
        """
        self._write_stopped({'by': 'supervisor', 'at': time.time(),
                             'failed': True, 'message': message,
                             'details': details})

    def clear_stopped(self):
        """Forget ``mark_stopped``/``mark_failed`` (the server runs)."""
        try:
            os.remove(self.path(STOPPED_FILE))
        except FileNotFoundError:
            pass

    def _write_stopped(self, record):
        target = self.path(STOPPED_FILE)
        if not os.path.isdir(os.path.dirname(target)):
            return
        with open(target + '.tmp', 'w') as handle:
            json.dump(record, handle, sort_keys=True)
        os.replace(target + '.tmp', target)

    # -- shared helpers ----------------------------------------------------

    def path(self, *parts):
        return self.info.path(*parts)

    def prepared(self):
        """What the last finished ``prepare`` recorded, or None."""
        try:
            with open(self.path(PREPARED_FILE)) as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return None

    def restored(self):
        """Whether a restore into this instance's data finished."""
        return os.path.exists(self.path(RESTORED_FILE))

    def mark_restored(self):
        """Record that the data is a finished restore (a repeated
        ``prepare`` keeps it).
        """
        target = self.path(RESTORED_FILE)
        with open(target + '.tmp', 'w') as handle:
            json.dump({'restored': True}, handle)
        os.replace(target + '.tmp', target)

    def mark_prepared(self, volume_size):
        """Record a finished ``prepare`` (atomically); again with the new
        size after a volume resize.
        """
        target = self.path(PREPARED_FILE)
        with open(target + '.tmp', 'w') as handle:
            json.dump({'volume_size': volume_size}, handle)
        os.replace(target + '.tmp', target)

    def volume_stats(self, data_dir):
        """``filesystem_stats`` for a volume that is the directory
        ``data_dir``, sized by what ``prepare`` recorded.
        """
        size = (self.prepared() or {}).get('volume_size')
        return Volume(data_dir).stats(size)

    def config_overrides(self):
        """The configuration overrides of this instance (``{}`` when none
        were saved): the last layer of its configuration, over the
        datastore's defaults and the flavor-derived values.

        :raises: exception.GuestError when the file is not a JSON object.
        """
        try:
            with open(self.path(OVERRIDES_FILE)) as handle:
                overrides = json.load(handle)
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as err:
            raise exception.GuestError(
                message='Cannot read the configuration overrides %s: %s'
                        % (self.path(OVERRIDES_FILE), err))
        if not isinstance(overrides, dict):
            raise exception.GuestError(
                message='The configuration overrides %s are not a JSON '
                        'object.' % self.path(OVERRIDES_FILE))
        return overrides

    def save_overrides(self, overrides):
        """Record configuration overrides (atomically); they apply from the
        next configuration render (``prepare``, ``apply_configuration``).
        """
        target = self.path(OVERRIDES_FILE)
        with open(target + '.tmp', 'w') as handle:
            json.dump(overrides or {}, handle, sort_keys=True)
        os.replace(target + '.tmp', target)


class Volume:
    """The instance's volume: the data directory and nothing else.

    On this host the volume is a directory; under Nova it will be a
    mounted block device, and this is the one place that has to know.
    Usage figures are what heartbeats report as the volume's used and
    total size.

    :param path: the data directory.
    :param mode: its permission bits when it is created.
    """

    def __init__(self, path, mode=0o750):
        self.path = path
        self.mode = mode

    def ensure(self, owner=None):
        """Create the directory if missing; give it to ``owner`` (a ``pwd``
        entry) when one is given.
        """
        os.makedirs(self.path, mode=self.mode, exist_ok=True)
        if owner is not None:
            os.chown(self.path, owner.pw_uid, owner.pw_gid)

    def owner(self):
        """``(uid, gid)`` of the directory, or None when it is missing."""
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            return None
        return info.st_uid, info.st_gid

    def used_bytes(self):
        return disk_usage(self.path)

    def stats(self, size_gb=None):
        """``{'total', 'used', 'free'}`` in GB (floats); ``total`` and
        ``free`` are None when no size is known.
        """
        used = self.used_bytes() / GB
        if size_gb is None:
            return {'total': None, 'used': used, 'free': None}
        total = float(size_gb)
        return {'total': total, 'used': used, 'free': max(total - used, 0.0)}


def disk_usage(path):
    """Bytes allocated under ``path`` (what ``du`` counts); 0 if missing.

    Files that vanish while counting (a server at work) are skipped.
    """
    total = 0
    stack = [path]
    while stack:
        current = stack.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            try:
                stat = entry.stat(follow_symlinks=False)
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
            except OSError:
                continue
            total += stat.st_blocks * 512
    return total
