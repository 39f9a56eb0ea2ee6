"""[DEFAULT] options naming the RPC topics and timeouts."""

from oslo_config import cfg

messaging_opts = [
    cfg.StrOpt('taskmanager_queue', default='taskmanager',
               help='RPC topic of the taskmanager service.'),
    cfg.StrOpt('conductor_queue', default='trove-conductor',
               help='RPC topic of the conductor service.'),
    cfg.IntOpt('rpc_ping_timeout', default=10, min=1,
               help='Seconds to wait for an rpc_ping answer.'),
    cfg.IntOpt('agent_call_low_timeout', default=15, min=1,
               help='Seconds to wait for a short call to a guest agent.'),
    cfg.IntOpt('agent_call_high_timeout', default=180, min=1,
               help='Seconds to wait for a long call to a guest agent.'),
    cfg.IntOpt('agent_replication_snapshot_timeout', default=1800, min=1,
               help='Seconds to wait for a replication source to make the '
                    'snapshot a new replica is seeded from (it may stream '
                    'a whole backup).'),
    cfg.IntOpt('sealed_message_ttl', default=300, min=10,
               help='Seconds a sealed guest-channel message (a command to '
                    'a guest, a report of a guest) stays valid after it was '
                    'sealed. Older ones are refused, and one seen already '
                    'within this window is refused as a replay. Keep the '
                    'clocks of the control plane and the guests well within '
                    'it (NTP); a message sealed more than 60 seconds in the '
                    'future of the receiver is always refused.'),
]


def register_opts(conf):
    conf.register_opts(messaging_opts)


def list_opts():
    return {'DEFAULT': messaging_opts}
