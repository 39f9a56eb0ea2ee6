"""Backup strategies (tenant API): the Swift container of a project's
backups, or of one instance's (upstream's ``/backup_strategies``).

A backup that names no container goes to its instance's strategy's,
else its project's, else ``[backup] swift_container``
(``backups.container_for``).
"""

from trove_lite.api.controllers import base
from trove_lite.api.schemas import backups as schemas
from trove_lite.api.schemas import common as schema
from trove_lite.api.views import backups as views
from trove_lite.api import wsgi
from trove_lite.common import context
from trove_lite.common import exception
from trove_lite.db.repositories import backups as backup_repo
from trove_lite.db.repositories import instances as instance_repo


def _project(ctx, req):
    """The project a request's ``project_id`` names; another project than
    the caller's is an administrator's.

    :raises Forbidden: a non-admin names another project (403).
    """
    project_id = req.params.get('project_id') or ctx.project_id
    if project_id != ctx.project_id and not ctx.is_admin:
        raise exception.Forbidden(
            'Only an administrator may manage the backup strategies of '
            'another project.')
    return project_id


class BackupStrategyController:

    def create(self, req, body):
        """Set the container (202); one strategy per project and instance.

        :raises InstanceNotFound: ``instance_id`` names no instance of the
            caller (404).
        """
        ctx = base.authorize(req, 'backup_strategy:create')
        spec = schema.validate(schemas.strategy_create,
                               body)['backup_strategy']
        project_id = ctx.project_id
        instance_id = spec.get('instance_id') or backup_repo.PROJECT_WIDE
        if instance_id:
            # NOTE(compat): the strategy of an instance is its owner's,
            # which an admin reaches by id (``context.lookup_project``).
            project_id = instance_repo.get(
                ctx, instance_id,
                project_id=context.lookup_project(ctx)).tenant_id
        row = backup_repo.upsert_strategy(ctx, project_id, instance_id,
                                          spec['swift_container'])
        return wsgi.Response(202, {'backup_strategy': views.strategy(row)})

    def index(self, req, body):
        ctx = base.authorize(req, 'backup_strategy:index')
        rows = backup_repo.list_strategies(
            ctx, _project(ctx, req), req.params.get('instance_id'))
        return {'backup_strategies': [views.strategy(row) for row in rows]}

    def delete(self, req, body):
        """Forget a strategy (202), whether or not there was one."""
        ctx = base.authorize(req, 'backup_strategy:delete')
        backup_repo.delete_strategy(ctx, _project(ctx, req),
                                    req.params.get('instance_id', ''))
        return wsgi.Response(202)
