"""Configuration parameters of a datastore version (tenant API).

What ``openstack database configuration parameter list/show`` read: the
validation rules a configuration group's values are checked against. A
version is named by datastore and version (name or id), or by its id
alone.
"""

from trove_lite.api.controllers import base
from trove_lite.api.views import configuration_parameters as views
from trove_lite.db.repositories import datastores as repo

WRAPPER = 'configuration-parameters'


def _version(ctx, datastore, version):
    return repo.get_version(ctx, repo.get_datastore(ctx, datastore).id,
                            version)


def _listed(ctx, version):
    return {WRAPPER: [views.parameter(row) for row in
                      repo.list_configuration_parameters(ctx, version.id)]}


class ConfigurationParameterController:

    def index(self, req, body, datastore, id):
        ctx = base.authorize(req, 'configuration-parameter:index')
        return _listed(ctx, _version(ctx, datastore, id))

    def show(self, req, body, datastore, id, name):
        ctx = base.authorize(req, 'configuration-parameter:show')
        version = _version(ctx, datastore, id)
        return views.parameter(repo.get_configuration_parameter(
            ctx, version.id, name))

    def index_by_version(self, req, body, version):
        ctx = base.authorize(req, 'configuration-parameter:index_by_version')
        return _listed(ctx, repo.get_version_by_id(ctx, version))

    def show_by_version(self, req, body, version, name):
        ctx = base.authorize(req, 'configuration-parameter:show_by_version')
        found = repo.get_version_by_id(ctx, version)
        return views.parameter(repo.get_configuration_parameter(
            ctx, found.id, name))
