"""[DEFAULT] options of the guest agent: who this agent is.

The control plane writes them into the instance's ``guest_info.conf``
(upstream's file and names), so an agent only ever knows its own identity.
"""

from oslo_config import cfg

guest_agent_opts = [
    # NOTE(guest): not required=True, because the option is registered on
    # the global CONF of every trove_lite process and oslo.config checks
    # required options at parse time; trove-lite-guestagent checks it.
    cfg.StrOpt('guest_id',
               help='ID of the database instance this guest agent manages. '
                    'The agent listens on topic guestagent.<guest_id> and '
                    'refuses to start without it.'),
]


def register_opts(conf):
    conf.register_opts(guest_agent_opts)


def list_opts():
    return {'DEFAULT': guest_agent_opts}
