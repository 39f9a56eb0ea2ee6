"""A datastore that exists only in memory: the ``fake`` manager.

Beside every real driver a fake one (ARCHITECTURE.md, section 3): an
agent with ``datastore_manager = fake`` answers every call at once and
reports *healthy* after ``prepare``, so the control plane's flows and the
API can be exercised end to end without a database server.

It has every feature of a manifest (databases, per-host users, root) with
the semantics and errors the guest API 1.2 promises (``base
.DatastoreManager``), and naming rules modelled on MySQL's, so the API's
whole path can be tested against it. ``Manifest`` is what the API reads
(entry point ``fake`` in ``trove_lite.datastore_manifests``); the
manager validates again with it, as a real guest would.
"""

import re
import threading

from trove_lite.common import exception
from trove_lite.common import guest_logs as log_types
from trove_lite.common import states
from trove_lite.common import utils
from trove_lite.guestagent import backups
from trove_lite.guestagent.datastores import base
from trove_lite.guestagent.datastores import manifest
from trove_lite.guestagent import guest_logs

_NAME = re.compile(r'^[A-Za-z0-9_$][A-Za-z0-9_$.\-]{0,63}$')
_HOST = re.compile(r'^[A-Za-z0-9%_.:\-]{1,255}$')
_CHARSET = re.compile(r'^[A-Za-z0-9_]{1,64}$')
RESERVED_DATABASES = frozenset(['mysql', 'information_schema',
                                'performance_schema', 'sys'])
RESERVED_USERS = frozenset(['root', 'os_admin'])
ROOT_USER = 'root'
# The fake server's parameters (as etc/trove-lite/datastores/fake/
# validation-rules.json names them) and which take a restart to change.
RESTART_PARAMETERS = frozenset(['buffer_pool_size'])


def _check(pattern, value, what):
    if not isinstance(value, str) or not pattern.match(value):
        raise exception.BadValue(
            message='Invalid %s %r: use letters, digits, "_", "$", "." and '
                    '"-" only.' % (what, value))
    return value


class Manifest(manifest.Manifest):
    """Everything a manifest can offer, with MySQL-like names."""

    features = frozenset([manifest.DATABASES, manifest.USERS, manifest.ROOT])
    guest_logs = {'general': 'USER'}
    root_user = ROOT_USER
    user_hosts = True
    database_charsets = True

    def validate_database_name(self, name):
        _check(_NAME, name, 'database name')
        if name.lower() in RESERVED_DATABASES:
            raise exception.BadValue(
                message='The database name %r is reserved.' % name)
        return name

    def validate_user_name(self, name):
        _check(_NAME, name, 'user name')
        if name.lower() in RESERVED_USERS:
            raise exception.BadValue(
                message='The user name %r is reserved.' % name)
        return name

    def validate_host(self, host):
        return _check(_HOST, host or manifest.DEFAULT_HOST, 'host')

    def validate_charset(self, value, what):
        return _check(_CHARSET, value, what)


