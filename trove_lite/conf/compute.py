"""Options of the compute layer: which driver, and the local driver's.

``[DEFAULT] compute_driver`` names an entry point of namespace
``trove_lite.compute.drivers`` (``local``, ``fake``, ``nova``: see
``conf.nova``).
``[local]`` configures the driver that runs instances on this host.
"""

from oslo_config import cfg

compute_opts = [
    cfg.StrOpt('compute_driver', default='local',
               help='Compute driver of the taskmanager: the name of an '
                    'entry point in namespace trove_lite.compute.drivers '
                    '(local: instances are processes on this host; nova: '
                    'Nova servers with Cinder volumes and Neutron ports, '
                    'see [service_credentials] and [nova]; fake: no hosts '
                    'at all, for tests).'),
    cfg.ListOpt('management_networks', default=[],
                help='Networks (ids) every instance\'s server is attached '
                     'to, in order, after the tenant\'s own (its nics): '
                     'how its guest agent reaches the message bus. The '
                     'local driver ignores it.'),
    cfg.ListOpt('management_security_groups', default=[],
                help='Security groups (names or ids) of every instance\'s '
                     'server. The local driver ignores it.'),
    cfg.StrOpt('cinder_volume_type',
               help='Block storage type of the instances\' data volumes; '
                    'the driver\'s default when unset. The local driver '
                    'ignores it.'),
]

local_opts = [
    cfg.StrOpt('instances_path', default='$state_path/instances',
               help='Directory holding one directory per local instance: '
                    'guest_info.conf, data/, run/ and log/.'),
    cfg.StrOpt('address_range', default='127.77.0.0/16',
               help='Loopback network (inside 127.0.0.0/8) from which '
                    'each local instance gets an address of its own; the '
                    'lowest free one is taken.'),
    cfg.StrOpt('agent_mode', default='auto',
               choices=[('auto', 'thread when the transport is in-process '
                                 '(kombu+memory, fake), else process'),
                        ('thread', 'guest agents run as threads of the '
                                   'taskmanager (trove-lite-all only)'),
                        ('process', 'each guest agent is a '
                                    'trove-lite-guestagent process')],
               help='How the local driver runs guest agents.'),
    cfg.StrOpt('agent_command',
               help='Command that runs a guest agent in process mode, '
                    'split like a shell would split it; the local driver '
                    'appends --config-file <instance_dir>/guest_info.conf. '
                    'Default: the trove-lite-guestagent installed beside '
                    'the running Python (use this for an agent installed '
                    'elsewhere, or for extra options such as another '
                    '--config-file).'),
    cfg.StrOpt('volume_backend', default='auto',
               choices=[('auto', 'loop when this process is root and the '
                                 'tools are installed, else directory (and '
                                 'directory for a volume whose loop '
                                 'filesystem cannot be made)'),
                        ('loop', 'each volume is an ext4 image file of its '
                                 'size on a loop device, mounted on the '
                                 "instance's data/ (needs root)"),
                        ('directory', "data/ is a plain directory; the "
                                      'volume size is not enforced')],
               help='What a local instance\'s data volume is. Existing '
                    'volumes keep what they are when it changes.'),
    cfg.StrOpt('volumes_path', default='$state_path/volumes',
               help='Directory holding the image files of loop volumes '
                    '(<instance id>.img, sparse).'),
    cfg.StrOpt('access_enforcement', default='auto',
               choices=[('auto', 'nftables when nft can run here (root '
                                 'or CAP_NET_ADMIN), else none, with a '
                                 'warning'),
                        ('nftables', 'nftables, or instances are not '
                                     'made'),
                        ('none', 'access is stored and shown, not '
                                 'enforced')],
               help='How the local driver enforces the access of its '
                    'instances (upstream\'s is_public and allowed_cidrs): '
                    'with packet filtering of each instance\'s own address '
                    'and datastore ports in nftables table inet trove_lite. '
                    'A private instance (is_public false, the default) is '
                    'reached only from this host\'s private network '
                    '(private_cidrs and address_range); a public one also '
                    'from other source addresses in its allowed_cidrs '
                    '(every one when empty).'),
    cfg.ListOpt('private_cidrs', default=['127.0.0.1/32'],
                help='Source networks that are this host\'s private '
                     'network, beside the instances\' own address_range: '
                     'they reach every local instance whatever its access '
                     '(the control plane, the guest agents and a client '
                     'on this host that binds no source address connect '
                     'from 127.0.0.1). Everything else in 127.0.0.0/8 is '
                     'outside, as the public network of a cloud is.'),
    cfg.IntOpt('process_stop_timeout', default=20, min=1,
               help='Seconds a process of a local instance (its agent, its '
                    'datastore server) gets to exit after SIGTERM before '
                    'it is killed.'),
]


def register_opts(conf):
    conf.register_opts(compute_opts)
    conf.register_opts(local_opts, group='local')


def list_opts():
    return {'DEFAULT': compute_opts, 'local': local_opts}
