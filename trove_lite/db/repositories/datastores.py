"""Datastores, their versions, and the constraints of each version.

Names and ids are both accepted wherever upstream accepts both: a datastore
is looked up by id first, then by name; a version inside a datastore by id,
then by name, then by version number.
"""

import uuid

import sqlalchemy as sa

from trove_lite.common import exception
from trove_lite.db import api as db_api
from trove_lite.db import models

FLAVOR_KEY = 'flavor'
VOLUME_TYPE_KEY = 'volume_type'


# -- Datastores ---------------------------------------------------------------

@db_api.reader
def list_datastores(context, only_active=False, limit=None, marker=None):
    """Datastores ordered by id.

    With ``only_active``, only those with an active version. ``marker`` is
    the id of the last datastore already seen.
    """
    query = context.session.query(models.Datastore)
    if only_active:
        active = sa.select(models.DatastoreVersion.datastore_id).where(
            models.DatastoreVersion.active.is_(True))
        query = query.filter(models.Datastore.id.in_(active))
    if marker:
        query = query.filter(models.Datastore.id > marker)
    query = query.order_by(models.Datastore.id)
    if limit:
        query = query.limit(limit)
    return query.all()


@db_api.reader
def get_datastore(context, id_or_name):
    """:raises DatastoreNotFound: no datastore has that id or name."""
    session = context.session
    datastore = session.get(models.Datastore, id_or_name) or (
        session.query(models.Datastore).filter_by(name=id_or_name).first())
    if datastore is None:
        raise exception.DatastoreNotFound(datastore=id_or_name)
    return datastore


@db_api.writer
def update_datastore(context, name, default_version=None):
    """Create ``name`` if missing and set (or with ``''`` clear) its default.

    :param default_version: name or id of an active version; ``None``
        leaves the default alone.
    :raises DatastoreVersionNotFound: the default names no version.
    :raises DatastoreVersionInactive: the default is not active.
    """
    session = context.session
    datastore = session.query(models.Datastore).filter_by(
        name=name).first()
    if datastore is None:
        datastore = models.Datastore(id=str(uuid.uuid4()), name=name)
        session.add(datastore)
        session.flush()
    if default_version == '':
        datastore.default_version_id = None
    elif default_version is not None:
        version = get_version(context, datastore.id, default_version)
        if not version.active:
            raise exception.DatastoreVersionInactive(
                version=default_version)
        datastore.default_version_id = version.id
    return datastore


@db_api.writer
def delete_datastore(context, id_or_name):
    """:raises DatastoreVersionsExist: versions must be deleted first."""
    datastore = get_datastore(context, id_or_name)
    if list_versions(context, datastore.id):
        raise exception.DatastoreVersionsExist(datastore=datastore.name)
    context.session.delete(datastore)


# -- Versions -----------------------------------------------------------------

@db_api.reader
def list_versions(context, datastore_id=None, only_active=False,
                  limit=None, marker=None):
    """Versions ordered by id, of one datastore or of all."""
    query = context.session.query(models.DatastoreVersion)
    if datastore_id is not None:
        query = query.filter_by(datastore_id=datastore_id)
    if only_active:
        query = query.filter(models.DatastoreVersion.active.is_(True))
    if marker:
        query = query.filter(models.DatastoreVersion.id > marker)
    query = query.order_by(models.DatastoreVersion.id)
    if limit:
        query = query.limit(limit)
    return query.all()


@db_api.reader
def get_version(context, datastore_id, id_or_name, version_number=None):
    """A version of one datastore by id, name, or version number.

    :raises DatastoreVersionNotFound: nothing matches.
    :raises DatastoreVersionsNoUniqueMatch: a name matches several
        versions (same name, different version numbers).
    """
    query = context.session.query(models.DatastoreVersion).filter_by(
        datastore_id=datastore_id)
    by_id = query.filter_by(id=id_or_name).first()
    if by_id is not None:
        return by_id
    by_name = query.filter_by(name=id_or_name)
    if version_number is not None:
        by_name = by_name.filter_by(version=version_number)
    matches = by_name.all()
    if not matches and version_number is None:
        matches = query.filter_by(version=id_or_name).all()
    if len(matches) > 1:
        raise exception.DatastoreVersionsNoUniqueMatch(name=id_or_name)
    if not matches:
        raise exception.DatastoreVersionNotFound(version=id_or_name)
    return matches[0]


