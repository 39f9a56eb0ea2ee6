"""Client side of the conductor RPC API.

Guests report to the conductor (heartbeats, backup progress, faults) and
operators' tools ask it for its health through ``ConductorAPI``. Every
method names the version it needs, so that during a rolling upgrade
``[upgrade_levels] conductor`` can cap what new senders emit to what the
oldest conductor on the bus understands. Guests are the slowest part of an
upgrade, so this contract changes only by addition.
"""

from trove_lite.common import rpc
from trove_lite import conf

CONF = conf.CONF


class ConductorAPI(rpc.ServiceClient):
    """Client side of the conductor RPC API.

    API version history:

    |    1.0 - Initial version: rpc_ping.
    |    1.1 - heartbeat, report_fault (sent by guest agents).
    |    1.2 - report_progress (sent by guest agents).
    |    1.3 - update_backup (sent by guest agents).

    Bump ``RPC_API_VERSION`` (here and in ``manager.Manager``) for every
    change, add the new version to this history, and send new or changed
    methods with that version; a method that an old server would not
    understand checks ``can_send_version`` first.
    """

    # NOTE(versions): must equal manager.RPC_API_VERSION.
    RPC_API_VERSION = '1.3'
    SERVICE_NAME = 'conductor'

    def __init__(self, topic=None, serializer=None, transport=None):
        super().__init__(topic or CONF.conductor_queue, serializer=serializer,
                         transport=transport)

    def heartbeat(self, context, instance_id, payload, sent):
        """A guest's periodic report.

        :param payload: ``{'service_status': <description>,
            'agent_version': <str>, 'volume': {'used': GB, 'total': GB}}``
            (``volume`` optional).
        :param sent: the guest's clock when sending (seconds since the
            epoch); older reports than the stored one are dropped.
        """
        cctxt = rpc.prepare(self.client, '1.1')
        rpc.cast(cctxt, context, 'heartbeat', instance_id=instance_id,
                 payload=payload, sent=sent)

    def report_fault(self, context, instance_id, message, details, sent):
        """A guest tells why something it was asked to do failed."""
        cctxt = rpc.prepare(self.client, '1.1')
        rpc.cast(cctxt, context, 'report_fault', instance_id=instance_id,
                 message=message, details=details, sent=sent)

    def report_progress(self, context, resource_kind, resource_id, operation,
                        progress, sent):
        """A guest tells how far a long operation has got (API 1.2).

        :param resource_kind: what the operation works on: ``'instance'``
            or ``'backup'`` (``db.repositories.progress.KINDS``).
        :param resource_id: its id; the report must be sealed by the
            instance it belongs to (the instance itself, a backup's
            instance).
        :param operation: the operation's name (``'prepare'``,
            ``'backup'``); the latest report per operation is kept.
        :param progress: ``{'step', 'percent', 'bytes_done',
            'bytes_total', 'message'}``, each optional.
        :param sent: the guest's clock when sending (epoch seconds);
            older reports than the stored one are dropped.
        :returns: whether it was sent. NOTE(upgrade): progress is a nicety:
            while ``[upgrade_levels] conductor`` caps below 1.2 (an older
            conductor) it is skipped, never an error.
        """
        if not self.client.can_send_version('1.2'):
            return False
        cctxt = rpc.prepare(self.client, '1.2')
        rpc.cast(cctxt, context, 'report_progress',
                 resource_kind=resource_kind, resource_id=resource_id,
                 operation=operation, progress=progress, sent=sent)
        return True

    def update_backup(self, context, instance_id, backup_id, fields, sent):
        """A guest tells how a backup it takes went (API 1.3).

        :param fields: ``{'state': 'BUILDING'}`` when the stream starts;
            ``{'state': 'COMPLETED', 'location', 'checksum' (md5 hex of
            what was stored), 'size' (bytes stored), 'backup_type',
            'metadata' (the strategy's dict)}``; or ``{'state': 'FAILED',
            'message' (for the tenant), 'details' (for admins)}``.
        :param sent: the guest's clock when sending (epoch seconds).
        :returns: whether it was sent (False while ``[upgrade_levels]
            conductor`` caps below 1.3: the backup then fails at its
            deadline, and the agent logs why).
        """
        if not self.client.can_send_version('1.3'):
            return False
        cctxt = rpc.prepare(self.client, '1.3')
        rpc.cast(cctxt, context, 'update_backup', instance_id=instance_id,
                 backup_id=backup_id, fields=fields, sent=sent)
        return True
