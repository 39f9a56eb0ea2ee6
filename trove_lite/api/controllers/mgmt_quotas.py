"""Quotas of a project (management API).

Show is upstream's exception among the management routes: any caller may
read their own project's quotas, an admin any project's. Update is for
admins only (401 otherwise, as every management route).
"""

from trove_lite.api.controllers import base
from trove_lite.api.schemas import common as schema
from trove_lite.api.schemas import quotas as schemas
from trove_lite.api.views import quotas as views
from trove_lite.db.repositories import quotas as quota_repo


class MgmtQuotaController:

    def show(self, req, body, project_id):
        ctx = base.authorize(req, 'mgmt:quota:show', {'tenant': project_id})
        return views.quotas(quota_repo.show(ctx, project_id))

    def update(self, req, body, project_id):
        ctx = base.require_admin(req, 'mgmt:quota:update')
        hard_limits = schema.validate(schemas.update, body)['quotas']
        return views.updated(quota_repo.update(ctx, project_id, hard_limits))
