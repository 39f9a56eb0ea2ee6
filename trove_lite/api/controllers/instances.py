"""Database instances (tenant API).

Create validates everything first (``instance_requests``), creates the row
in BUILDING, and casts the work to a taskmanager. Restart and delete are a
task test-and-set on the row that takes its lock for a new holder id, then
a cast that hands the holder to the taskmanager running the flow. Reads serve what is stored
(the last heartbeat included) and never wait on a guest.
"""

import json

from oslo_config import cfg
from oslo_log import log as logging

from trove_lite.api.controllers import base
from trove_lite.api import instance_requests
from trove_lite.api import notices
from trove_lite.api import pagination
from trove_lite.api.schemas import common as schema
from trove_lite.api.schemas import instances as schemas
from trove_lite.api.views import instances as views
from trove_lite.api import wsgi
from trove_lite.common import context
from trove_lite.common import exception
from trove_lite.common import notifications
from trove_lite.common import policy
from trove_lite.common import states
from trove_lite.common import utils
from trove_lite.conf import datastores as datastores_conf
from trove_lite.db import models
from trove_lite.db.repositories import instance_listing
from trove_lite.db.repositories import instances as instance_repo
from trove_lite.db.repositories import quotas as quota_repo
from trove_lite.db.repositories import resource_locks
from trove_lite.db.repositories import root_history
from trove_lite.taskmanager import rpcapi as taskmanager_rpcapi

LOG = logging.getLogger(__name__)

# Actions that exist upstream but not here yet: answered 501, not 500.
_NOT_YET = ('resize', 'promote_to_replica_source', 'eject_replica_source')


def facts_of_page(entries):
    """The ``InstanceFacts`` of a page read by ``instance_listing``."""
    now = models.utcnow()
    expiry = cfg.CONF.agent_heartbeat_expiry
    facts = []
    for entry in entries:
        row = entry.instance
        status = (states.service_status(entry.status_id)
                  if entry.status_id is not None else states.SVC_UNKNOWN)
        status = instance_repo.effective_service_status(
            row, status, entry.heartbeat, now, expiry)
        version = entry.version
        facts.append(views.InstanceFacts(
            row=row, version=version,
            datastore_name=version.datastore_name if version else None,
            service_status=status, status_updated=entry.status_updated,
            heartbeat=entry.heartbeat, fault=entry.fault,
            addresses=instance_repo.addresses_of(row)))
    return facts


def _busy(row):
    """Whether something runs on the instance: a task that is not over
    (a failed task's error is over), or a worker holding its lock.
    """
    task = states.task(row.task_id)
    running = task is not states.NONE and not task.is_error
    return running or bool(row.lock_holder)


def _newest_first(facts):
    # NOTE(compat): pages are cut by id, then shown newest first.
    return sorted(facts, key=lambda f: f.row.created or models.utcnow(),
                  reverse=True)


