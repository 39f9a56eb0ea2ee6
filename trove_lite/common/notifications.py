"""Notifications: telling the rest of the cloud what trove_lite did.

trove_lite sends the notifications upstream Trove sends, with the same
event types and payload fields, so that whatever consumes Trove's (a
Ceilometer event pipeline, a billing system, an audit trail) consumes
ours unchanged. They go through oslo.messaging's notifier, configured by
the standard ``[oslo_messaging_notifications]`` options (``driver``,
``topics``, ``transport_url``); ``common.rpc.init()`` builds it.

Two families:

* Operation events, ``dbaas.<operation>.start``, ``.end`` and ``.error``,
  one triple per mutating API request (``Operation``). ``start`` leaves
  the API when it accepts the request. A request the API completes itself
  (databases, users, root, rename) ends there too. A request a workflow
  completes (instance create, delete, restart) is *handed off*: the API
  casts the start payload to the taskmanager with the work, and the
  taskmanager sends ``end`` when the flow finishes, or ``error`` with the
  fault message when it fails. Every payload carries the request id, the
  tenant, the client's and the server's address and ``server_type`` (who
  sent it), plus the operation's arguments: names and ids, never
  passwords (``scrub``).
* Usage events, ``trove.instance.create`` (the instance became ACTIVE
  for the first time) and ``trove.instance.delete`` (it is gone), with the
  fields billing needs: flavor, memory, volume, datastore, timestamps
  (``send_usage``).

With no driver configured (the default) oslo.messaging loads its ``noop``
driver; ``enabled()`` is then False and every function here returns before
building a payload, so notifications cost nothing unless asked for. A
notification that cannot be sent is logged and never fails the operation
it reports on.
"""

import traceback

from oslo_config import cfg
from oslo_log import log as logging

from trove_lite.common import rpc

LOG = logging.getLogger(__name__)

# Services, as the first part of their publisher ids (``<service>.<host>``).
API = 'trove-lite-api'
TASKMANAGER = 'taskmanager'
CONDUCTOR = 'conductor'

# What upstream puts in ``server_type`` for each sender.
SERVER_TYPES = {API: 'api', TASKMANAGER: 'taskmanager',
                CONDUCTOR: 'conductor'}

START = 'start'
END = 'end'
ERROR = 'error'

# Upstream's operation names (``dbaas.<name>.<start|end|error>``).
INSTANCE_CREATE = 'instance_create'
INSTANCE_DELETE = 'instance_delete'
INSTANCE_RESTART = 'instance_restart'
INSTANCE_RESET_STATUS = 'instance_reset_status'
INSTANCE_RESIZE_VOLUME = 'instance_resize_volume'
INSTANCE_RESIZE_FLAVOR = 'instance_resize_instance'
INSTANCE_PROMOTE = 'instance_promote'
INSTANCE_EJECT = 'instance_eject'
INSTANCE_DETACH = 'instance_detach'
INSTANCE_UPGRADE = 'instance_upgrade'
INSTANCE_REBOOT = 'instance_reboot'
DATABASE_CREATE = 'database_create'
DATABASE_DELETE = 'database_delete'
USER_CREATE = 'user_create'
USER_DELETE = 'user_delete'
USER_UPDATE_ATTRIBUTES = 'user_update_attributes'
USER_CHANGE_PASSWORD = 'user_change_password'
USER_GRANT = 'user_grant'
USER_REVOKE = 'user_revoke'
# NOTE(compat): upstream sends nothing when an instance is renamed and has
# no root events; these names follow its pattern.
INSTANCE_UPDATE = 'instance_update'
ROOT_ENABLE = 'root_enable'
ROOT_DISABLE = 'root_disable'

OPERATION_FORMAT = 'dbaas.%s.%s'
USAGE_FORMAT = 'trove.instance.%s'

# Usage actions (``trove.instance.<action>``).
USAGE_CREATE = 'create'
USAGE_DELETE = 'delete'

# Keys that never leave in a payload, whatever their value.
_SECRET_MARKERS = ('pass', 'secret', 'token', 'key')


def enabled():
    """Whether notifications go anywhere (a driver other than noop)."""
    notifier = rpc.NOTIFIER
    return notifier is not None and notifier.is_enabled()


def publisher_id(service):
    """``<service>.<host>``, as upstream names its publishers."""
    return '%s.%s' % (service, cfg.CONF.host)


def scrub(value):
    """``value`` without any key that names a secret, at any depth.

    The arguments of a request travel in payloads; a password in one of
    them (a user's, root's) would be readable by every consumer of the
    notification topic.
    """
    if isinstance(value, dict):
        return {key: scrub(item) for key, item in value.items()
                if not any(marker in str(key).lower()
                           for marker in _SECRET_MARKERS)}
    if isinstance(value, (list, tuple)):
        return [scrub(item) for item in value]
    return value


def isotime(moment):
    """A naive UTC datetime as upstream's payloads write it."""
    return moment.strftime('%Y-%m-%dT%H:%M:%SZ') if moment else None


def _send(context, service, event_type, payload):
    """Send one INFO notification; failures are logged, not raised."""
    try:
        notifier = rpc.get_notifier(publisher_id(service))
        LOG.debug('Sending event %s: %s', event_type, payload)
        # NOTE(secrets): the context travels too; never its token.
        notifier.info(context.redacted_copy(overwrite=False), event_type,
                      payload)
    except Exception:
        LOG.exception('Could not send the %s notification', event_type)


