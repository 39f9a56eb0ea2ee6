"""Configuration groups (tenant API): what ``openstack database
configuration create/list/show/set/delete/instances`` and ``parameter
set`` call.

A group is the project's; an admin's list shows every project's, as
upstream. A change of values is checked against the version's rules
before anything happens, then carried to every instance the group is
attached to (``configuration_requests.apply_group``: all or none) before
it is stored: a stored group never says what its instances do not have.
"""

from oslo_config import cfg

from trove_lite.api import configuration_requests as requests
from trove_lite.api.controllers import base
from trove_lite.api import instance_requests
from trove_lite.api import pagination
from trove_lite.api.schemas import common as schema
from trove_lite.api.schemas import configurations as schemas
from trove_lite.api.views import configurations as views
from trove_lite.api import wsgi
from trove_lite.common import context
from trove_lite.db.repositories import configurations as repo
from trove_lite.db.repositories import datastores as datastore_repo


class ConfigurationController:

    def _load(self, req, rule, id):
        ctx = base.context_of(req)
        group = repo.get(ctx, id, project_id=context.lookup_project(ctx))
        base.authorize(req, rule, {'tenant': group.tenant_id})
        version = datastore_repo.get_version_by_id(
            ctx, group.datastore_version_id)
        return ctx, group, version

    def _detail(self, ctx, group, version):
        return {'configuration': views.detail(
            group, version, repo.values(ctx, group.id),
            len(repo.attached(ctx, group.id)))}

    def index(self, req, body):
        ctx = base.authorize(req, 'configuration:index')
        limit = pagination.page_limit(ctx,
                                      cfg.CONF.configurations_page_size)
        rows = repo.list_page(
            ctx, project_id=None if ctx.is_admin else ctx.project_id,
            limit=limit + 1, marker=ctx.marker)
        rows, next_marker = pagination.split_page(rows, limit)
        items = [views.configuration(row, datastore_repo.get_version_by_id(
            ctx, row.datastore_version_id)) for row in rows]
        return pagination.paginated(req, 'configurations', items,
                                    next_marker)

    def show(self, req, body, id):
        ctx, group, version = self._load(req, 'configuration:show', id)
        return self._detail(ctx, group, version)

    def instances(self, req, body, id):
        ctx, group, _version = self._load(req, 'configuration:instances',
                                          id)
        limit = pagination.page_limit(ctx, cfg.CONF.instances_page_size)
        rows = repo.attached(ctx, group.id, limit=limit + 1,
                             marker=ctx.marker)
        rows, next_marker = pagination.split_page(rows, limit)
        return pagination.paginated(req, 'instances',
                                    [views.attached(row) for row in rows],
                                    next_marker)

    def create(self, req, body):
        ctx = base.authorize(req, 'configuration:create')
        spec = schema.validate(schemas.create, body)['configuration']
        # NOTE(compat): inactive versions are allowed, as upstream.
        _datastore, version = instance_requests.find_version(
            ctx, spec.get('datastore'))
        values = requests.check_values(ctx, version, spec['values'])
        group = repo.create(ctx, ctx.project_id, spec['name'],
                            spec.get('description'), version.id, values)
        return self._detail(ctx, group, version)

    def edit(self, req, body, id):
        """PATCH: merge ``values`` into the group's (200, no body)."""
        ctx, group, version = self._load(req, 'configuration:edit', id)
        spec = schema.validate(schemas.edit, body)['configuration']
        old = repo.values(ctx, group.id)
        merged = dict(old, **requests.check_values(ctx, version,
                                                   spec['values']))
        self._change(ctx, group, version, old, merged)
        return wsgi.Response(200)

    def update(self, req, body, id):
        """PUT: ``values`` become the group's whole set; a key it drops
        goes back to the datastore's default on every instance (202).
        """
        ctx, group, version = self._load(req, 'configuration:update', id)
        spec = schema.validate(schemas.update, body)['configuration']
        new = requests.check_values(ctx, version, spec['values'])
        old = repo.values(ctx, group.id)
        self._change(ctx, group, version, old, new, name=spec.get('name'),
                     description=spec.get('description'))
        return wsgi.Response(202)

    @staticmethod
    def _change(ctx, group, version, old, new, name=None, description=None):
        if new != old:
            requests.apply_group(ctx, repo.attached(ctx, group.id), new, old,
                                 requests.rules_of(ctx, version))
        repo.update(ctx, group.id, new, name=name, description=description)

    def delete(self, req, body, id):
        ctx, group, _version = self._load(req, 'configuration:delete', id)
        repo.delete(ctx, group.id)
        return wsgi.Response(202)
