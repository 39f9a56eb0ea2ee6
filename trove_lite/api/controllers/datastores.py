"""Datastores and their versions (tenant API)."""

from oslo_config import cfg

from trove_lite.api.controllers import base
from trove_lite.api import pagination
from trove_lite.api.views import datastores as views
from trove_lite.api.views import flavors as flavor_views
from trove_lite.api import wsgi
from trove_lite.db.repositories import datastores as repo
from trove_lite.db.repositories import flavors as flavor_repo


class DatastoreController:

    def index(self, req, body):
        ctx = base.authorize(req, 'datastore:index')
        limit = pagination.page_limit(ctx, cfg.CONF.datastores_page_size)
        only_active = not ctx.is_admin
        rows = repo.list_datastores(ctx, only_active=only_active,
                                    limit=limit + 1, marker=ctx.marker)
        rows, next_marker = pagination.split_page(rows, limit)
        items = [views.datastore(req, row, repo.list_versions(
            ctx, row.id, only_active=only_active), ctx.is_admin)
            for row in rows]
        return pagination.paginated(req, 'datastores', items, next_marker)

    def show(self, req, body, id):
        ctx = base.authorize(req, 'datastore:show')
        row = repo.get_datastore(ctx, id)
        versions = repo.list_versions(ctx, row.id,
                                      only_active=not ctx.is_admin)
        return {'datastore': views.datastore(req, row, versions,
                                             ctx.is_admin)}

    def delete(self, req, body, id):
        ctx = base.authorize(req, 'datastore:delete')
        repo.delete_datastore(ctx, id)
        return wsgi.Response(202)

    def version_index(self, req, body, datastore):
        ctx = base.authorize(req, 'datastore:version_index')
        row = repo.get_datastore(ctx, datastore)
        limit = pagination.page_limit(ctx, cfg.CONF.datastores_page_size)
        versions = repo.list_versions(ctx, row.id,
                                      only_active=not ctx.is_admin,
                                      limit=limit + 1, marker=ctx.marker)
        versions, next_marker = pagination.split_page(versions, limit)
        items = [views.version(req, v, ctx.is_admin) for v in versions]
        return pagination.paginated(req, 'versions', items, next_marker)

    def version_show(self, req, body, datastore, id):
        ctx = base.authorize(req, 'datastore:version_show')
        row = repo.get_datastore(ctx, datastore)
        version = repo.get_version(ctx, row.id, id)
        return {'version': views.version(req, version, ctx.is_admin)}

    def version_show_by_uuid(self, req, body, version_id):
        ctx = base.authorize(req, 'datastore:version_show_by_uuid')
        version = repo.get_version_by_id(ctx, version_id)
        return {'version': views.version(req, version, ctx.is_admin)}

    def list_associated_flavors(self, req, body, datastore, version_id):
        ctx = base.authorize(req, 'datastore:list_associated_flavors')
        row = repo.get_datastore(ctx, datastore)
        version = repo.get_version(ctx, row.id, version_id)
        allowed = set(repo.list_version_metadata(ctx, version.id,
                                                 repo.FLAVOR_KEY))
        flavors = [f for f in flavor_repo.list_flavors(ctx)
                   if not allowed or f.id in allowed]
        return {'flavors': [flavor_views.flavor(req, f) for f in flavors]}
