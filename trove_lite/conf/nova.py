"""Options of the ``nova`` compute driver and of the service credentials
it acts with.

``[service_credentials]`` holds a keystoneauth plugin's options (the
``auth_type`` and what it needs: ``auth_url``, ``username``,
``password``, ``project_name``, the domains) plus the region and
interface of the catalog entries: the project of these credentials owns
every server, port, security group and volume of every instance (as
upstream Trove's service-tenant mode), so tenants never see them in their
own projects and cannot change or delete them. ``[nova]`` says how
servers are made.
"""

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

SERVICE_CREDENTIALS = 'service_credentials'

catalog_opts = [
    cfg.StrOpt('region_name',
               help='Region of the Compute, Block Storage, Network and '
                    'Image endpoints in the catalog; the only one when '
                    'unset.'),
    cfg.StrOpt('interface', default='public',
               choices=['public', 'internal', 'admin'],
               help='Which endpoint of each service to use.'),
]

nova_opts = [
    cfg.StrOpt('api_version', default='2.12',
               help='Compute API microversion the driver speaks (a version '
                    'that still takes injected files: below 2.57).'),
    cfg.StrOpt('file_injection', default='personality',
               choices=[('personality', "the guest's files are the "
                         "server's injected files (with config_drive, in "
                         'the config drive)'),
                        ('user_data', "the guest's files are written by "
                         'cloud-init from #cloud-config write_files')],
               help='How the guest agent\'s files (guest_info.conf with '
                    'its identity and sealing key, the guest config) reach '
                    'the server.'),
    cfg.BoolOpt('config_drive', default=True,
                help='Boot servers with a config drive (upstream\'s '
                     'use_nova_server_config_drive): the guest reads its '
                     'files without a metadata service.'),
    cfg.StrOpt('public_network_id',
               help='External network of the floating addresses of '
                    'public instances (access.is_public). Unset: an '
                    'instance cannot be made public.'),
    cfg.StrOpt('resource_name_prefix', default='trove-lite-',
               help='Prefix of the names of the servers\' ports, security '
                    'groups and volumes, followed by the instance id: '
                    'what delete and a failed create\'s revert find them '
                    'by.'),
    cfg.IntOpt('server_boot_timeout', default=600, min=1,
               help='Seconds a server may stay in BUILD before the create '
                    'fails (and is reverted).'),
    cfg.IntOpt('volume_timeout', default=300, min=1,
               help='Seconds a volume may take to become available, to '
                    'extend or to go away.'),
    cfg.IntOpt('server_delete_timeout', default=300, min=1,
               help='Seconds a server may take to go away before its '
                    'ports and security group are removed anyway.'),
    cfg.FloatOpt('poll_interval', default=2.0, min=0.05,
                 help='Seconds between two reads of a server or volume '
                      'whose status is changing.'),
]


def register_opts(conf):
    conf.register_opts(catalog_opts, group=SERVICE_CREDENTIALS)
    ks_loading.register_auth_conf_options(conf, SERVICE_CREDENTIALS)
    ks_loading.register_session_conf_options(conf, SERVICE_CREDENTIALS)
    conf.register_opts(nova_opts, group='nova')


def list_opts():
    auth = ks_loading.get_auth_common_conf_options()
    password = ks_loading.get_auth_plugin_conf_options('password')
    session = ks_loading.get_session_conf_options()
    credentials = list(catalog_opts) + auth + session + [
        opt for opt in password
        if opt.dest not in {o.dest for o in auth}]
    return {SERVICE_CREDENTIALS: credentials, 'nova': nova_opts}
