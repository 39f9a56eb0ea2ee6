"""Quotas: hard limits per project, and usage that cannot drift.

A ``quotas`` row overrides the configured default limit of a resource.
Usage is never stored as a running counter: it is computed from the live
rows (instances, their flavors' RAM and volume sizes, backups), so a
failed operation, a crash or a lost message cannot leave it wrong.

What has to be atomic is "check that one more fits, then create it".
``run_with_quotas`` does both in one writer transaction: it first locks
the project's ``quota_usages`` rows (``SELECT ... FOR UPDATE``; on SQLite
the writer transaction already began with ``BEGIN IMMEDIATE`` and holds
the database's write lock), computes usage, raises ``QuotaExceeded`` when
a positive delta does not fit, and then runs the create in the same
transaction. Two concurrent creates are serialised on the lock, and the
second one sees the first one's row. The ``quota_usages`` rows are only
that lock (their counters stay 0); nothing is ever reserved beyond the
creating transaction, so the ``reservations`` table stays empty.
"""

import uuid

from oslo_config import cfg
from oslo_db import exception as db_exc

from trove_lite.common import exception
from trove_lite.db import api as db_api
from trove_lite.db import models
from trove_lite.db.repositories import instances as instance_repo

# resource name -> option holding its default limit
RESOURCES = {
    'instances': 'max_instances_per_tenant',
    'ram': 'max_ram_per_tenant',
    'volumes': 'max_volumes_per_tenant',
    'backups': 'max_backups_per_tenant',
}


@db_api.reader
def get_limits(context, project_id):
    """Hard limits of a project, ``{resource: limit}``; -1 is unlimited."""
    limits = {resource: getattr(cfg.CONF, option)
              for resource, option in RESOURCES.items()}
    rows = context.session.query(models.Quota).filter_by(
        tenant_id=project_id)
    for row in rows:
        if row.resource in limits:
            limits[row.resource] = row.hard_limit
    return limits


@db_api.reader
def get_usage(context, project_id):
    """What a project's live resources use, ``{resource: amount}``."""
    used = instance_repo.usage(context, project_id)
    used['backups'] = context.session.query(models.Backup).filter(
        models.Backup.deleted.is_(False),
        models.Backup.tenant_id == project_id).count()
    return used


@db_api.reader
def show(context, project_id):
    """Limit and usage of every resource of a project.

    :returns: ``{resource: (in_use, reserved, limit)}``; nothing is ever
        reserved past the transaction that creates it, so ``reserved`` is
        always 0.
    """
    limits = get_limits(context, project_id)
    used = get_usage(context, project_id)
    return {resource: (used[resource], 0, limits[resource])
            for resource in RESOURCES}


@db_api.writer
def update(context, project_id, hard_limits):
    """Set hard limits of a project.

    :param hard_limits: ``{resource: limit}``; a None limit is skipped.
    :returns: ``{resource: limit}`` of the resources changed.
    :raises QuotaResourceUnknown: a resource that has no quota.
    :raises BadValue: a limit below -1.
    """
    unknown = sorted(set(hard_limits) - set(RESOURCES))
    if unknown:
        raise exception.QuotaResourceUnknown(unknown=', '.join(unknown))
    changed = {}
    for resource, limit in sorted(hard_limits.items()):
        if limit is None:
            continue
        if limit < -1:
            raise exception.BadValue(
                'Quota limit %s for %s is below -1; use -1 for unlimited.'
                % (limit, resource))
        row = context.session.query(models.Quota).filter_by(
            tenant_id=project_id, resource=resource).first()
        if row is None:
            context.session.add(models.Quota(
                id=str(uuid.uuid4()), tenant_id=project_id,
                resource=resource, hard_limit=limit))
        else:
            row.hard_limit = limit
        changed[resource] = limit
    return changed


@db_api.reader
def _usage_row_count(context, project_id):
    return context.session.query(models.QuotaUsage.id).filter_by(
        tenant_id=project_id).count()


def _ensure_usage_rows(context, project_id):
    """Create the project's lock rows once, each in its own transaction.

    They are created outside the checking transaction: two transactions
    inserting the same missing row under a gap lock deadlock on MariaDB.
    """
    for resource in sorted(RESOURCES):
        try:
            _insert_usage_row(context, project_id, resource)
        except db_exc.DBDuplicateEntry:
            pass  # another request created it first


@db_api.writer
def _insert_usage_row(context, project_id, resource):
    exists = context.session.query(models.QuotaUsage.id).filter_by(
        tenant_id=project_id, resource=resource).first()
    if exists is None:
        context.session.add(models.QuotaUsage(
            id=str(uuid.uuid4()), tenant_id=project_id, resource=resource,
            in_use=0, reserved=0))


def run_with_quotas(context, project_id, deltas, create):
    """Check ``deltas`` against the quota and run ``create``, atomically.

    :param deltas: ``{resource: amount}`` the operation adds.
    :param create: called with ``context`` inside the same writer
        transaction (a ``db_api.writer`` repository function joins it).
    :returns: what ``create`` returns.
    :raises QuotaExceeded: a positive delta does not fit (413); nothing
        was created.
    """
    if _usage_row_count(context, project_id) < len(RESOURCES):
        _ensure_usage_rows(context, project_id)
    return _check_and_create(context, project_id, deltas, create)


@db_api.writer
def _check_and_create(context, project_id, deltas, create):
    # NOTE(quota): the lock that serialises creates of one project;
    # SQLAlchemy renders no FOR UPDATE on SQLite, where BEGIN IMMEDIATE
    # already serialises every writer. On InnoDB the locking read comes
    # first, so the plain reads below take their snapshot after the
    # previous holder committed and see its row.
    context.session.query(models.QuotaUsage.id).filter_by(
        tenant_id=project_id).order_by(
        models.QuotaUsage.resource).with_for_update().all()
    limits = get_limits(context, project_id)
    used = get_usage(context, project_id)
    overs = sorted(resource for resource, delta in deltas.items()
                   if delta > 0 and limits[resource] >= 0 and
                   used[resource] + delta > limits[resource])
    if overs:
        raise exception.QuotaExceeded(overs=', '.join(overs))
    return create(context)
