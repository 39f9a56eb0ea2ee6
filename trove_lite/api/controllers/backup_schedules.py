"""Backup schedules of an instance (trove_lite's extension; upstream
answers "use cron").

A schedule is rows only: creating or deleting one is a single write, and
the taskmanagers run it (``taskmanager.backup_schedules``). Each request
first loads the instance the way the instance routes do: an unknown id,
or another project's instance for anyone but an administrator, is a 404;
then the rule is checked against the instance's project.

Create answers 200 with the schedule, not upstream's 202 of an
operation that goes on after the answer: the schedule exists when the
answer leaves. Delete answers 202, as upstream's deletes do; the
backups the schedule made stay.
"""

from trove_lite.api.controllers import base
from trove_lite.api.schemas import backup_schedules as schemas
from trove_lite.api.schemas import common as schema
from trove_lite.api.views import backup_schedules as views
from trove_lite.api import wsgi
from trove_lite.common import context
from trove_lite.common import policy
from trove_lite.common import schedule_patterns
from trove_lite.db.repositories import backup_schedules as schedule_repo
from trove_lite.db.repositories import instances as instance_repo

RULE = 'backup_schedule:%s'


def _load(req, action, instance_id):
    """The caller's context and the instance, with the rule checked.

    :raises InstanceNotFound: no such instance the caller may see (404).
    :raises PolicyNotAuthorized: the rule refuses (403).
    """
    ctx = base.context_of(req)
    row = instance_repo.get(ctx, instance_id,
                            project_id=context.lookup_project(ctx))
    policy.authorize(ctx, RULE % action, {'tenant': row.tenant_id})
    return ctx, row


class BackupScheduleController:

    def index(self, req, body, instance_id):
        """The instance's live schedules, oldest first."""
        ctx, instance = _load(req, 'index', instance_id)
        return views.many(schedule_repo.list_for_instance(ctx, instance.id))

    def show(self, req, body, instance_id, id):
        """:raises BackupScheduleNotFound: not a schedule of it (404)."""
        ctx, instance = _load(req, 'show', instance_id)
        return views.one(schedule_repo.get(ctx, id, instance.id))

    def create(self, req, body, instance_id):
        """Schedule backups of the instance (200 with the schedule).

        :raises ValidationError: the body's shape (400).
        :raises BadRequest: a pattern that cannot run (400).
        """
        spec = schema.validate(schemas.create, body)['backup_schedule']
        pattern = schedule_patterns.validate(spec['pattern'])
        ctx, instance = _load(req, 'create', instance_id)
        row = schedule_repo.create(
            ctx, instance.id, instance.tenant_id, spec['name'], pattern,
            spec['keep'], incremental=spec.get('incremental', False),
            description=spec.get('description'))
        return views.one(row)

    def delete(self, req, body, instance_id, id):
        """Delete a schedule; its backups stay (202).

        :raises BackupScheduleNotFound: not a schedule of it (404).
        """
        ctx, instance = _load(req, 'delete', instance_id)
        schedule_repo.delete(ctx, id, instance.id)
        return wsgi.Response(202)
