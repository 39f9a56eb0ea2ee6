"""Backups (tenant API), and the backups of one instance.

Create checks the body and the policy, then ``backups.begin`` does the
rest in one transaction (every refusal, the quota, the row in NEW with
the API's lock, the workflow record) and a cast wakes a taskmanager.
Delete moves the backup and the incremental backups built on it to
DELETING with one workflow record, then casts. As for instances, the
record and not the message is the work: a cast that is lost delays it by
a few seconds and loses nothing.

Lists page as upstream's do: an integer offset as the marker, newest
update first.
"""

from oslo_config import cfg
from oslo_log import log as logging

from trove_lite.api.controllers import base
from trove_lite.api import pagination
from trove_lite.api.schemas import backups as schemas
from trove_lite.api.schemas import common as schema
from trove_lite.api.views import backups as views
from trove_lite.api import wsgi
from trove_lite.common import context
from trove_lite.common import exception
from trove_lite.common import plugins
from trove_lite.common import policy
from trove_lite.db.repositories import backups as backup_repo
from trove_lite.db.repositories import instances as instance_repo
from trove_lite.taskmanager import rpcapi as taskmanager_rpcapi

LOG = logging.getLogger(__name__)

_TRUE = ('true', '1', 'yes', 'on')


def facts_of(ctx, rows):
    """The ``BackupFacts`` of ``rows``."""
    versions = backup_repo.versions_of(ctx, rows)
    facts = []
    for row in rows:
        fault = (backup_repo.get_fault(ctx, row.id)
                 if views.shows_fault(row) else None)
        facts.append(views.BackupFacts(
            row=row, version=versions.get(row.datastore_version_id),
            fault=fault))
    return facts


def page(req, ctx, **filters):
    """A page of backups as the list routes answer it."""
    limit = pagination.page_limit(ctx, cfg.CONF.backups_page_size)
    offset = pagination.page_offset(ctx)
    rows = backup_repo.list_backups(ctx, limit=limit, offset=offset,
                                    **filters)
    items = [views.backup(facts) for facts in facts_of(ctx, rows)]
    return pagination.paginated(req, 'backups', items,
                                pagination.next_offset(rows, offset, limit))


def cast(ctx, method, backup_id, workflow_id):
    """Wake a taskmanager for a recorded backup workflow.

    NOTE(workflows): a cast that cannot be sent loses nothing: the record
    is claimed by the next taskmanager that looks.
    """
    try:
        getattr(taskmanager_rpcapi.TaskManagerAPI(), method)(
            ctx, backup_id, workflow_id)
    except Exception:
        LOG.exception('Could not cast %s of backup %s; a taskmanager will '
                      'claim workflow %s when it looks', method, backup_id,
                      workflow_id)


class BackupController:

    def index(self, req, body):
        """Backups of the caller's project; of another project or of all
        with ``project_id`` or ``all_projects`` (administrators).
        """
        ctx = base.authorize(req, 'backup:index')
        project_id = req.params.get('project_id') or None
        all_projects = (req.params.get('all_projects', '').lower()
                        in _TRUE)
        if project_id or all_projects:
            policy.authorize(ctx, 'backup:index:all_projects')
        return page(req, ctx, project_id=project_id,
                    all_projects=all_projects,
                    instance_id=req.params.get('instance_id') or None,
                    datastore=req.params.get('datastore') or None)

    def _load(self, req, rule, backup_id):
        ctx = base.context_of(req)
        # NOTE(compat): an unknown id or a name is a 404, so that the CLI
        # falls back to listing and matching names; so is another
        # project's backup, but for an admin (``context.lookup_project``).
        row = backup_repo.get(ctx, backup_id)
        policy.authorize(ctx, rule, {'tenant': row.tenant_id})
        return ctx, row

    def show(self, req, body, id):
        ctx, row = self._load(req, 'backup:show', id)
        [facts] = facts_of(ctx, [row])
        return {'backup': views.backup(facts)}

    def create(self, req, body):
        """Start a backup (202, in state NEW).

        :raises NotImplementedYet: ``restore_from`` (501).
        :raises BackupCreationError: no ``instance`` (400).
        :raises BadValue: a ``storage_driver`` that is not installed
            (400); an installed one other than ``[backup] storage_driver``
            keeps this backup (upstream takes the request's too).
        """
        ctx = base.authorize(req, 'backup:create')
        spec = schema.validate(schemas.create, body)['backup']
        if 'restore_from' in spec:
            raise exception.NotImplementedYet(
                'restore_from is not supported: a backup can only be '
                'created from an instance.')
        if 'instance' not in spec:
            raise exception.BackupCreationError('Unable to create Backup.')
        driver = spec.get('storage_driver')
        installed = plugins.names(cfg.CONF.backup.storage_namespace)
        if driver is not None and driver not in installed:
            raise exception.BadValue(
                'storage_driver %r is not available; this deployment has '
                '%s (default %s).' % (driver, ', '.join(installed),
                                      cfg.CONF.backup.storage_driver))
        row, workflow_id, _ = backup_repo.begin(
            ctx, spec['instance'], spec['name'],
            description=spec.get('description'),
            parent_id=spec.get('parent_id'),
            incremental=bool(spec.get('incremental')),
            swift_container=spec.get('swift_container'),
            storage_driver=driver)
        cast(ctx, 'create_backup', row.id, workflow_id)
        [facts] = facts_of(ctx, [row])
        return wsgi.Response(202, {'backup': views.backup(facts)})

    def delete(self, req, body, id):
        """Delete a backup and the incremental backups built on it (202).

        :raises BackupNotAvailable: one of them is still running (422).
        """
        ctx, row = self._load(req, 'backup:delete', id)
        _, _, workflow_id = backup_repo.begin_delete(ctx, row.id)
        cast(ctx, 'delete_backup', row.id, workflow_id)
        return wsgi.Response(202)


class InstanceBackupController:
    """``GET /instances/{id}/backups``."""

    def index(self, req, body, id):
        ctx = base.context_of(req)
        # NOTE(compat): a 404 for an unknown id or another project's
        # instance, but for an admin (see BackupController._load).
        row = instance_repo.get(ctx, id,
                                project_id=context.lookup_project(ctx))
        policy.authorize(ctx, 'instance:backups', {'tenant': row.tenant_id})
        return page(req, ctx, instance_id=row.id, project_id=row.tenant_id)
