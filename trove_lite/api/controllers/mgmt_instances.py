"""Instances of every project (management API, admins only).

The actions are upstream's: ``stop`` stops the datastore server (a short
guest call; the instance stays stopped until a restart or a reboot),
``reboot`` restarts it through the restart workflow (also from a failed
task: it is an administrator's way back), ``reset-task-status`` clears a
stuck task, and ``migrate`` and ``rebuild`` are refused with a 501 that
says why, since no compute driver of trove_lite can move a server to
another host or boot it from another image.
"""

from oslo_config import cfg

from trove_lite.api.controllers import base
from trove_lite.api.controllers import instances as tenant
from trove_lite.api import guest_requests
from trove_lite.api import notices
from trove_lite.api import pagination
from trove_lite.api.schemas import common as schema
from trove_lite.api.schemas import instances as schemas
from trove_lite.api.views import instances as views
from trove_lite.api.views import root as root_views
from trove_lite.api import wsgi
from trove_lite.common import exception
from trove_lite.common import notifications
from trove_lite.common import states
from trove_lite.db.repositories import instance_listing
from trove_lite.db.repositories import instances as instance_repo
from trove_lite.db.repositories import local_servers
from trove_lite.db.repositories import root_history

# Why each compute operation upstream's Nova driver has is refused.
NO_MIGRATE = ('every instance of it runs on the host its server was made '
              'on, and trove_lite cannot move a server to another host')
NO_REBUILD = ("its instances boot from no image: they run the datastore "
              "server binaries of their host; to run another version's, "
              "upgrade the instance's datastore version (openstack "
              "database instance upgrade)")


class MgmtInstanceController:

    def index(self, req, body):
        ctx = base.require_admin(req, 'mgmt:instance:index')
        limit = pagination.page_limit(ctx, cfg.CONF.instances_page_size)
        include_clustered = req.params.get(
            'include_clustered', '').lower() == 'true'
        entries = instance_listing.list_page(
            ctx, limit + 1, project_id=req.params.get('project_id') or None,
            marker=ctx.marker, include_clustered=include_clustered)
        entries, next_marker = pagination.split_page(entries, limit)
        items = [views.mgmt_instance(req, facts)
                 for facts in tenant.facts_of_page(entries)]
        return pagination.paginated(req, 'instances', items, next_marker)

    def show(self, req, body, id):
        ctx = base.require_admin(req, 'mgmt:instance:show')
        [facts] = tenant.facts_of_page([instance_listing.get_listed(ctx, id)])
        if facts.fault is None:
            # The listing reads faults of failed instances only; an
            # administrator sees the note of a running one too.
            facts = facts._replace(fault=instance_repo.get_fault(ctx, id))
        server = local_servers.get(ctx, id)
        return {'instance': views.mgmt_instance_detail(
            req, facts, host=server.host if server else None,
            root=root_history.get(ctx, id))}

    def root(self, req, body, id):
        """Who enabled root on an instance and when ("Never"/"Nobody"
        when nobody did).
        """
        ctx = base.require_admin(req, 'mgmt:instance:root')
        instance_repo.get(ctx, id)
        return root_views.root_history(id, root_history.get(ctx, id))

    def rpc_ping(self, req, body, id):
        """Whether the instance's guest agent answers (204).

        :raises GuestTimeout: it does not (400, as other guest calls).
        """
        ctx = base.require_admin(req, 'mgmt:instance:rpc_ping')
        row = instance_repo.get(ctx, id)
        guest_requests.Guest(ctx, row).rpc_ping()
        return wsgi.Response(204)

    def action(self, req, body, id):
        ctx = base.require_admin(req, 'mgmt:instance:action')
        body = schema.validate(schemas.mgmt_action, body)
        [name] = body
        row = instance_repo.get(ctx, id)
        if name == 'reset-task-status':
            instance_repo.reset(ctx, id)
        elif name == 'stop':
            self._stop(ctx, row)
        elif name == 'reboot':
            self._reboot(req, ctx, row)
        elif name == 'migrate':
            raise exception.ComputeOperationNotSupported(
                driver=cfg.CONF.compute_driver, operation='migrate',
                reason=NO_MIGRATE)
        else:
            raise exception.ComputeOperationNotSupported(
                driver=cfg.CONF.compute_driver, operation='rebuild',
                reason=NO_REBUILD)
        return wsgi.Response(202)

    @staticmethod
    def _stop(ctx, row):
        """Stop the datastore server (the guest marks the stop as
        deliberate, so its supervisor leaves it down).

        :raises InstanceNotAvailable: a task runs on it or holds it (422).
        """
        task = states.task(row.task_id)
        if (task is not states.NONE and not task.is_error) or \
                row.lock_holder:
            raise exception.InstanceNotAvailable(task=task.name)
        guest_requests.Guest(ctx, row).stop_db()

    @staticmethod
    def _reboot(req, ctx, row):
        """Restart the datastore through the restart workflow (which
        first starts an agent that died), from NONE or a failed task.

        :raises InstanceNotAvailable: another task runs (422).
        :raises InstanceBusy: a worker holds it (409).
        """
        with notices.instance(req, ctx, notifications.INSTANCE_REBOOT,
                              row.id) as notice:
            holder, workflow_id, carried = tenant.InstanceController._start(
                ctx, row.id, 'restart', notice, event='reboot')
            tenant.InstanceController._cast(ctx, 'restart', row.id, carried,
                                            holder, workflow_id)
