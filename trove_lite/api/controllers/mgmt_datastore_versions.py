"""Datastore versions (management API, admins only).

What ``openstack datastore version create/set/delete`` call; the same
registration ``trove-lite-manage datastore_version_update`` performs.
"""

from oslo_config import cfg

from trove_lite.api.controllers import base
from trove_lite.api import pagination
from trove_lite.api.schemas import common as schema
from trove_lite.api.schemas import mgmt_datastore_versions as schemas
from trove_lite.api.views import datastores as views
from trove_lite.api import wsgi
from trove_lite.common import exception
from trove_lite.db.repositories import datastores as repo


def _view(ctx, row):
    datastore = repo.get_datastore(ctx, row.datastore_id)
    return views.mgmt_version(row, datastore.default_version_id)


class MgmtDatastoreVersionController:

    def index(self, req, body):
        ctx = base.require_admin(req, 'mgmt:datastore_version:index')
        limit = pagination.page_limit(ctx, cfg.CONF.datastores_page_size)
        rows = repo.list_versions(ctx, limit=limit + 1, marker=ctx.marker)
        rows, next_marker = pagination.split_page(rows, limit)
        return pagination.paginated(req, 'versions',
                                    [_view(ctx, row) for row in rows],
                                    next_marker)

    def show(self, req, body, id):
        ctx = base.require_admin(req, 'mgmt:datastore_version:show')
        return {'version': _view(ctx, repo.get_version_by_id(ctx, id))}

    def create(self, req, body):
        ctx = base.require_admin(req, 'mgmt:datastore_version:create')
        spec = schema.validate(schemas.create, body)['version']
        datastore = repo.update_datastore(ctx, spec['datastore_name'])
        version_number = spec.get('version') or spec['name']
        existing = [v for v in repo.list_versions(ctx, datastore.id)
                    if v.name == spec['name'] and v.version == version_number]
        if existing:
            raise exception.DatastoreVersionAlreadyExists(
                name=spec['name'], version=version_number,
                datastore=datastore.name)
        row = repo.upsert_version(
            ctx, datastore.name, spec['name'], spec['datastore_manager'],
            image_id=spec.get('image') or '',
            packages=','.join(spec.get('packages') or []),
            active=spec['active'], version=version_number,
            image_tags=spec.get('image_tags'),
            registry_ext=spec.get('registry_ext'),
            repl_strategy=spec.get('repl_strategy'))
        if spec.get('default'):
            repo.update_datastore(ctx, datastore.name, row.id)
        return wsgi.Response(202)

    def edit(self, req, body, id):
        ctx = base.require_admin(req, 'mgmt:datastore_version:edit')
        spec = schema.validate(schemas.edit, body)
        row = repo.get_version_by_id(ctx, id)
        values = {}
        if 'name' in spec:
            values['name'] = spec['name']
        if 'image' in spec:
            values['image_id'] = spec['image'] or None
        if 'image_tags' in spec:
            values['image_tags'] = ','.join(spec['image_tags'])
        if 'packages' in spec:
            values['packages'] = ','.join(spec['packages'])
        for key in ('active', 'registry_ext', 'repl_strategy'):
            if key in spec:
                values[key] = spec[key] or ('' if key != 'active' else False)
        row = repo.update_version(ctx, row.id, **values)
        if spec.get('default') is True:
            repo.update_datastore(ctx, row.datastore.name, row.id)
        elif spec.get('default') is False:
            datastore = repo.get_datastore(ctx, row.datastore_id)
            if datastore.default_version_id == row.id:
                repo.update_datastore(ctx, datastore.name, '')
        return wsgi.Response(202)

    def delete(self, req, body, id):
        ctx = base.require_admin(req, 'mgmt:datastore_version:delete')
        repo.delete_version(ctx, id)
        return wsgi.Response(202)