class Operation:
    """The start, end and error events of one API-level operation.

    Build one with ``for_request`` in the API or ``resume`` where a handed
    off operation finishes; a disabled one (notifications off, or nothing
    was handed over) does nothing at all.

    As a context manager it sends ``start`` on entry, then ``error`` if the
    block raises, else ``end`` unless the block handed the operation off.

    :param context: the requester's context (sent with every event).
    :param operation: upstream's name, e.g. ``INSTANCE_CREATE``.
    :param service: who sends (``API``, ``TASKMANAGER``, ``CONDUCTOR``).
    :param payload: the fields every event of the operation carries; None
        disables the operation.
    """

    def __init__(self, context, operation, service, payload):
        self.context = context
        self.operation = operation
        self.service = service
        self.payload = payload
        self.handed_off = False

    @classmethod
    def for_request(cls, context, operation, request, **traits):
        """An operation the API accepted from ``request``.

        :param request: the WebOb request (client and server addresses).
        :param traits: the operation's arguments (scrubbed of secrets).
        """
        if not enabled():
            return cls(context, operation, API, None)
        payload = {'request_id': context.request_id,
                   'server_type': SERVER_TYPES[API],
                   'client_ip': request.remote_addr,
                   'server_ip': request.host,
                   'tenant_id': context.project_id}
        payload.update(scrub(traits))
        return cls(context, operation, API, payload)

    @classmethod
    def resume(cls, context, carried, service):
        """The operation the API handed off, finishing in ``service``.

        :param carried: what ``hand_off()`` returned in the API (None when
            the API sent nothing: notifications off, or an older API).
        """
        if not carried or not enabled():
            return cls(context, None, service, None)
        payload = dict(carried.get('payload') or {})
        payload['server_type'] = SERVER_TYPES[service]
        return cls(context, carried.get('operation'), service, payload)

    @classmethod
    def unrequested(cls, context, operation, service, tenant_id,
                    instance_id, **traits):
        """An operation no request asked for: the control plane started
        it by itself (an automatic failover).
        """
        operation = cls.expired(context, operation, service, tenant_id,
                                instance_id)
        operation.update(**traits)
        return operation

    @classmethod
    def expired(cls, context, operation, service, tenant_id, instance_id,
                id_key='instance_id'):
        """An operation whose worker never finished it: its deadline
        passed, and only its ``error`` is left to send.

        The request's own fields (request id, addresses) died with the
        worker; the resource's id and tenant still say which it was.

        :param instance_id: the resource's id, sent as ``id_key``
            (``backup_id`` for a backup's operation).
        """
        if not enabled():
            return cls(context, None, service, None)
        payload = {'request_id': None, 'server_type': SERVER_TYPES[service],
                   'client_ip': None, 'server_ip': None,
                   'tenant_id': tenant_id, id_key: instance_id}
        return cls(context, operation, service, payload)

    @property
    def active(self):
        return self.payload is not None and self.operation is not None

    def _notify(self, phase, traits):
        if not self.active:
            return
        self.payload.update(scrub(traits))
        _send(self.context, self.service,
              OPERATION_FORMAT % (self.operation, phase), dict(self.payload))

    def start(self, **traits):
        """The operation was accepted."""
        self._notify(START, traits)

    def end(self, **traits):
        """The operation completed."""
        self._notify(END, traits)

    def error(self, message, exc=None, **traits):
        """The operation failed.

        :param message: what went wrong, for the tenant (the fault).
        :param exc: the exception, sent as its class and message.
        """
        if not self.active:
            return
        details = (traceback.format_exception_only(type(exc), exc)
                   if exc is not None else [])
        traits.update(message=message, exception=details)
        self._notify(ERROR, traits)

    def update(self, **traits):
        """Add fields (e.g. the new instance's id) to the coming events."""
        if self.active:
            self.payload.update(scrub(traits))

    def hand_off(self):
        """Give the operation to whoever finishes it (an RPC argument).

        :returns: a dict for ``resume``, or None when disabled; the API
            sends no ``end`` after this.
        """
        self.handed_off = True
        if not self.active:
            return None
        return {'operation': self.operation, 'payload': dict(self.payload)}

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.error(str(exc), exc)
        elif not self.handed_off:
            self.end()
        return False


def usage_payload(instance, flavor=None, version=None, **extra):
    """Upstream's usage fields of an instance row.

    :param instance: the instance (its ORM row or anything with the same
        attributes).
    :param flavor: its flavor (``name``, ``ram``), if known.
    :param version: its datastore version (``name``, ``manager``,
        ``datastore.name``), if known.
    :param extra: more fields, e.g. ``state`` or ``deleted_at``.
    """
    created = isotime(instance.created)
    manager = getattr(version, 'manager', None)
    service_ids = cfg.CONF.notification_service_id or {}
    datastore = getattr(version, 'datastore', None)
    payload = {
        'tenant_id': instance.tenant_id,
        'instance_id': instance.id,
        'instance_name': instance.name,
        'name': instance.name,
        'instance_type_id': instance.flavor_id,
        'instance_type': getattr(flavor, 'name', None),
        'instance_size': getattr(flavor, 'ram', None),
        'memory_mb': getattr(flavor, 'ram', None),
        'nova_instance_id': instance.compute_instance_id,
        'nova_volume_id': instance.volume_id,
        'volume_size': instance.volume_size,
        'created_at': created,
        'launched_at': created,
        'region': instance.region_id or cfg.CONF.os_region_name,
        'availability_zone': None,
        'datastore': getattr(datastore, 'name', None),
        'datastore_version': getattr(version, 'name', None),
        'service_id': service_ids.get(manager, manager),
    }
    payload.update(extra)
    payload.setdefault('state_description', payload.get('state'))
    return scrub(payload)


def send_usage(context, service, action, payload):
    """Send ``trove.instance.<action>`` (``USAGE_CREATE``/``USAGE_DELETE``)
    with a ``usage_payload``.
    """
    if enabled():
        _send(context, service, USAGE_FORMAT % action, payload)
