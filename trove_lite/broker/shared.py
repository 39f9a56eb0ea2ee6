"""INSECURE, for tests and development only: every guest gets the control
plane's own broker URL.

This is what trove_lite did before guests had identities of their own: a
guest holding the service's credentials can read every other guest's
commands, send the taskmanager orders and delete anything on the broker.
Use it only where every guest is trusted (a developer's machine, a test
broker without per-user administration).
"""

from oslo_log import log as logging

from trove_lite.broker import base

LOG = logging.getLogger(__name__)


class SharedDriver(base.BrokerDriver):
    """Hands every guest the control plane's ``transport_url``."""

    def create_identity(self, context, grant):
        LOG.warning('Instance %s gets the control plane\'s broker '
                    'credentials ([guest_broker] driver = shared): for '
                    'tests and development only', grant.instance_id)
        return base.GuestTransport(
            transport_url=base.transport_url(),
            control_exchange=grant.exchange,
            conductor_queue=grant.report_topic)

    def delete_identity(self, context, instance_id):
        pass
