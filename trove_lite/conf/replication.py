"""[replication] options: automatic failover of replication sources."""

from oslo_config import cfg

replication_opts = [
    cfg.BoolOpt('failover_default', default=False,
                help='Automatic failover for replication sources whose '
                     'owner did not choose (the instance\'s "failover" '
                     'attribute, on create and update): when the source\'s '
                     'guest agent is silent for failover_deadline seconds '
                     'and a replica is healthy, the conductor promotes the '
                     'most advanced replica.'),
    cfg.IntOpt('failover_deadline', default=6, min=1,
               help='Seconds without a heartbeat from a replication '
                    'source\'s guest agent after which an automatic '
                    'failover replaces it. Keep it above report_interval; '
                    'a shorter one fails over sooner and more often on a '
                    'busy host.'),
    cfg.FloatOpt('failover_ping_timeout', default=1.0, min=0.1,
                 help='Seconds a silent source\'s guest agent gets to '
                      'answer a ping before it counts as lost: an agent '
                      'that answers is late with its heartbeats (a busy '
                      'host), not gone, and is not failed over.'),
    cfg.FloatOpt('failover_check_interval', default=1.0, min=0.1,
                 help='Seconds between two looks of each conductor for '
                      'replication sources to fail over.'),
]


def register_opts(conf):
    conf.register_opts(replication_opts, group='replication')


def list_opts():
    return {'replication': replication_opts}