def server_path_of(version):
    """The directories of ``version``'s server binaries: the absolute
    paths among its ``packages`` (a list of directories, in order; other
    entries are package names, which no trove_lite guest installs).

    NOTE(versions): how a version names its binaries, whatever the
    compute driver: the local driver's guest runs the host's binaries, a
    Nova guest its image's; either looks in these directories before
    PATH, so two versions of one datastore can live side by side.
    """
    entries = [entry.strip() for entry in (version.packages or '').split(',')]
    return [entry for entry in entries if entry.startswith('/')]


@db_api.reader
def get_version_by_id(context, version_id):
    """:raises DatastoreVersionNotFound: no version has that id."""
    version = context.session.get(models.DatastoreVersion, version_id)
    if version is None:
        raise exception.DatastoreVersionNotFound(version=version_id)
    return version


@db_api.writer
def upsert_version(context, datastore_name, name, manager, image_id='',
                   packages='', active=True, version=None, image_tags=None,
                   registry_ext=None, repl_strategy=None):
    """Create or update the version keyed by (datastore, name, version).

    :param version: the version number; defaults to ``name``.
    :param image_tags: list of Glance image tags.
    :raises DatastoreNotFound: the datastore must already exist.
    """
    datastore = get_datastore(context, datastore_name)
    version = version or name
    session = context.session
    row = session.query(models.DatastoreVersion).filter_by(
        datastore_id=datastore.id, name=name, version=version).first()
    if row is None:
        row = models.DatastoreVersion(id=str(uuid.uuid4()),
                                      datastore_id=datastore.id,
                                      name=name, version=version)
        session.add(row)
    row.manager = manager
    row.image_id = image_id or None
    row.packages = packages or ''
    row.active = bool(active)
    row.image_tags = ','.join(image_tags or [])
    row.registry_ext = registry_ext if registry_ext is not None else manager
    row.repl_strategy = repl_strategy or ''
    session.flush()
    return row


@db_api.writer
def update_version(context, version_id, **values):
    """Change some fields of a version; keys are model attribute names."""
    row = get_version_by_id(context, version_id)
    for key, value in values.items():
        setattr(row, key, value)
    context.session.flush()
    return row


# The rows that name a version and keep it from being deleted, deleted
# ones included: their foreign key (or, for configurations, their meaning)
# still points at it.
_VERSION_USERS = ((models.Instance, 'instances'), (models.Cluster, 'clusters'),
                  (models.Backup, 'backups'),
                  (models.Configuration, 'configurations'))


@db_api.writer
def delete_version(context, version_id):
    """Delete a version, its constraints, and any default pointing at it.

    :raises DatastoreVersionInUse: instances, clusters, backups or
        configurations name it.
    """
    row = get_version_by_id(context, version_id)
    session = context.session
    for model, resource in _VERSION_USERS:
        if session.query(model.id).filter_by(
                datastore_version_id=row.id).first() is not None:
            raise exception.DatastoreVersionInUse(version=row.name,
                                                  resource=resource)
    session.query(models.DatastoreVersionMetadata).filter_by(
        datastore_version_id=row.id).delete()
    session.query(models.DatastoreConfigurationParameter).filter_by(
        datastore_version_id=row.id).delete()
    session.query(models.Datastore).filter_by(
        default_version_id=row.id).update({'default_version_id': None})
    session.delete(row)


# -- Version constraints (metadata) -------------------------------------------

@db_api.reader
def list_version_metadata(context, version_id, key):
    """Live values of one metadata key (``flavor`` or ``volume_type``)."""
    rows = context.session.query(models.DatastoreVersionMetadata).filter_by(
        datastore_version_id=version_id, key=key, deleted=False)
    return [row.value for row in rows]


@db_api.writer
def add_version_metadata(context, version_id, key, values):
    """Allow ``values`` (flavor or volume-type ids) for a version.

    A soft-deleted association comes back to life.

    :raises DatastoreFlavorAssociationAlreadyExists: one is already live.
    """
    session = context.session
    version = get_version_by_id(context, version_id)
    for value in values:
        row = session.query(models.DatastoreVersionMetadata).filter_by(
            datastore_version_id=version_id, key=key, value=value).first()
        if row is not None and not row.deleted:
            raise exception.DatastoreFlavorAssociationAlreadyExists(
                flavor_id=value, datastore=version.datastore.name,
                version=version.name)
        if row is None:
            row = models.DatastoreVersionMetadata(
                id=str(uuid.uuid4()), datastore_version_id=version_id,
                key=key, value=value)
            session.add(row)
        row.deleted = False
        row.deleted_at = None
    session.flush()


