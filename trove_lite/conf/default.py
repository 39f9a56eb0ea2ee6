"""[DEFAULT] options every trove_lite process reads: identity and paths."""

import os
import socket

from oslo_config import cfg


def _default_state_path():
    # NOTE(embedded): datastore servers run as the mysql (or postgres)
    # user when we are root, and that user cannot enter /root: root's
    # default lives where system services keep state.
    if os.geteuid() == 0:
        return '/var/lib/trove-lite'
    return os.path.expanduser('~/.local/state/trove-lite')


default_opts = [
    cfg.StrOpt('host',
               default=socket.gethostname(),
               sample_default='<hostname>',
               help='Name of this node, used as the RPC server name of the '
                    'taskmanager and conductor running here.'),
    cfg.StrOpt('state_path',
               default=_default_state_path(),
               sample_default='/var/lib/trove-lite as root, else '
                              '~/.local/state/trove-lite',
               help='Directory where the embedded shape keeps everything it '
                    'writes: the SQLite infrastructure database, the '
                    'directories of local instances and their logs.'),
    cfg.StrOpt('inst_rpc_key_encr_key', secret=True,
               help='Secret that encrypts the per-instance keys stored in '
                    'the infrastructure database. Set it to the same value '
                    'on every control-plane host. Unset: a random secret '
                    'kept in <state_path>/inst_rpc_key_encr.key, with a '
                    'warning at start; services with a compute driver '
                    'other than local or fake (the cloud shape) refuse to '
                    'start without it.'),
    cfg.StrOpt('default_datastore',
               help='Datastore used when a create request names none.'),
    cfg.ListOpt('validation_rules_dirs', default=[],
                sample_default='<prefix>/share/trove-lite/datastores, '
                               '<source tree>/etc/trove-lite/datastores',
                help='Directories searched, in order, for the '
                     '<datastore manager>/validation-rules.json shipped with '
                     'trove_lite (the configuration parameters of each '
                     'datastore) when trove-lite-all registers a datastore '
                     'version. Empty means the installed share directory, '
                     'then the source tree.'),
]


def register_opts(conf):
    conf.register_opts(default_opts)


def list_opts():
    return {'DEFAULT': default_opts}
