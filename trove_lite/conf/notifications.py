"""[DEFAULT] options of the notifications trove_lite sends.

Where notifications go (driver, topics, transport) is oslo.messaging's
``[oslo_messaging_notifications]`` group; these options only shape what
the usage events say.
"""

from oslo_config import cfg

notification_opts = [
    cfg.DictOpt('notification_service_id', default={},
                help='Service id sent as service_id in the trove.instance.* '
                     'usage events, per datastore manager (e.g. '
                     'mysql:<uuid>,postgresql:<uuid>), for billing systems '
                     'that tell services apart by id. A manager not listed '
                     'is sent as its own name.'),
]


def register_opts(conf):
    conf.register_opts(notification_opts)


def list_opts():
    return {'DEFAULT': notification_opts}
