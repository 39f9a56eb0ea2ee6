"""Tasks on the broker driver: the guest's own broker identity.

The identity is made before the server (its options go into the guest's
``guest_info.conf``) and removed after it, so a guest never runs with an
identity that is about to vanish, nor does an identity outlive its guest.
"""

from oslo_config import cfg
from oslo_log import log as logging
from taskflow import task

from trove_lite.broker import base as broker_base
from trove_lite.guestagent import rpcapi as guest_rpcapi

LOG = logging.getLogger(__name__)


def grant_for(instance_id, conf=None):
    """The ``Grant`` of the guest agent of ``instance_id``: its topic and
    server as the agent listens (``guestagent.rpcapi``), the conductor's
    topic and the control exchange as this control plane uses them.
    """
    conf = conf or cfg.CONF
    return broker_base.Grant(
        instance_id=instance_id,
        topic=guest_rpcapi.topic_for(instance_id),
        server=instance_id,
        report_topic=conf.conductor_queue,
        exchange=broker_base.option('control_exchange', conf) or
        'openstack')


class CreateGuestIdentity(task.Task):
    """Make the guest's broker identity; revert removes it.

    Provides ``guest_transport``: the guest's ``[DEFAULT]`` broker options
    (a ``broker.base.GuestTransport``), or None when the driver has none
    to give.

    :param broker: the ``BrokerDriver``.
    """

    default_provides = 'guest_transport'

    def __init__(self, broker, **kwargs):
        super().__init__(**kwargs)
        self.broker = broker

    def execute(self, context, instance_id):
        return self.broker.create_identity(context, grant_for(instance_id))

    def revert(self, context, instance_id, **kwargs):
        try:
            self.broker.delete_identity(context, instance_id)
        except Exception:
            # NOTE(revert): a revert that raises stops the flow's revert
            # before the first task records the failure; log and go on.
            LOG.exception('Could not remove the broker identity of '
                          'instance %s', instance_id)


class DeleteGuestIdentity(task.Task):
    """Remove the guest's broker identity (nothing to do if it has none)
    and the queues its agent declared.

    :param broker: the ``BrokerDriver``.
    """

    def __init__(self, broker, **kwargs):
        super().__init__(**kwargs)
        self.broker = broker

    def execute(self, context, instance_id):
        self.broker.delete_identity(context, instance_id)
        grant = grant_for(instance_id)
        # NOTE(rabbit): the guest's topic queues outlive its user.
        self.broker.delete_queues(context, [
            grant.topic, '%s.%s' % (grant.topic, grant.server)])
