"""The embedded shape's guests: identities on the in-process bus.

With ``kombu+trove-lite-memory`` (``common/memory_bus``) the guest agent
is a thread of ``trove-lite-all``. Each gets an identity of its own on the
bus (a user and a random password in a URL of its own,
``kombu+trove-lite-memory://trove-guest-<id>:<password>@localhost:5672/``),
and the bus allows that identity only:

* to declare, bind, consume and delete its own queues (``guestagent.<id>``,
  ``guestagent.<id>.<id>``, its fanout queues) and to declare the control
  exchange and its fanout exchange;
* to publish to the control exchange with the conductor's topic as the
  routing key, and to the default exchange with a ``reply_<hex>`` routing
  key (its answers to calls); RabbitMQ cannot narrow the latter, the bus
  can;
* to delete no exchange at all.

NOTE(embedded): what this does NOT give, and why. An agent thread runs in
the control plane's address space: code in that thread can reach the
process's shared transport (which has no identity and may do anything),
the infra DB engine and every instance key in memory. The identity keeps a
well-behaved agent (and a bug in it) on its own channel; it cannot keep a
compromised agent thread from the rest of the process. The datastore
servers an agent manages are separate processes either way. Where guests
must be isolated from the control plane, run agents as processes
(``[local] agent_mode = process``) over RabbitMQ with the ``rabbitmq``
driver, or on their own servers.

The local driver writes the identity into the instance's
``guest_info.conf``; the thread launcher (``cmd/launchers.py``) builds the
agent thread a transport of its own from it, and grants it again on the
bus when a restarted ``trove-lite-all`` re-adopts the agent
(``restore_identity``): the bus's registry lives in memory.
"""

import re
import secrets

from oslo_config import cfg
import oslo_messaging

from trove_lite.broker import base
from trove_lite.common import memory_bus

TRANSPORT = 'kombu+%s' % memory_bus.ALIAS
# NOTE(embedded): oslo.messaging passes a kombu+ URL with hosts to kombu
# with its credentials; the host and port mean nothing to the bus.
HOST = 'localhost'
PORT = 5672


def policy(grant):
    """The bus ``Policy`` of ``grant`` (see the module docstring)."""
    exchanges = '%s|%s' % (re.escape(grant.exchange),
                           re.escape(grant.fanout_exchange))
    return memory_bus.Policy(
        queues=grant.consume_pattern(), exchanges=exchanges,
        publish=((grant.exchange, re.escape(grant.report_topic)),
                 ('', 'reply_[0-9a-f]+')))


class MemoryDriver(base.BrokerDriver):
    """An identity per guest on the in-process bus.

    :param conf: the ``ConfigOpts`` (``cfg.CONF`` when omitted).
    """

    def __init__(self, conf=None):
        self.conf = conf or cfg.CONF

    def user_name(self, instance_id):
        return self.conf.guest_broker.user_prefix + instance_id

    def create_identity(self, context, grant):
        user = self.user_name(grant.instance_id)
        password = secrets.token_urlsafe(24)
        memory_bus.grant(user, password, policy(grant))
        url = oslo_messaging.TransportURL(
            self.conf, transport=TRANSPORT, hosts=[oslo_messaging.TransportHost(
                hostname=HOST, port=PORT, username=user, password=password)])
        return base.GuestTransport(transport_url=str(url),
                                   control_exchange=grant.exchange,
                                   conductor_queue=grant.report_topic)

    def delete_identity(self, context, instance_id):
        memory_bus.revoke(self.user_name(instance_id))

    def restore_identity(self, grant, transport_url):
        """Grant again the identity an agent thread's ``guest_info.conf``
        names: a restarted ``trove-lite-all`` re-adopts its agent threads,
        and the bus forgot every identity with the process.

        :returns: False when ``transport_url`` is not an identity of this
            driver for ``grant.instance_id`` (nothing is granted).
        """
        url = oslo_messaging.TransportURL.parse(self.conf, transport_url)
        if url.transport != TRANSPORT or len(url.hosts) != 1:
            return False
        [host] = url.hosts
        if host.username != self.user_name(grant.instance_id) or \
                not host.password:
            return False
        memory_bus.grant(host.username, host.password, policy(grant))
        return True
