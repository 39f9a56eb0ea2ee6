"""Pages of instances with everything their views need, in one statement.

Listing instances is the API's busiest read. A page used to cost four
statements in four transactions (the instances, their service statuses,
their heartbeats, every datastore version). Here one SELECT joins each
instance to its service status, its live heartbeat and its datastore
version, and the statement for each shape of request (with or without a
project, a marker, clustered instances) is built once and then only
executed with new parameters: SQLAlchemy's compiled cache then skips
compilation, and the request skips building the expression altogether.

Faults are read in the same transaction, only for the rows that can have
one (those in ERROR). ``show`` reads its one instance the same way: the
API's pollers (the CLI waiting for ACTIVE) call it many times a second.
"""

import collections
import threading

import sqlalchemy as sa

from trove_lite.common import exception
from trove_lite.common import states
from trove_lite.db import api as db_api
from trove_lite.db import models
from trove_lite.db.repositories import backup_reports
from trove_lite.db.repositories import instances as instance_repo


class Listed(collections.namedtuple(
        'Listed',
        'instance status_id status_updated heartbeat version fault '
        'backing_up replicas', defaults=(False, ()))):
    """An instance row and what its views need besides the row
    (``backing_up``: a backup of it is running; ``replicas``: the ids of
    its live replicas, sorted).
    """

    __slots__ = ()

    @property
    def id(self):
        # NOTE(listing): pagination cuts pages by the instance's id.
        return self.instance.id


# The parts of a heartbeat and of a datastore version the views read.
HeartbeatSummary = collections.namedtuple(
    'HeartbeatSummary', 'updated_at volume_used volume_total replication')
VersionSummary = collections.namedtuple(
    'VersionSummary', 'id name version datastore_name')

# The instance columns the views and the listing read. Not the others:
# every column read costs its conversion, and the instance's encrypted key
# has no business in an API process's list request.
LISTED_COLUMNS = (
    'id', 'name', 'compute_instance_id', 'task_id', 'task_description',
    'volume_id', 'flavor_id', 'volume_size', 'tenant_id', 'server_status',
    'datastore_version_id', 'region_id', 'access', 'addresses', 'created',
    'updated', 'deleted', 'deleted_at', 'slave_of_id', 'configuration_id',
    'task_start_time', 'locality')

# The index that orders a project's instances by id (see ``_build``).
_PAGE_INDEX_HINT = 'FORCE INDEX (instances_tenant_id_id)'
_MYSQL_DIALECTS = ('mysql', 'mariadb')

_statements = {}
_statements_lock = threading.Lock()


def _build(by_project, after_marker, include_clustered, by_id=False):
    instances = models.Instance.__table__
    statuses = models.ServiceStatus.__table__
    beats = models.AgentHeartbeat.__table__
    versions = models.DatastoreVersion.__table__
    stores = models.Datastore.__table__
    # NOTE(listing): the page is cut first and only its rows are joined;
    # joining before the LIMIT makes SQLite join every live instance and
    # sort them all. The joined rows are put back in id order in Python,
    # which costs less than a second sort in the database.
    page = sa.select(*[instances.c[name] for name in LISTED_COLUMNS]).where(
        instances.c.deleted.is_(False))
    if by_project:
        page = page.where(instances.c.tenant_id == sa.bindparam('project'))
    if not include_clustered:
        page = page.where(instances.c.cluster_id.is_(None))
    if after_marker:
        page = page.where(instances.c.id > sa.bindparam('marker'))
    if by_id:
        page = page.where(instances.c.id == sa.bindparam('instance_id'))
    elif by_project:
        # NOTE(mysql): MariaDB walks a project's instances through the
        # ``tenant_id`` index and skips those before the marker one by
        # one, so a page deep in a large project cost more the deeper it
        # was (0.7 ms against 0.2 at the middle of 10,000). With this
        # index named it reads the range after the marker in id order.
        for dialect in _MYSQL_DIALECTS:
            page = page.with_hint(instances, _PAGE_INDEX_HINT, dialect)
    page = page.order_by(instances.c.id).limit(
        sa.bindparam('limit')).subquery('page')
    joined = page.outerjoin(
        statuses, statuses.c.instance_id == page.c.id).outerjoin(
        beats, sa.and_(beats.c.instance_id == page.c.id,
                       beats.c.deleted.is_(False))).outerjoin(
        versions, versions.c.id == page.c.datastore_version_id
    ).outerjoin(stores, stores.c.id == versions.c.datastore_id)
    return sa.select(
        page,
        statuses.c.status_id.label('listed_status_id'),
        statuses.c.updated_at.label('listed_status_updated'),
        beats.c.id.label('listed_beat_id'),
        beats.c.updated_at.label('listed_beat_updated'),
        beats.c.volume_used.label('listed_volume_used'),
        beats.c.volume_total.label('listed_volume_total'),
        beats.c.replication.label('listed_replication'),
        versions.c.name.label('listed_version_name'),
        versions.c.version.label('listed_version_number'),
        stores.c.name.label('listed_datastore_name'),
    ).select_from(joined)


