"""The interface of broker-identity drivers.

A guest is untrusted (ARCHITECTURE §5): it must not hold the control
plane's broker credentials, or a compromised guest could read every other
guest's commands and send the taskmanager orders. So each instance gets a
broker identity of its own, made when the instance is created and removed
when it is deleted, allowed as little traffic as the broker can express:

* consume its own queues: oslo.messaging's ``<topic>`` and
  ``<topic>.<server>`` queues of its topic (``guestagent.<instance id>``)
  and its fanout queue and exchange;
* publish only to the conductor's topic on the control exchange (the
  guest only casts to the conductor, it never calls it), and reply to the
  calls it serves.

A driver makes the identity and answers the ``[DEFAULT]`` options the
guest connects with (``GuestTransport``); the taskmanager's create flow
puts them in the guest's ``guest_info.conf``. What each broker can and
cannot enforce is documented on its driver.

Drivers are entry points of namespace ``trove_lite.broker.drivers``,
chosen by ``[guest_broker] driver``.
"""

import abc
import dataclasses
import re

from oslo_config import cfg
from stevedore import driver as stevedore_driver

from trove_lite.common import exception

NAMESPACE = 'trove_lite.broker.drivers'
AUTO = 'auto'
# Transports that only exist inside one process: their guests are agent
# threads of the control plane (see compute/local/launcher.py).
IN_PROCESS_SCHEMES = ('kombu+memory', 'kombu+trove-lite-memory', 'fake')


class BrokerError(exception.ServerError):
    message = 'The broker could not manage a guest identity: %(reason)s'


@dataclasses.dataclass(frozen=True)
class Grant:
    """The traffic one guest is allowed.

    :param instance_id: whose identity it is.
    :param topic: the topic the guest agent listens on
        (``guestagent.<instance id>``).
    :param server: the agent's server name on that topic (its
        ``<topic>.<server>`` queue).
    :param report_topic: the only topic the guest may send to (the
        conductor's).
    :param exchange: the control exchange both topics live on.
    """

    instance_id: str
    topic: str
    server: str
    report_topic: str
    exchange: str

    @property
    def fanout_exchange(self):
        # NOTE(rabbit): oslo.messaging's naming (impl_rabbit
        # declare_fanout_consumer): exchange '<topic>_fanout', queue
        # '<topic>_fanout_<uuid hex>'.
        return '%s_fanout' % self.topic

    def consume_pattern(self):
        """Regex of the queue/exchange names the guest may consume from."""
        topic = re.escape(self.topic)
        server = re.escape(self.server)
        return r'%s(\.%s|_fanout(_[0-9a-f]+)?)?' % (topic, server)


class GuestTransport(dict):
    """The ``[DEFAULT]`` broker options of one guest: ``transport_url``,
    ``control_exchange``, ``conductor_queue``.

    A dict (what the flow store and guest_info rendering take) whose
    ``repr`` hides the URL: it carries the guest's password, which must
    not reach a log line through a debug print of the flow's store.
    """

    def __repr__(self):
        shown = dict(self, transport_url='***') \
            if 'transport_url' in self else dict(self)
        return 'GuestTransport(%r)' % shown

    __str__ = __repr__


class BrokerDriver(abc.ABC):
    """Makes and removes the broker identity of guests."""

    @abc.abstractmethod
    def create_identity(self, context, grant):
        """Make the identity of ``grant.instance_id``, allowed ``grant``.

        Making it again (a retried create) replaces the password and the
        permissions.

        :param context: the request context.
        :param grant: a ``Grant``.
        :returns: a ``GuestTransport`` for the guest's ``[DEFAULT]``, or
            None when the driver has no options to give (the guest then
            shares the control plane's transport, as an agent thread).
        :raises: BrokerError if the broker refuses or cannot be reached.
        """

    @abc.abstractmethod
    def delete_identity(self, context, instance_id):
        """Remove the identity of ``instance_id``; its open connections
        are refused from then on. No error if there is none (delete is
        retried, and runs after failed creates).

        :raises: BrokerError if the broker refuses or cannot be reached.
        """

    def delete_queues(self, context, names):
        """Remove the queues a deleted guest declared.

        A broker keeps a queue nobody consumes (the guest's topic queues
        are not auto-delete: an agent that reconnects must find its
        messages); removing the guest's user does not remove them. Best
        effort: a queue that cannot be removed is logged, not raised.
        Drivers whose guests declare no queues of their own have nothing
        to do.

        :param names: the queue names (``guest_rpcapi`` topics).
        """


def transport_url(conf=None):
    """The control plane's ``transport_url``.

    '' when unset or when oslo.messaging has not registered it yet.
    """
    conf = conf or cfg.CONF
    try:
        return conf.transport_url or ''
    except cfg.NoSuchOptError:
        return ''


def option(name, conf=None):
    """A ``[DEFAULT]`` option oslo.messaging or we registered, or ''."""
    conf = conf or cfg.CONF
    try:
        return getattr(conf, name) or ''
    except cfg.NoSuchOptError:
        return ''


def driver_name(conf=None):
    """``[guest_broker] driver`` with 'auto' resolved.

    ``memory`` when the transport is in-process, else ``rabbitmq``.
    """
    conf = conf or cfg.CONF
    name = conf.guest_broker.driver
    if name != AUTO:
        return name
    scheme = transport_url(conf).split(':', 1)[0]
    return 'memory' if scheme in IN_PROCESS_SCHEMES else 'rabbitmq'


def load_driver(name=None, **kwargs):
    """The broker driver ``name`` (``[guest_broker] driver`` if None).

    :raises: BrokerError naming the namespace and the driver when no such
        driver is installed.
    """
    name = name or driver_name()
    try:
        manager = stevedore_driver.DriverManager(
            NAMESPACE, name, invoke_on_load=True, invoke_kwds=kwargs)
    except Exception as err:
        raise BrokerError(reason='cannot load driver %r of namespace %s: %s'
                          % (name, NAMESPACE, err))
    return manager.driver
