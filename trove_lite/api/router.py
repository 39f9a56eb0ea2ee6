"""The v1.0 route table (paths relative to ``/v1.0``).

Every path starts with the project; the tenant middleware has already
checked it is the caller's, so controllers never see ``tenant_id``.
"""

import routes
import routes.middleware
import webob.exc

from trove_lite.api.controllers import backup_schedules
from trove_lite.api.controllers import backup_strategies
from trove_lite.api.controllers import backups
from trove_lite.api.controllers import configuration_parameters
from trove_lite.api.controllers import configurations
from trove_lite.api.controllers import databases
from trove_lite.api.controllers import datastores
from trove_lite.api.controllers import flavors
from trove_lite.api.controllers import guest_logs
from trove_lite.api.controllers import instances
from trove_lite.api.controllers import limits
from trove_lite.api.controllers import mgmt_configuration_parameters
from trove_lite.api.controllers import mgmt_datastore_versions
from trove_lite.api.controllers import mgmt_instances
from trove_lite.api.controllers import mgmt_quotas
from trove_lite.api.controllers import root
from trove_lite.api.controllers import user_access
from trove_lite.api.controllers import users
from trove_lite.api import versions
from trove_lite.api import wsgi

T = '/{tenant_id}'
DBS = T + '/instances/{instance_id}/databases'
USERS = T + '/instances/{instance_id}/users'
ACCESS = USERS + '/{user_id}/databases'
SCHEDULES = T + '/instances/{instance_id}/backup_schedules'


def _routes(mapper, controller, table):
    resource = wsgi.Resource(controller)
    for method, path, action in table:
        mapper.connect(path, controller=resource, action=action,
                       conditions={'method': [method]})