def _statement(by_project, after_marker, include_clustered, by_id=False):
    key = (by_project, after_marker, include_clustered, by_id)
    statement = _statements.get(key)
    if statement is None:
        with _statements_lock:
            statement = _statements.setdefault(key, _build(*key))
    return statement


def may_have_fault(row, status_id=None):
    """Whether an instance row is in a state that stores a fault: a
    failed task, a server in error, or (``status_id``, its service
    status) a server its guest agent gave up on.
    """
    return states.task(row.task_id).is_error or (
        row.server_status == states.SERVER_ERROR) or (
        status_id == states.SVC_FAILED.code)


@db_api.reader
def list_page(context, limit, project_id=None, marker=None,
              include_clustered=False):
    """Up to ``limit`` live instances after ``marker``, ordered by id.

    :param project_id: only this project's instances; None for all.
    :returns: ``Listed`` entries; ``instance`` is a read-only row with the
        ``LISTED_COLUMNS`` of ``models.Instance`` as attributes.
    """
    statement = _statement(project_id is not None, bool(marker),
                           include_clustered)
    params = {'limit': limit}
    if project_id is not None:
        params['project'] = project_id
    if marker:
        params['marker'] = marker
    return _entries(context, statement, params)


@db_api.reader
def get_listed(context, instance_id, project_id=None):
    """One live instance as ``list_page`` reads them (for ``show``).

    :param project_id: refuse an instance of another project.
    :raises InstanceNotFound: no such live instance (or not the project's).
    """
    statement = _statement(project_id is not None, False, True, by_id=True)
    params = {'limit': 1, 'instance_id': instance_id}
    if project_id is not None:
        params['project'] = project_id
    entries = _entries(context, statement, params)
    if not entries:
        raise exception.InstanceNotFound(uuid=instance_id)
    return entries[0]


def _entries(context, statement, params):
    entries = []
    seen = set()
    first_listed = len(LISTED_COLUMNS)
    for row in context.session.execute(statement, params).all():
        if row.id in seen:
            # NOTE(listing): one service status per instance is what we
            # write; a stray second one must not show the instance twice.
            continue
        seen.add(row.id)
        # NOTE(perf): by position; a Row's attribute lookup by name costs
        # more than the rest of the loop.
        (status_id, status_updated, beat_id, beat_updated, volume_used,
         volume_total, replication, version_name, version_number,
         datastore_name) = row[first_listed:]
        beat = None
        if beat_id is not None:
            beat = HeartbeatSummary(beat_updated, volume_used, volume_total,
                                    replication)
        version = None
        if version_name is not None:
            version = VersionSummary(row.datastore_version_id, version_name,
                                     version_number, datastore_name)
        fault = (instance_repo.get_fault(context, row.id)
                 if may_have_fault(row, status_id) else None)
        entries.append(Listed(row, status_id, status_updated, beat, version,
                              fault))
    backing_up = backup_reports.running_instance_ids(context, seen)
    if backing_up:
        entries = [entry._replace(backing_up=entry.id in backing_up)
                   for entry in entries]
    replicas = _replicas_of(context, seen)
    if replicas:
        entries = [entry._replace(replicas=tuple(replicas.get(entry.id, ())))
                   for entry in entries]
    entries.sort(key=_instance_id)
    return entries


def _replicas_of(context, instance_ids):
    """``{source id: [replica ids, sorted]}`` of the live replicas of
    ``instance_ids``.
    """
    if not instance_ids:
        return {}
    instances = models.Instance.__table__
    rows = context.session.execute(
        sa.select(instances.c.id, instances.c.slave_of_id).where(
            instances.c.slave_of_id.in_(sorted(instance_ids)),
            instances.c.deleted.is_(False)).order_by(instances.c.id)).all()
    found = {}
    for replica_id, source_id in rows:
        found.setdefault(source_id, []).append(replica_id)
    return found


def _instance_id(entry):
    return entry.instance.id
