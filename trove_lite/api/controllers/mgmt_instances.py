"""Instances of every project (management API, admins only)."""

from oslo_config import cfg

from trove_lite.api.controllers import base
from trove_lite.api.controllers import instances as tenant
from trove_lite.api import pagination
from trove_lite.api.schemas import common as schema
from trove_lite.api.schemas import instances as schemas
from trove_lite.api.views import instances as views
from trove_lite.api.views import root as root_views
from trove_lite.api import wsgi
from trove_lite.common import exception
from trove_lite.db.repositories import instance_listing
from trove_lite.db.repositories import instances as instance_repo
from trove_lite.db.repositories import root_history


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
        return {'instance': views.mgmt_instance(req, facts)}

    def root(self, req, body, id):
        """Who enabled root on an instance and when ("Never"/"Nobody"
        when nobody did).
        """
        ctx = base.require_admin(req, 'mgmt:instance:root')
        instance_repo.get(ctx, id)
        return root_views.root_history(id, root_history.get(ctx, id))

    def action(self, req, body, id):
        ctx = base.require_admin(req, 'mgmt:instance:action')
        [name] = schema.validate(schemas.mgmt_action, body)
        instance_repo.get(ctx, id)
        if name == 'reset-task-status':
            instance_repo.reset(ctx, id)
            return wsgi.Response(202)
        raise exception.NotImplementedYet(
            'The %s management action is not supported yet.' % name)
