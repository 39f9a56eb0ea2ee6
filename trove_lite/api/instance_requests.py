"""The rules a create request must pass before anything is created.

Everything here only reads: it resolves the datastore version and flavor a
request names, checks the volume and the initial databases and users, and
raises the upstream fault that says what is wrong.
Only when all of it passes does the controller create the row, checking
the project's quota in the same transaction (``quotas.run_with_quotas``), so
a bad request leaves nothing behind.
"""

import collections

from oslo_config import cfg

from trove_lite.api import datastore_rules
from trove_lite.common import backup_storage
from trove_lite.common import exception
from trove_lite.common import plugins
from trove_lite.common import states
from trove_lite.db.repositories import backups as backup_repo
from trove_lite.db.repositories import datastores as datastore_repo
from trove_lite.db.repositories import flavors as flavor_repo
from trove_lite.guestagent import storage as storage_plugins

Resolved = collections.namedtuple(
    'Resolved', 'datastore version flavor volume_size databases users backup')


def resolve_datastore(ctx, spec):
    """The (datastore, version) a request asks for, or the defaults.

    :raises DatastoreDefaultDatastoreNotFound: none named, no default.
    :raises DatastoreNotFound: the named datastore does not exist (404).
    :raises DatastoreVersionNotFound: no such version (400).
    :raises DatastoreVersionInactive: the version is not active (400).
    :raises DatastoreOperationNotSupported: no guest can run it (501).
    """
    datastore, version = find_version(ctx, spec)
    if not version.active:
        raise exception.DatastoreVersionInactive(version=version.name)
    if version.manager not in plugins.names(plugins.GUEST_DATASTORES):
        raise exception.DatastoreOperationNotSupported(
            operation='create', datastore=datastore.name)
    return datastore, version


def find_version(ctx, spec):
    """The (datastore, version) a request's ``datastore`` names, or the
    default datastore's default version; active or not.

    :raises DatastoreDefaultDatastoreNotFound: none named, no default.
    :raises DatastoreNotFound: the named datastore does not exist (404).
    :raises DatastoreVersionNotFound: no such version (400).
    """
    spec = spec or {}
    name = spec.get('type') or cfg.CONF.default_datastore
    if not name:
        raise exception.DatastoreDefaultDatastoreNotFound(
            exception.DatastoreDefaultDatastoreNotFound.unset_message)
    datastore = datastore_repo.get_datastore(ctx, name)
    version_name = spec.get('version') or datastore.default_version_id
    if not version_name:
        raise exception.DatastoreDefaultVersionNotFound(
            datastore=datastore.name)
    version = datastore_repo.get_version(ctx, datastore.id, version_name,
                                         spec.get('version_number'))
    return datastore, version


def upgrade_target(ctx, row, version_ref):
    """``(current, target)`` versions of an upgrade of ``row`` to
    ``version_ref`` (a name, number or id of a version of its datastore).

    :raises DatastoreVersionNotFound: its datastore has no such version
        (400, upstream's status for an unknown version).
    :raises DatastoreVersionOfAnotherDatastore: the id of another
        datastore's version (400).
    :raises DatastoreVersionUnchanged: the version it runs (400).
    :raises DatastoreVersionInactive: the target is not active (400).
    :raises DatastoreUpgradeNotSupported: the target has another guest
        manager (400).
    """
    current = datastore_repo.get_version_by_id(ctx, row.datastore_version_id)
    try:
        target = datastore_repo.get_version(ctx, current.datastore_id,
                                            version_ref)
    except exception.DatastoreVersionNotFound:
        try:
            other = datastore_repo.get_version_by_id(ctx, version_ref)
        except exception.DatastoreVersionNotFound:
            raise exception.DatastoreVersionNotFound(version=version_ref)
        raise exception.DatastoreVersionOfAnotherDatastore(
            version=version_ref, other=other.datastore.name, uuid=row.id,
            datastore=current.datastore.name)
    if target.id == current.id:
        raise exception.DatastoreVersionUnchanged(uuid=row.id,
                                                  version=current.name)
    if not target.active:
        raise exception.DatastoreVersionInactive(version=target.name)
    if target.manager != current.manager:
        raise exception.DatastoreUpgradeNotSupported(
            uuid=row.id, version=target.name,
            reason='its guest manager is %s and the instance\'s is %s.'
                   % (target.manager, current.manager))
    return current, target


