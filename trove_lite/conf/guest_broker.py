"""[guest_broker]: the broker identity each guest gets.

``driver`` names an entry point of namespace ``trove_lite.broker.drivers``
(``rabbitmq``, ``memory``, ``shared``); see ``trove_lite/broker/``.
"""

from oslo_config import cfg

guest_broker_opts = [
    cfg.StrOpt('driver', default='auto',
               help='Broker-identity driver of guests: "auto" (memory when '
                    'the transport is in-process, else rabbitmq) or the '
                    'name of an entry point in namespace '
                    'trove_lite.broker.drivers: rabbitmq (a RabbitMQ user '
                    'per instance, allowed only its own queues and the '
                    'conductor\'s topic), memory (agent threads of the '
                    'embedded shape), shared (INSECURE: every guest gets '
                    'the control plane\'s own transport_url; tests and '
                    'development only).'),
    cfg.StrOpt('user_prefix', default='trove-guest-',
               help='rabbitmq: the broker user of an instance is this '
                    'prefix followed by the instance id.'),
    cfg.StrOpt('guest_transport_url', secret=True,
               help='rabbitmq: the URL guests reach the broker by (its '
                    'credentials are replaced by the instance\'s own). '
                    'Default: the control plane\'s transport_url; set it '
                    'when guests reach the broker at another address.'),
    cfg.URIOpt('management_url', schemes=['http', 'https'],
               help='rabbitmq: the management plugin\'s HTTP API '
                    '(e.g. http://rabbit:15672) through which guest users '
                    'are made. When unset, rabbitmqctl_command is run on '
                    'this host instead.'),
    cfg.StrOpt('management_username', default='guest',
               help='rabbitmq: administrator of the management API.'),
    cfg.StrOpt('management_password', default='guest', secret=True,
               help='rabbitmq: password of management_username.'),
    cfg.StrOpt('rabbitmqctl_command', default='rabbitmqctl',
               help='rabbitmq without management_url: the rabbitmqctl '
                    'command, split like a shell would split it (e.g. '
                    '"sudo rabbitmqctl", "docker exec rabbitmq '
                    'rabbitmqctl"). It must be allowed to administer '
                    'users of the broker.'),
]


def register_opts(conf):
    conf.register_opts(guest_broker_opts, group='guest_broker')


def list_opts():
    return {'guest_broker': guest_broker_opts}
