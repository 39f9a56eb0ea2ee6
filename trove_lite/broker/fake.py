"""A broker driver for tests: records identities, talks to no broker."""

from trove_lite.broker import base

FAKE_URL = 'rabbit://%s:fake-password@fake-broker:5672/'


class FakeDriver(base.BrokerDriver):
    """Records the grants it is given.

    :param fail_create: an exception ``create_identity`` raises.

    ``identities`` maps instance ids to their ``Grant``; ``deleted`` lists
    every ``delete_identity`` call in order, ``deleted_queues`` every queue
    ``delete_queues`` was given.
    """

    def __init__(self, fail_create=None):
        self.fail_create = fail_create
        self.identities = {}
        self.deleted = []
        self.deleted_queues = []

    def create_identity(self, context, grant):
        if self.fail_create is not None:
            raise self.fail_create
        self.identities[grant.instance_id] = grant
        return base.GuestTransport(
            transport_url=FAKE_URL % ('fake-' + grant.instance_id),
            control_exchange=grant.exchange,
            conductor_queue=grant.report_topic)

    def delete_identity(self, context, instance_id):
        self.identities.pop(instance_id, None)
        self.deleted.append(instance_id)

    def delete_queues(self, context, names):
        self.deleted_queues.extend(names)