@db_api.writer
def delete_version_metadata(context, version_id, key, value):
    """Soft-delete one association.

    :raises DatastoreFlavorAssociationNotFound: it is not live.
    """
    version = get_version_by_id(context, version_id)
    row = context.session.query(models.DatastoreVersionMetadata).filter_by(
        datastore_version_id=version_id, key=key, value=value,
        deleted=False).first()
    if row is None:
        raise exception.DatastoreFlavorAssociationNotFound(
            flavor_id=value, datastore=version.datastore.name,
            version=version.name)
    row.deleted = True
    row.deleted_at = models.utcnow()


# -- Configuration parameter rules --------------------------------------------

@db_api.writer
def load_configuration_parameters(context, version_id, rules):
    """Upsert validation rules for a version.

    :param rules: dicts with ``name``, ``restart_required``, ``type`` and
        optional ``min``/``max``.
    :returns: the number of rules written.
    """
    session = context.session
    for rule in rules:
        row = session.query(
            models.DatastoreConfigurationParameter).filter_by(
            datastore_version_id=version_id, name=rule['name']).first()
        if row is None:
            row = models.DatastoreConfigurationParameter(
                id=str(uuid.uuid4()), name=rule['name'],
                datastore_version_id=version_id)
            session.add(row)
        row.restart_required = bool(rule.get('restart_required', False))
        row.data_type = rule['type']
        row.min_size = _size(rule.get('min'))
        row.max_size = _size(rule.get('max'))
    session.flush()
    return len(rules)


@db_api.writer
def delete_configuration_parameters(context, version_id):
    """Delete every validation rule of a version (a hard delete, as upstream).

    :returns: the number of rules deleted.
    """
    return context.session.query(
        models.DatastoreConfigurationParameter).filter_by(
        datastore_version_id=version_id).delete()


@db_api.reader
def list_configuration_parameters(context, version_id):
    return context.session.query(
        models.DatastoreConfigurationParameter).filter_by(
        datastore_version_id=version_id).order_by(
        models.DatastoreConfigurationParameter.name).all()


@db_api.reader
def get_configuration_parameter(context, version_id, name):
    """The rule ``name`` of a version.

    :raises ConfigurationParameterNotFound: the version has none (404).
    """
    row = context.session.query(
        models.DatastoreConfigurationParameter).filter_by(
        datastore_version_id=version_id, name=name).first()
    if row is None:
        raise exception.ConfigurationParameterNotFound(name=name,
                                                       version=version_id)
    return row


@db_api.writer
def create_configuration_parameter(context, version_id, rule):
    """Add one rule (``validation_rules`` shape) to a version.

    :raises ConfigurationParameterAlreadyExists: it has one by that name.
    """
    get_version_by_id(context, version_id)
    exists = context.session.query(
        models.DatastoreConfigurationParameter.id).filter_by(
        datastore_version_id=version_id, name=rule['name']).first()
    if exists is not None:
        raise exception.ConfigurationParameterAlreadyExists(
            name=rule['name'], version=version_id)
    load_configuration_parameters(context, version_id, [rule])
    return get_configuration_parameter(context, version_id, rule['name'])


@db_api.writer
def update_configuration_parameter(context, version_id, rule):
    """Replace the rule ``rule['name']`` of a version.

    :raises ConfigurationParameterNotFound: it has none by that name.
    """
    get_configuration_parameter(context, version_id, rule['name'])
    load_configuration_parameters(context, version_id, [rule])
    return get_configuration_parameter(context, version_id, rule['name'])


@db_api.writer
def delete_configuration_parameter(context, version_id, name):
    """Delete one rule (a hard delete, as upstream).

    :raises ConfigurationParameterMissing: there is none (400, as
        upstream).
    """
    deleted = context.session.query(
        models.DatastoreConfigurationParameter).filter_by(
        datastore_version_id=version_id, name=name).delete()
    if not deleted:
        raise exception.ConfigurationParameterMissing(name=name,
                                                      version=version_id)


def _size(value):
    return None if value is None else str(value)