class Manager(base.DatastoreManager):
    """An instant, in-memory datastore (nothing runs, nothing is written).

    ``databases`` maps a name to ``{'name', 'character_set'?,
    'collate'?}``; ``users`` maps (name, host) to ``{'name', 'host',
    'password', 'databases': set of names}``.
    """

    manifest = Manifest()

    def __init__(self, info):
        super().__init__(info)
        self._lock = threading.Lock()
        self._prepared = False
        self._running = False
        self._volume_size = None
        self.memory_mb = None
        self.databases = {}
        self.users = {}
        self.root_password = None
        # The overrides saved, and the values the "server" runs with (a
        # restart picks up those that need one).
        self.overrides = {}
        self.live_overrides = {}
        # The version the "server" runs (an upgrade changes it); its
        # binaries cannot be wrong, so a path naming "missing" plays one
        # whose binaries are not there.
        self.version = (info.datastore_version, tuple(info.server_path))
        # The general log: the changes made while it is enabled.
        self.general_log = guest_logs.MemorySource()
        self._general_on = False

    def prepare(self, memory_mb, databases, users, root_password=None,
                volume_size=None, restore_info=None, replica_info=None,
                overrides=None):
        if restore_info:
            # The backups' state first; what the create asks for on top.
            backups.restore(self, restore_info)
        if replica_info:
            # A replica's state is its source's; nothing of the tenant's.
            self.replication().attach(replica_info['source'],
                                      replica_info.get('snapshot'))
            databases = users = root_password = None
        with self._lock:
            for database in databases or []:
                self.databases[database['name']] = dict(database)
            for user in users or []:
                self._add_user(user)
            if root_password:
                self.root_password = root_password
            self._volume_size = volume_size
            self.memory_mb = memory_mb
            self._prepared = self._running = True
            if overrides is not None:
                self.overrides = dict(overrides)
            self.live_overrides = dict(self.overrides)

    def start_db(self):
        with self._lock:
            self._running = True

    def stop_db(self):
        with self._lock:
            self._running = False

    def restart(self):
        with self._lock:
            self._running = True
            self.live_overrides = dict(self.overrides)

    def resize_flavor(self, memory_mb):
        with self._lock:
            self.memory_mb = memory_mb
            self._running = True
            self.live_overrides = dict(self.overrides)

    def resize_fs(self, volume_size):
        with self._lock:
            self._volume_size = volume_size

    def upgrade(self, datastore_version, server_path):
        with self._lock:
            if not self._prepared:
                raise exception.GuestError(
                    message='Instance %s is not prepared.'
                            % self.info.guest_id)
            if any('missing' in entry for entry in server_path or ()):
                raise exception.GuestError(
                    message='No fake server binary in %s.'
                            % ', '.join(server_path))
            self.version = (datastore_version, tuple(server_path or ()))
            self._running = True

    def running_version(self):
        with self._lock:
            return self.version

    def status(self):
        with self._lock:
            if not self._prepared:
                return states.SVC_NEW
            return states.SVC_HEALTHY if self._running else states.SVC_SHUTDOWN

    def filesystem_stats(self):
        with self._lock:
            if self._volume_size is None:
                return {'total': None, 'used': 0.0, 'free': None}
            total = float(self._volume_size)
            return {'total': total, 'used': 0.0, 'free': total}

    # -- backups (the ``fake`` strategy) ------------------------------------

    # -- replication (the ``fake`` strategy) ----------------------------

    def replication_state(self):
        if not getattr(self, 'replication_record', None):
            return None
        return self.replication().state()

    def _refuse_on_replica(self):
        """A replica (or a fenced source) refuses the tenant's changes,
        as a read-only server does.
        """
        if not getattr(self, 'replication_record', None):
            return
        if self.replication().read_only():
            # NOTE(logs): the tenant's mistake, not the agent's: a
            # BadRequest (400, as the GuestError was) that the agent does
            # not log as an ERROR with a traceback.
            raise exception.BadRequest(
                message='Instance %s is read-only (a replica).'
                        % self.info.guest_id)

    def export_state(self):
        """The databases, users and root password, as a JSON-able dict
        (what the ``fake`` backup strategy streams).
        """
        with self._lock:
            return {
                'databases': [dict(self.databases[name])
                              for name in sorted(self.databases)],
                'users': [dict(self.users[key],
                               databases=sorted(self.users[key]['databases']))
                          for key in sorted(self.users)],
                'root_password': self.root_password}

    def import_state(self, state):
        """Replace the databases, users and root password with
        ``state`` (``export_state``'s result): a restore.
        """
        databases = {database['name']: dict(database)
                     for database in state['databases']}
        users = {}
        for user in state['users']:
            users[(user['name'], user['host'])] = dict(
                user, databases=set(user['databases']))
        with self._lock:
            self.databases = databases
            self.users = users
            self.root_password = state['root_password']

    # -- databases, users, root (guest API 1.2) -----------------------------

    def list_databases(self):
        with self._lock:
            return [dict(self.databases[name])
                    for name in sorted(self.databases)]

    def create_databases(self, databases):
        self._refuse_on_replica()
        checked = [self._database(database) for database in databases]
        with self._lock:
            for database in checked:
                self.databases.setdefault(database['name'], database)
                self._statement('CREATE DATABASE %s' % database['name'])

    def delete_database(self, name):
        self._refuse_on_replica()
        self.manifest.validate_database_name(name)
        with self._lock:
            if self.databases.pop(name, None) is None:
                raise exception.DatabaseNotFound(name=name)
            for user in self.users.values():
                user['databases'].discard(name)
            self._statement('DROP DATABASE %s' % name)

    # -- guest logs ------------------------------------------------------------

    def guest_log_definitions(self):
        return {'general': guest_logs.LogDefinition(
            'general', log_types.USER, self.general_log)}

    def apply_guest_logs(self, enabled, long_query_time_ms=None):
        self._general_on = 'general' in enabled

    def _guest_log_state_path(self):
        return None

    def _statement(self, text):
        if self._general_on:
            self.general_log.append(text)

    def list_users(self):
        with self._lock:
            return [self._shown(self.users[key])
                    for key in sorted(self.users)]

    def get_user(self, name, host):
        key = self._key(name, host)
        with self._lock:
            user = self.users.get(key)
            return self._shown(user) if user else None

    def create_users(self, users):
        self._refuse_on_replica()
        checked = []
        for user in users:
            name, host = self._key(user['name'], user.get('host'))
            checked.append({
                'name': name, 'host': host,
                'password': self.manifest.validate_password(
                    user.get('password')),
                'databases': [{'name': self.manifest.validate_database_name(
                    database['name'])}
                    for database in user.get('databases') or []]})
        with self._lock:
            for user in checked:
                if (user['name'], user['host']) in self.users:
                    raise exception.UserAlreadyExists(
                        name='%s@%s' % (user['name'], user['host']))
                for database in user['databases']:
                    self._require_database(database['name'])
            for user in checked:
                self._add_user(user)

    def delete_user(self, name, host):
        self._refuse_on_replica()
        key = self._key(name, host)
        with self._lock:
            self._require_user(key)
            del self.users[key]

    def update_user(self, name, host, attributes):
        key = self._key(name, host)
        new_key = self._key(attributes.get('name', key[0]),
                            attributes.get('host', key[1]))
        password = attributes.get('password')
        if 'password' in attributes:
            self.manifest.validate_password(password)
        with self._lock:
            user = self._require_user(key)
            if new_key != key:
                if new_key in self.users:
                    raise exception.UserAlreadyExists(name='%s@%s' % new_key)
                del self.users[key]
                user['name'], user['host'] = new_key
                self.users[new_key] = user
            if password is not None:
                user['password'] = password

    def change_passwords(self, users):
        changes = [(self._key(user['name'], user.get('host')),
                    self.manifest.validate_password(user.get('password')))
                   for user in users]
        with self._lock:
            for key, _ in changes:
                self._require_user(key)
            for key, password in changes:
                self.users[key]['password'] = password

    def list_access(self, name, host):
        key = self._key(name, host)
        with self._lock:
            user = self._require_user(key)
            return [{'name': database}
                    for database in sorted(user['databases'])]

    def grant_access(self, name, host, databases):
        key = self._key(name, host)
        names = [self.manifest.validate_database_name(database)
                 for database in databases]
        with self._lock:
            user = self._require_user(key)
            for database in names:
                self._require_database(database)
            user['databases'].update(names)

    def revoke_access(self, name, host, database):
        key = self._key(name, host)
        self.manifest.validate_database_name(database)
        with self._lock:
            user = self._require_user(key)
            if database not in user['databases']:
                raise exception.DatabaseNotFound(name=database)
            user['databases'].discard(database)

    def enable_root(self, password):
        self.manifest.validate_password(password)
        with self._lock:
            self.root_password = password
        return {'name': ROOT_USER, 'password': password}

    def disable_root(self):
        with self._lock:
            self.root_password = None

    def is_root_enabled(self):
        with self._lock:
            return self.root_password is not None

    # -- helpers (callers hold the lock where they touch the dicts) ---------

    def _key(self, name, host):
        return (self.manifest.validate_user_name(name),
                self.manifest.validate_host(host))

    def _database(self, database):
        checked = {'name': self.manifest.validate_database_name(
            database['name'])}
        for key, what in (('character_set', 'character set'),
                          ('collate', 'collation')):
            if database.get(key):
                checked[key] = self.manifest.validate_charset(database[key],
                                                              what)
        return checked

    def _add_user(self, user):
        host = user.get('host') or manifest.DEFAULT_HOST
        self.users[(user['name'], host)] = {
            'name': user['name'], 'host': host,
            'password': user.get('password'),
            'databases': {database['name']
                          for database in user.get('databases') or []}}

    def _require_user(self, key):
        user = self.users.get(key)
        if user is None:
            raise exception.UserNotFound(name='%s@%s' % key)
        return user

    def _require_database(self, name):
        if name not in self.databases:
            raise exception.DatabaseNotFound(name=name)

    @staticmethod
    def _shown(user):
        return {'name': user['name'], 'host': user['host'],
                'databases': [{'name': database}
                              for database in sorted(user['databases'])]}

    # -- configuration groups ------------------------------------------------

    @staticmethod
    def defaults(memory_mb):
        """The fake server's parameters without overrides."""
        return {'max_connections': 100, 'wait_timeout': 28800,
                'character_set_server': 'utf8mb4', 'long_query_time': 10.0,
                'read_only': False,
                'buffer_pool_size': memory_mb * 1024 * 1024 // 2}

    def configuration_defaults(self, memory_mb):
        return self.defaults(memory_mb)

    def apply_configuration(self, overrides, memory_mb):
        with self._lock:
            changed = set(utils.changed_keys(self.overrides, overrides))
            self.overrides = dict(overrides)
            pending = sorted(changed & RESTART_PARAMETERS)
            for name in changed - RESTART_PARAMETERS:
                if name in overrides:
                    self.live_overrides[name] = overrides[name]
                else:
                    self.live_overrides.pop(name, None)
        return {'pending_restart': pending}

    def configuration(self, memory_mb):
        """What the fake server runs with now (for tests)."""
        return dict(self.defaults(memory_mb), **self.live_overrides)