class InstanceController:

    def _list(self, req, rule, view):
        ctx = base.authorize(req, rule)
        limit = pagination.page_limit(ctx, cfg.CONF.instances_page_size)
        include_clustered = req.params.get(
            'include_clustered', '').lower() == 'true'
        entries = instance_listing.list_page(
            ctx, limit + 1, project_id=ctx.project_id, marker=ctx.marker,
            include_clustered=include_clustered)
        entries, next_marker = pagination.split_page(entries, limit)
        items = [view(req, facts, ctx.is_admin)
                 for facts in _newest_first(facts_of_page(entries))]
        return pagination.paginated(req, 'instances', items, next_marker)

    def index(self, req, body):
        return self._list(req, 'instance:index', views.instance)

    def detail(self, req, body):
        return self._list(req, 'instance:detail', views.instance_detail)

    def _load(self, req, rule, instance_id):
        ctx = base.context_of(req)
        # NOTE(compat): an unknown id or a name is a 404, so that the CLI
        # falls back to listing and matching names; so is another
        # project's id, but for an admin (``context.lookup_project``).
        row = instance_repo.get(ctx, instance_id,
                                project_id=context.lookup_project(ctx))
        policy.authorize(ctx, rule, {'tenant': row.tenant_id})
        return ctx, row

    def show(self, req, body, id):
        ctx = base.context_of(req)
        # NOTE(compat): an unknown id or a name is a 404 (see _load).
        entry = instance_listing.get_listed(
            ctx, id, project_id=context.lookup_project(ctx))
        policy.authorize(ctx, 'instance:show',
                         {'tenant': entry.instance.tenant_id})
        [facts] = facts_of_page([entry])
        return {'instance': views.instance_detail(req, facts, ctx.is_admin)}

    def create(self, req, body):
        ctx = base.authorize(req, 'instance:create')
        spec = schema.validate(schemas.create, body)['instance']
        # NOTE(compat): upstream takes a replica's datastore, flavor and
        # volume from its source; until replication exists, a replica_of
        # must not fall through to "Please specify datastore".
        if 'replica_of' in spec:
            raise exception.NotImplementedYet(
                'Replication is not supported yet; create the instance '
                'without replica_of.')
        if spec.get('replica_count') or spec.get('locality'):
            raise exception.NotImplementedYet(
                'Replicas and locality are not supported yet.')
        if 'configuration' in spec:
            raise exception.NotImplementedYet(
                'Configuration groups are not supported yet.')
        resolved = instance_requests.resolve(ctx, spec)
        access = spec.get('access')
        values = {
            'name': spec['name'],
            'tenant_id': ctx.project_id,
            'flavor_id': resolved.flavor.id,
            'volume_size': resolved.volume_size,
            'datastore_version_id': resolved.version.id,
            'region_id': cfg.CONF.os_region_name,
            'access': json.dumps(access) if access else None,
        }
        with notices.instance_create(req, ctx, spec, resolved) as notice:
            row = quota_repo.run_with_quotas(
                ctx, ctx.project_id, instance_requests.quota_deltas(resolved),
                lambda session_ctx: instance_repo.create(session_ctx, values))
            notice.update(instance_id=row.id)
            root_password = self._root_on_create(resolved.version)
            self._cast_create(ctx, row, resolved, root_password,
                              notice.hand_off())
        if root_password:
            root_history.enable(ctx, row.id, ctx.user_id)
        [facts] = facts_of_page([instance_listing.get_listed(ctx, row.id)])
        return {'instance': views.instance_created(req, facts, ctx.is_admin,
                                                   root_password)}

    @staticmethod
    def _root_on_create(version):
        """A new root password when ``[<manager>] root_on_create`` asks
        for one (upstream has no request flag for it), else None.
        """
        options = datastores_conf.options_for(cfg.CONF, version.manager)
        if options is None or not options.root_on_create:
            return None
        return utils.generate_password(options.default_password_length)

    @staticmethod
    def _cast_create(ctx, row, resolved, root_password, notification):
        try:
            taskmanager_rpcapi.TaskManagerAPI().create_instance(
                ctx, row.id, resolved.databases, resolved.users,
                root_password, notification=notification)
        except Exception as err:
            LOG.exception('Could not ask a taskmanager to build %s', row.id)
            instance_repo.finish(ctx, row.id, 'build_failed_server', None)
            instance_repo.add_fault(
                ctx, row.id, 'The control plane could not start building '
                'the instance; delete it and try again.', str(err))
            raise exception.ServiceUnavailable(
                'No taskmanager could be reached; the instance is in ERROR.')

    def update(self, req, body, id):
        spec = schema.validate(schemas.update, body)['instance']
        ctx, row = self._load(req, 'instance:update', id)
        others = set(spec) - {'name'}
        if len(others) > 1:
            raise exception.BadRequest(
                "Only one attribute (except 'name') is allowed to update.")
        if others or not spec:
            raise exception.NotImplementedYet(
                'Changing %s of an instance is not supported yet.'
                % ', '.join(sorted(others or {'configuration'})))
        with notices.instance(req, ctx, notifications.INSTANCE_UPDATE,
                              row.id, name=spec['name']):
            instance_repo.update(ctx, row.id, name=spec['name'])
        return wsgi.Response(202)

    def edit(self, req, body, id):
        return self.update(req, body, id)

    def delete(self, req, body, id):
        """Delete an instance in whatever state it is (202).

        Upstream refuses to delete a building instance (422) and leaves a
        stuck one to an operator's reset_status; here a delete works from
        every state and takes the instance over from whatever runs on it
        (``state_machine``: delete is a take-over), so it stops a running
        create or restart. Deleting a busy instance (a task running:
        BUILD, REBOOT, RESIZE, a delete under way; or a worker holding it
        between two tasks) is therefore a forced delete, and checks
        ``instance:force_delete`` as well as ``instance:delete``; deleting
        an idle one (no task, or a failed task's error) checks
        ``instance:delete`` only.

        NOTE(race): the policy reads the row before the test-and-set; an
        operation that starts in between is taken over like any other.

        :raises PolicyNotAuthorized: either rule denies it (403).
        """
        ctx, row = self._load(req, 'instance:delete', id)
        if _busy(row):
            policy.authorize(ctx, 'instance:force_delete',
                             {'tenant': row.tenant_id})
        with notices.instance(req, ctx, notifications.INSTANCE_DELETE,
                              row.id) as notice:
            holder = resource_locks.new_holder(role=resource_locks.API_ROLE)
            instance_repo.start(ctx, row.id, 'delete', holder)
            taskmanager_rpcapi.TaskManagerAPI().delete_instance(
                ctx, row.id, notification=notice.hand_off(), holder=holder)
        return wsgi.Response(202)

    def action(self, req, body, id):
        body = schema.validate(schemas.action, body)
        [name] = body
        if name == 'restart':
            ctx, row = self._load(req, 'instance:restart', id)
            with notices.instance(req, ctx, notifications.INSTANCE_RESTART,
                                  row.id) as notice:
                holder = resource_locks.new_holder(
                    role=resource_locks.API_ROLE)
                instance_repo.start(ctx, row.id, 'restart', holder)
                taskmanager_rpcapi.TaskManagerAPI().restart(
                    ctx, row.id, notification=notice.hand_off(),
                    holder=holder)
        elif name == 'reset_status':
            # NOTE(compat): upstream checks a reset_status that carries
            # force_delete against instance:force_delete instead, so that
            # an owner allowed to force a delete may first clear what is
            # in its way (troveclient's force delete is a reset_status,
            # then a delete).
            rule = ('instance:force_delete'
                    if 'force_delete' in body['reset_status']
                    else 'instance:reset_status')
            ctx, row = self._load(req, rule, id)
            with notices.instance(req, ctx,
                                  notifications.INSTANCE_RESET_STATUS,
                                  row.id):
                instance_repo.reset(ctx, row.id)
        else:
            self._load(req, 'instance:update', id)
            raise exception.NotImplementedYet(
                'The %s action is not supported yet.' % name)
        return wsgi.Response(202)
