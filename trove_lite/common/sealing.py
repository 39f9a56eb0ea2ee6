"""Sealing what crosses the guest channel with a per-instance key.

A guest is not trusted: it runs a tenant's database, and whoever owns it
may own the agent. Every instance therefore gets a key of its own (Fernet:
AES-128-CBC with an HMAC-SHA256, from ``cryptography``), written into its
``guest_info.conf`` and kept by the control plane. Every message between
the control plane and that guest is sealed with it: a guest can neither
read other guests' messages nor speak for them.

Sealing is done by oslo.messaging serializers, so managers and clients
stay unaware of it:

* ``GuestSerializer(instance_id, key)`` seals everything a party sends on
  behalf of one instance and unseals what it receives; the guest agent uses
  it for its server and its conductor client, the control plane for its
  client of that guest.
* ``ConductorSerializer(key_of)`` is the conductor's: it looks up the key
  of the instance a message claims to come from, unseals with it (a
  message sealed with any other key is refused), and records the proven
  sender on the context as ``sealed_by``. ``require_sender`` then checks,
  in each report handler, that the instance reported on is the sender.
"""

import json

from cryptography import fernet
import oslo_messaging

from trove_lite.common import exception
from trove_lite.common import rpc

SENDER = 'trove-lite-sealed-by'
SEALED = 'trove-lite-sealed'


def generate_key():
    """A new per-instance key (urlsafe base64 text)."""
    return fernet.Fernet.generate_key().decode('ascii')


def seal(key, value):
    """The sealed token of a JSON-serialisable ``value``."""
    return fernet.Fernet(key.encode('ascii')).encrypt(
        json.dumps(value).encode('utf-8')).decode('ascii')


def unseal(key, token):
    """The value sealed in ``token``.

    :raises UnsealError: the token was not sealed with ``key``, or was
        altered.
    """
    try:
        plain = fernet.Fernet(key.encode('ascii')).decrypt(
            token.encode('ascii'))
    except (fernet.InvalidToken, ValueError, TypeError, AttributeError):
        raise exception.UnsealError()
    return json.loads(plain)


class GuestSerializer(oslo_messaging.Serializer):
    """Seal and unseal every entity of one instance's messages.

    :param base: the serializer applied inside the seal; the context
        serializer of ``common.rpc`` by default.
    """

    handles_context = True

    def __init__(self, instance_id, key, base=None):
        self.instance_id = instance_id
        self.key = key
        self._base = base or rpc.RequestContextSerializer()

    def serialize_entity(self, ctxt, entity):
        entity = self._base.serialize_entity(ctxt, entity)
        return {SENDER: self.instance_id, SEALED: seal(self.key, entity)}

    def deserialize_entity(self, ctxt, entity):
        if not isinstance(entity, dict) or SEALED not in entity:
            raise exception.UnsealError()
        return self._base.deserialize_entity(
            ctxt, unseal(self.key, entity[SEALED]))

    def serialize_context(self, ctxt):
        values = self._base.serialize_context(ctxt)
        return {SENDER: self.instance_id, SEALED: seal(self.key, values)}

    def deserialize_context(self, ctxt):
        if not isinstance(ctxt, dict) or SEALED not in ctxt:
            raise exception.UnsealError()
        return self._base.deserialize_context(
            unseal(self.key, ctxt[SEALED]))


class ConductorSerializer(oslo_messaging.Serializer):
    """The conductor's side: unseal with the claimed sender's key.

    Messages that are not sealed at all (an operator's ``rpc_ping``) pass
    with ``sealed_by`` None, and every report handler refuses them.

    :param key_of: ``key_of(instance_id)`` → that instance's key, or None
        for an unknown instance.
    """

    handles_context = True

    def __init__(self, key_of, base=None):
        self._key_of = key_of
        self._base = base or rpc.RequestContextSerializer()

    def _key(self, sealed):
        key = self._key_of(sealed.get(SENDER))
        if key is None:
            raise exception.UnsealError()
        return key

    def serialize_entity(self, ctxt, entity):
        return self._base.serialize_entity(ctxt, entity)

    def deserialize_entity(self, ctxt, entity):
        if isinstance(entity, dict) and SEALED in entity:
            if entity.get(SENDER) != getattr(ctxt, 'sealed_by', None):
                raise exception.UnsealError()
            entity = unseal(self._key(entity), entity[SEALED])
        return self._base.deserialize_entity(ctxt, entity)

    def serialize_context(self, ctxt):
        return self._base.serialize_context(ctxt)

    def deserialize_context(self, ctxt):
        sender = None
        if isinstance(ctxt, dict) and SEALED in ctxt:
            sender = ctxt.get(SENDER)
            ctxt = unseal(self._key(ctxt), ctxt[SEALED])
        context = self._base.deserialize_context(ctxt)
        if context is not None:
            context.sealed_by = sender
        return context


def require_sender(context, instance_id):
    """Refuse a report about ``instance_id`` not sealed by that instance.

    :raises ForgedReport: it was unsealed, or sealed by another instance.
    """
    if getattr(context, 'sealed_by', None) != instance_id:
        raise exception.ForgedReport(instance=instance_id)