class APIRouter:
    """Routes every v1.0 request to its controller action."""

    def __init__(self):
        mapper = routes.Mapper()
        _routes(mapper, versions.VersionController(), [
            ('GET', '/', 'show'),
        ])
        # NOTE(routes): before the datastore routes, whose
        # /datastores/{datastore}/versions/... would take "versions" for
        # a datastore's name.
        _routes(mapper,
                configuration_parameters.ConfigurationParameterController(), [
                    ('GET', T + '/datastores/versions/{version}/parameters',
                     'index_by_version'),
                    ('GET', T + '/datastores/versions/{version}/parameters/'
                                '{name}', 'show_by_version'),
                    ('GET', T + '/datastores/{datastore}/versions/{id}/'
                                'parameters', 'index'),
                    ('GET', T + '/datastores/{datastore}/versions/{id}/'
                                'parameters/{name}', 'show'),
                ])
        _routes(mapper, datastores.DatastoreController(), [
            ('GET', T + '/datastores', 'index'),
            ('GET', T + '/datastores/versions/{version_id}',
             'version_show_by_uuid'),
            ('GET', T + '/datastores/{id}', 'show'),
            ('DELETE', T + '/datastores/{id}', 'delete'),
            ('GET', T + '/datastores/{datastore}/versions', 'version_index'),
            ('GET', T + '/datastores/{datastore}/versions/{id}',
             'version_show'),
            ('GET', T + '/datastores/{datastore}/versions/{version_id}'
                        '/flavors', 'list_associated_flavors'),
        ])
        _routes(mapper, flavors.FlavorController(), [
            ('GET', T + '/flavors', 'index'),
            ('GET', T + '/flavors/{id}', 'show'),
        ])
        _routes(mapper, instances.InstanceController(), [
            ('GET', T + '/instances', 'index'),
            ('GET', T + '/instances/detail', 'detail'),
            ('POST', T + '/instances', 'create'),
            ('GET', T + '/instances/{id}', 'show'),
            ('PUT', T + '/instances/{id}', 'update'),
            ('PATCH', T + '/instances/{id}', 'edit'),
            ('DELETE', T + '/instances/{id}', 'delete'),
            ('POST', T + '/instances/{id}/action', 'action'),
            ('GET', T + '/instances/{id}/configuration', 'configuration'),
        ])
        _routes(mapper, configurations.ConfigurationController(), [
            ('GET', T + '/configurations', 'index'),
            ('POST', T + '/configurations', 'create'),
            ('GET', T + '/configurations/{id}', 'show'),
            ('GET', T + '/configurations/{id}/instances', 'instances'),
            ('PATCH', T + '/configurations/{id}', 'edit'),
            ('PUT', T + '/configurations/{id}', 'update'),
            ('DELETE', T + '/configurations/{id}', 'delete'),
        ])
        _routes(mapper, backups.InstanceBackupController(), [
            ('GET', T + '/instances/{id}/backups', 'index'),
        ])
        _routes(mapper, backups.BackupController(), [
            ('GET', T + '/backups', 'index'),
            ('POST', T + '/backups', 'create'),
            ('GET', T + '/backups/{id}', 'show'),
            ('DELETE', T + '/backups/{id}', 'delete'),
        ])
        _routes(mapper, backup_strategies.BackupStrategyController(), [
            ('GET', T + '/backup_strategies', 'index'),
            ('POST', T + '/backup_strategies', 'create'),
            ('DELETE', T + '/backup_strategies', 'delete'),
        ])
        _routes(mapper, mgmt_instances.MgmtInstanceController(), [
            ('GET', T + '/mgmt/instances', 'index'),
            ('GET', T + '/mgmt/instances/{id}', 'show'),
            ('POST', T + '/mgmt/instances/{id}/action', 'action'),
            ('GET', T + '/mgmt/instances/{id}/root', 'root'),
            ('GET', T + '/mgmt/instances/{id}/rpc_ping', 'rpc_ping'),
        ])
        _routes(mapper, databases.DatabaseController(), [
            ('GET', DBS, 'index'),
            ('POST', DBS, 'create'),
            ('GET', DBS + '/{id}', 'show'),
            ('DELETE', DBS + '/{id}', 'delete'),
        ])
        _routes(mapper, users.UserController(), [
            ('GET', USERS, 'index'),
            ('POST', USERS, 'create'),
            ('PUT', USERS, 'update_all'),
            ('GET', USERS + '/{id}', 'show'),
            ('PUT', USERS + '/{id}', 'update'),
            ('DELETE', USERS + '/{id}', 'delete'),
        ])
        _routes(mapper, user_access.UserAccessController(), [
            ('GET', ACCESS, 'index'),
            ('PUT', ACCESS, 'update'),
            ('DELETE', ACCESS + '/{id}', 'delete'),
        ])
        _routes(mapper, root.RootController(), [
            ('GET', T + '/instances/{instance_id}/root', 'index'),
            ('POST', T + '/instances/{instance_id}/root', 'create'),
            ('DELETE', T + '/instances/{instance_id}/root', 'delete'),
        ])
        _routes(mapper, guest_logs.GuestLogController(), [
            ('GET', T + '/instances/{instance_id}/log', 'index'),
            ('POST', T + '/instances/{instance_id}/log', 'action'),
        ])
        _routes(mapper, backup_schedules.BackupScheduleController(), [
            ('GET', SCHEDULES, 'index'),
            ('POST', SCHEDULES, 'create'),
            ('GET', SCHEDULES + '/{id}', 'show'),
            ('DELETE', SCHEDULES + '/{id}', 'delete'),
        ])
        _routes(mapper, limits.LimitsController(), [
            ('GET', T + '/limits', 'index'),
        ])
        _routes(mapper, mgmt_quotas.MgmtQuotaController(), [
            ('GET', T + '/mgmt/quotas/{project_id}', 'show'),
            ('PUT', T + '/mgmt/quotas/{project_id}', 'update'),
        ])
        _routes(mapper,
                mgmt_datastore_versions.MgmtDatastoreVersionController(), [
                    ('GET', T + '/mgmt/datastore-versions', 'index'),
                    ('POST', T + '/mgmt/datastore-versions', 'create'),
                    ('GET', T + '/mgmt/datastore-versions/{id}', 'show'),
                    ('PATCH', T + '/mgmt/datastore-versions/{id}', 'edit'),
                    ('DELETE', T + '/mgmt/datastore-versions/{id}',
                     'delete'),
                ])
        params = T + '/mgmt/datastores/versions/{version_id}/parameters'
        _routes(mapper, mgmt_configuration_parameters
                .MgmtConfigurationParameterController(), [
                    ('GET', params, 'index'),
                    ('POST', params, 'create'),
                    ('GET', params + '/{name}', 'show'),
                    ('PUT', params + '/{name}', 'update'),
                    ('DELETE', params + '/{name}', 'delete'),
                ])
        self.mapper = mapper
        self._router = routes.middleware.RoutesMiddleware(self._dispatch,
                                                          mapper)

    @classmethod
    def factory(cls, global_config, **local_config):
        return cls()

    def __call__(self, environ, start_response):
        return self._router(environ, start_response)

    @staticmethod
    def _dispatch(environ, start_response):
        match = environ['wsgiorg.routing_args'][1]
        if not match:
            raise webob.exc.HTTPNotFound()
        return match['controller'](environ, start_response)
