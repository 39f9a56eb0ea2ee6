"""[backup] options: where backups are stored and how they are streamed.

A backup is a stream: the datastore's strategy plugin (``[<manager>]
backup_strategy``) writes it, it is compressed and checksummed on the way,
and a storage plugin (``storage_driver`` in ``storage_namespace``) keeps
it. Nothing is staged whole on local disk.

The guest agent never holds service credentials: for Swift the
taskmanager gives it a token and the storage URL for the one operation
(``swift_auth``: the requesting user's token from Keystone, or, for a
deployment whose Swift is not behind Keystone, an account of the
operator's named here).
"""

from oslo_config import cfg

STORAGE_NAMESPACE = 'trove_lite.guestagent.storage'

backup_opts = [
    cfg.StrOpt('storage_driver', default='local',
               help='Name of the storage plugin in storage_namespace that '
                    'keeps new backups (local: a directory on the host, '
                    'the embedded default; swift: OpenStack Swift). A '
                    'backup is restored and deleted by the driver that '
                    'wrote it.'),
    cfg.StrOpt('storage_namespace', default=STORAGE_NAMESPACE,
               help='Entry point namespace the storage plugins are loaded '
                    'from.'),
    cfg.StrOpt('local_storage_path', default='$state_path/backups',
               help='Directory the local storage driver keeps backups in '
                    '(one file per backup).'),
    cfg.StrOpt('swift_container', default='database_backups',
               help='Swift container of backups when neither the request '
                    'nor a backup strategy names one (upstream\'s '
                    'backup_swift_container).'),
    cfg.StrOpt('swift_auth', default='keystone',
               choices=[('keystone', 'the requesting user\'s token and the '
                                     'object-store endpoint of the catalog'),
                        ('static', 'the account of swift_auth_url, '
                                   'swift_user and swift_key (Swift v1 '
                                   'auth, e.g. tempauth)')],
               help='How the taskmanager gets the Swift token and storage '
                    'URL it hands to the guest agent for one backup or '
                    'restore.'),
    cfg.URIOpt('swift_auth_url',
               help='Swift v1 auth URL (swift_auth = static).'),
    cfg.StrOpt('swift_user',
               help='Swift account user, e.g. "test:tester" '
                    '(swift_auth = static).'),
    cfg.StrOpt('swift_key', secret=True,
               help='Swift account key (swift_auth = static).'),
    cfg.StrOpt('swift_endpoint_type', default='publicURL',
               help='Catalog interface of the object-store endpoint '
                    '(swift_auth = keystone).'),
    cfg.IntOpt('chunk_size', default=65536, min=4096,
               help='Bytes read and written at a time while streaming '
                    '(upstream\'s backup_chunk_size).'),
    cfg.IntOpt('segment_max_size', default=2 * 1024 ** 3, min=1024 * 1024,
               help='Largest Swift object of a backup: a larger stream is '
                    'uploaded in segments under a manifest (upstream\'s '
                    'backup_segment_max_size).'),
    cfg.StrOpt('compressor', default='zstd',
               choices=['zstd', 'gzip'],
               help='Program that compresses backup streams; a backup '
                    'records its own, so changing it never breaks a '
                    'restore of an older one.'),
    cfg.IntOpt('abort_grace', default=60, min=0,
               help='Seconds the delete of a backup that was still being '
                    'taken waits for its guest agent to stop (and remove '
                    'what it stored) before the delete goes on.'),
    cfg.IntOpt('schedule_poll_interval', default=5, min=1,
               help='Seconds between two looks of a taskmanager for due '
                    'backup schedules.'),
    cfg.IntOpt('min_schedule_period', default=1, min=1,
               help='Shortest period (seconds) a backup schedule may '
                    'have.'),
]


def register_opts(conf):
    conf.register_opts(backup_opts, group='backup')


def list_opts():
    return {'backup': backup_opts}