def resolve_flavor(ctx, flavor_ref, version):
    """The flavor of a request, allowed for ``version``.

    :raises BadRequest: no flavor given.
    :raises InvalidFlavor: it does not exist, or the version is restricted
        to other flavors.
    """
    if flavor_ref is None:
        raise exception.BadRequest('A flavorRef is required.')
    flavor_id = str(flavor_ref).rstrip('/').split('/')[-1]
    try:
        flavor = flavor_repo.get_flavor(ctx, flavor_id)
    except exception.FlavorNotFound:
        raise exception.InvalidFlavor(flavor=flavor_id)
    allowed = datastore_repo.list_version_metadata(
        ctx, version.id, datastore_repo.FLAVOR_KEY)
    if allowed and flavor.id not in allowed:
        raise exception.FlavorNotAllowed(flavor=flavor.id,
                                         version=version.name)
    return flavor


def volume_size(volume):
    """The volume size in GB.

    :raises VolumeRequired: volumes are required (400).
    :raises VolumeSizeTooLarge: over ``max_accepted_volume_size`` (413).
    """
    if not volume:
        raise exception.VolumeRequired()
    size = int(volume['size'])
    if size > cfg.CONF.max_accepted_volume_size:
        raise exception.VolumeSizeTooLarge(
            size=size, maximum=cfg.CONF.max_accepted_volume_size)
    return size


def check_databases_and_users(databases, users):
    """Names must be unique and users may only name listed databases.

    :raises DatabaseAlreadyExists: a database is listed twice.
    :raises UserAlreadyExists: a user (name@host) is listed twice.
    :raises BadRequest: a user names a database not being created.
    """
    names = set()
    for database in databases:
        if database['name'] in names:
            raise exception.DatabaseAlreadyExists(name=database['name'])
        names.add(database['name'])
    seen = set()
    for user in users:
        key = (user['name'], user.get('host', '%'))
        if key in seen:
            raise exception.UserAlreadyExists(name=user['name'])
        seen.add(key)
        for database in user.get('databases', []):
            if database['name'] not in names:
                raise exception.BadRequest(
                    'User %s is granted database %s, which is not among '
                    'the databases being created.' % (user['name'],
                                                      database['name']))


def resolve_backup(ctx, restore_point, datastore, version, size):
    """The backup an instance is restored from (``restorePoint``), or
    None.

    :param size: the new instance's volume size (GB).
    :raises BackupNotFound: no such backup of the caller's (404).
    :raises BackupNotCompleteError: it is not COMPLETED (409).
    :raises BackupDatastoreMismatchError: it was taken of another
        datastore manager than the requested version's (400).
    :raises BackupTooLarge: it does not fit the volume (403).
    :raises BackupFileNotFound: its stored object is gone (404).
    """
    if not restore_point:
        return None
    backup = backup_repo.get(ctx, restore_point['backupRef'])
    if backup.state != states.BACKUP_COMPLETED.code:
        raise exception.BackupNotCompleteError(backup_id=backup.id,
                                               state=backup.state)
    source = (datastore_repo.get_version_by_id(ctx,
                                               backup.datastore_version_id)
              if backup.datastore_version_id else None)
    if source is None or source.manager != version.manager:
        raise exception.BackupDatastoreMismatchError(
            datastore1=source.datastore.name if source else 'unknown',
            datastore2=datastore.name)
    if backup.size is not None and backup.size > size:
        raise exception.BackupTooLarge(backup_size=backup.size,
                                       disk_size=size)
    storage = storage_plugins.load(backup_storage.describe(
        ctx, driver=backup.storage_driver))
    if not backup.location or not storage.exists(backup.location):
        raise exception.BackupFileNotFound(location=backup.location)
    return backup


def quota_deltas(resolved):
    """What one more instance of a resolved request adds to the quota."""
    return {'instances': 1, 'ram': resolved.flavor.ram,
            'volumes': resolved.volume_size}


def resolve(ctx, spec):
    """Run every check of a create request body (``instance`` dict)."""
    datastore, version = resolve_datastore(ctx, spec.get('datastore'))
    flavor = resolve_flavor(ctx, spec.get('flavorRef'), version)
    size = volume_size(spec.get('volume'))
    check_databases_and_users(spec.get('databases', []),
                              spec.get('users', []))
    databases, users = datastore_rules.DatastoreRules(
        version.manager).initial(spec.get('databases', []),
                                 spec.get('users', []))
    backup = resolve_backup(ctx, spec.get('restorePoint'), datastore,
                            version, size)
    return Resolved(datastore, version, flavor, size, databases, users,
                    backup)
