"""[DEFAULT] options of guest logs (upstream's names and defaults).

The control plane decides where and how a guest publishes a log and
sends it with each request, so a guest agent needs none of these: the
container comes from the storage description, the object size and the
expiry are arguments of ``guest_log_action``.
"""

from oslo_config import cfg

guest_log_opts = [
    cfg.StrOpt('guest_log_container_name', default='database_logs',
               help='Container (Swift) or directory under [backup] '
                    'local_storage_path (local storage) that published '
                    'guest logs go to.'),
    cfg.IntOpt('guest_log_limit', default=1000000, min=1024,
               help='Most bytes of a log published as one object; a '
                    'longer log is published as several, cut at line '
                    'ends.'),
    cfg.IntOpt('guest_log_expiry', default=2592000, min=0,
               help='Seconds a published log object is kept in Swift '
                    'before Swift deletes it (X-Delete-After); 0 keeps it '
                    'until the log is discarded.'),
]


def register_opts(conf):
    conf.register_opts(guest_log_opts)


def list_opts():
    return {'DEFAULT': guest_log_opts}
