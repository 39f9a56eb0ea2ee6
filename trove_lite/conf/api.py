"""[DEFAULT] options of the REST API service (upstream's names)."""

from oslo_config import cfg

api_opts = [
    cfg.HostAddressOpt('bind_host', default='0.0.0.0',
                       help='Address the API service listens on.'),
    cfg.PortOpt('bind_port', default=8779,
                help='Port the API service listens on.'),
    cfg.StrOpt('api_paste_config', default='api-paste.ini',
               help='PasteDeploy file that builds the API pipeline. A '
                    'relative name is looked up next to the configuration '
                    'files, then in the installed share directory.'),
    cfg.StrOpt('auth_strategy', default='keystone',
               choices=[('keystone', 'validate Keystone tokens with '
                                     'keystonemiddleware authtoken'),
                        ('noauth', 'accept any token; the project comes '
                                   'from the URL (development only)')],
               help='Which pipeline of api-paste.ini serves /v1.0.'),
    cfg.URIOpt('public_endpoint',
               help='Base URL advertised in the version document; the '
                    'request host URL when unset.'),
    cfg.IntOpt('trove_api_workers', min=1,
               deprecated_name='api_workers',
               help='Number of worker processes of trove-lite-api, each '
                    'serving connections with threads; unset means one '
                    'per CPU, as upstream. trove-lite-all always serves '
                    'in its one process.'),
    cfg.ListOpt('admin_roles', default=[],
                help='Roles that make a request an admin request. Empty '
                     'means the policy rule context_is_admin decides.'),
    cfg.IntOpt('instances_page_size', default=20, min=1,
               help='Largest page of instances one list request returns.'),
    cfg.IntOpt('datastores_page_size', default=20, min=1,
               help='Largest page of datastores or datastore versions one '
                    'list request returns.'),
    cfg.IntOpt('users_page_size', default=20, min=1,
               help='Largest page of users of an instance one list request '
                    'returns.'),
    cfg.IntOpt('databases_page_size', default=20, min=1,
               help='Largest page of databases of an instance one list '
                    'request returns.'),
    cfg.IntOpt('backups_page_size', default=20, min=1,
               help='Largest page of backups one list request returns.'),
    cfg.IntOpt('configurations_page_size', default=20, min=1,
               help='Largest page of configuration groups one list request '
                    'returns.'),
    cfg.IntOpt('http_get_rate', default=200, min=0,
               help='GET requests a project may make per minute; 0 means '
                    'no limit.'),
    cfg.IntOpt('http_post_rate', default=200, min=0,
               help='POST requests a project may make per minute; 0 means '
                    'no limit.'),
    cfg.IntOpt('http_put_rate', default=200, min=0,
               help='PUT requests a project may make per minute; 0 means '
                    'no limit.'),
    cfg.IntOpt('http_delete_rate', default=200, min=0,
               help='DELETE requests a project may make per minute; 0 means '
                    'no limit.'),
    cfg.IntOpt('http_mgmt_post_rate', default=200, min=0,
               help='POST requests on /mgmt a project may make per minute; 0 '
                    'means no limit.'),
]


def register_opts(conf):
    conf.register_opts(api_opts)


def list_opts():
    return {'DEFAULT': api_opts}
