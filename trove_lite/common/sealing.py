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

Replays. A sealed message proves who sealed it, not when nor how often it
may count: whoever captures one (on the broker, in a queue) could send it
again. Every sealed token is therefore good once, and only for
``[DEFAULT] sealed_message_ttl`` seconds:

* The issued-at time and the nonce are the Fernet token's own: a token is
  ``version | timestamp | IV | ciphertext | HMAC``, the timestamp is the
  sealer's clock when sealing, the IV 128 random bits chosen afresh for
  every token (Fernet's specification), and the HMAC covers both, so
  neither can be altered. ``unseal`` refuses a token older than the window
  (Fernet's ``ttl``; Fernet itself refuses one more than 60 s in the
  future).
* Each token unsealed is remembered (a digest, until its window ends) in a
  bounded per-process cache, ``_REPLAYS``; the same token arriving again
  is refused. Every entity of a message is a token of its own, as is the
  context, so neither a whole message nor a piece of one counts twice.

NOTE(upgrade): nothing changes on the wire, and every token ever sealed
here carries the timestamp and the random IV, so an older guest or
control plane is checked exactly like a new one: no "no nonce" case needs
a flag. An older receiver simply does not check.

NOTE(replay): the cache is per process. A message replayed to a
*different* process of the same service (another conductor) within the
window is not caught here; what catches it there is each report's own
ordering check (a heartbeat older than the stored one is dropped, a fault
sent before the current task began is ignored, a progress report older
than the stored one is dropped). A command replayed to a guest reaches the
one agent of that instance, which has seen it.

Refusals are logged once, as a warning naming the claimed sender, and
raised as ``RefusedMessage``: oslo.messaging treats it as an expected
exception (a debug line instead of an ERROR traceback per message) and a
caller of a refused call gets ``UnsealError``.
"""

import base64
import collections
import functools
import hashlib
import json
import struct
import threading
import time

from cryptography import fernet
from oslo_log import log as logging
import oslo_messaging
from oslo_messaging.rpc import dispatcher

from trove_lite.common import exception
from trove_lite.common import rpc
from trove_lite import conf

CONF = conf.CONF
LOG = logging.getLogger(__name__)

SENDER = 'trove-lite-sealed-by'
SEALED = 'trove-lite-sealed'


def generate_key():
    """A new per-instance key (urlsafe base64 text)."""
    return fernet.Fernet.generate_key().decode('ascii')


def seal(key, value):
    """The sealed token of a JSON-serialisable ``value``."""
    return fernet.Fernet(key.encode('ascii')).encrypt(
        json.dumps(value).encode('utf-8')).decode('ascii')


# NOTE(heartbeats): a conductor unseals four tokens per report with the
# same few thousand keys; building the cipher once per key saves decoding
# the key each time.
@functools.lru_cache(maxsize=16384)
def _box(key):
    return fernet.Fernet(key.encode('ascii'))


def _issued_at(raw):
    """The timestamp of a Fernet token that decrypted (so verified):
    ``version | timestamp (8 bytes, big-endian) | ...``. Fernet's own
    ``extract_timestamp`` would verify its HMAC a second time.
    """
    return struct.unpack('>Q', base64.urlsafe_b64decode(raw)[1:9])[0]


def unseal(key, token, ttl=None, replays=None):
    """The value sealed in ``token``.

    :param ttl: seconds the token is valid after sealing; None accepts any
        age (the raw primitive; the serializers always pass one).
    :param replays: a ``ReplayCache`` that must not have seen the token;
        it records it.
    :raises UnsealError: the token was not sealed with ``key``, was
        altered, is older than ``ttl``, or was seen already.
    """
    try:
        raw = token.encode('ascii')
        box = _box(key)
        plain = (box.decrypt(raw) if ttl is None
                 else box.decrypt(raw, ttl=ttl))
    except (fernet.InvalidToken, ValueError, TypeError, AttributeError):
        raise exception.UnsealError()
    if replays is not None:
        # NOTE(replay): only a token that decrypted is remembered, so a
        # flood of forged tokens cannot fill the cache.
        issued = _issued_at(raw)
        if not replays.first_time(raw, issued + (ttl or 0)):
            raise exception.UnsealError(
                message='A sealed message was received twice (a replay).')
    return json.loads(plain)


class ReplayCache:
    """Digests of the tokens unsealed in this process, until they expire.

    Entries arrive in roughly the order they expire (tokens are sealed and
    received in time order), so expired ones are dropped from the front.
    Past ``max_entries`` the oldest go first and a warning says so once:
    a replay of one dropped early would then pass this cache (and still
    meet the report's own ordering checks).

    :param max_entries: how many digests to keep at most.
    """

    def __init__(self, max_entries=200000):
        self.max_entries = max_entries
        self._seen = collections.OrderedDict()
        self._lock = threading.Lock()
        self._warned = False

    def first_time(self, token, expires_at):
        """Record ``token``; whether it had not been seen (unexpired).

        :param expires_at: epoch seconds after which it is refused anyway.
        """
        digest = hashlib.sha256(token).digest()
        with self._lock:
            self._prune(time.time())
            if digest in self._seen:
                return False
            self._seen[digest] = expires_at
            if len(self._seen) > self.max_entries:
                self._seen.popitem(last=False)
                if not self._warned:
                    self._warned = True
                    LOG.warning('More than %d sealed messages within '
                                'sealed_message_ttl: the replay cache drops '
                                'the oldest early', self.max_entries)
            return True

    def _prune(self, now):
        while self._seen:
            digest, expires_at = next(iter(self._seen.items()))
            if expires_at > now:
                return
            del self._seen[digest]

    def __len__(self):
        return len(self._seen)


# NOTE(replay): one per process: clients of a guest are made per request
# (``guestagent.rpcapi.for_instance``), so a cache per serializer would
# forget at once.
_REPLAYS = ReplayCache()


class RefusedMessage(exception.UnsealError, dispatcher.ExpectedException):
    """A refused sealed message, as oslo.messaging's expected exception.

    The RPC server logs an ``ExpectedException`` at debug level and
    answers a call with its ``exc_info``: here a plain ``UnsealError``, so
    the caller rebuilds a class it knows. Raised outside a server (a
    caller unsealing a reply) it is an ``UnsealError`` like any other.
    """

    def __init__(self, reason):
        # NOTE(errors): TroveLiteError's and ExpectedException's
        # constructors take different arguments; set up both by hand.
        self.kwargs = {}
        self.msg = str(reason)
        Exception.__init__(self, self.msg)
        self.exc_info = (type(reason), reason, None)


def _refuse(sender, err):
    """Log a refused message once, with its claimed sender, and raise.

    :raises RefusedMessage:
    """
    LOG.warning('Refused a sealed message claiming to come from %s: %s',
                rpc.shown(sender), err)
    raise RefusedMessage(err)


def _unseal(key, token):
    return unseal(key, token, ttl=CONF.sealed_message_ttl,
                  replays=_REPLAYS)


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

    def _open(self, sealed):
        if not isinstance(sealed, dict) or SEALED not in sealed:
            _refuse('nobody (not sealed)', exception.UnsealError())
        try:
            return _unseal(self.key, sealed[SEALED])
        except exception.UnsealError as err:
            _refuse(sealed.get(SENDER), err)

    def deserialize_entity(self, ctxt, entity):
        return self._base.deserialize_entity(ctxt, self._open(entity))

    def serialize_context(self, ctxt):
        values = self._base.serialize_context(ctxt)
        return {SENDER: self.instance_id, SEALED: seal(self.key, values)}

    def deserialize_context(self, ctxt):
        return self._base.deserialize_context(self._open(ctxt))


class ConductorSerializer(oslo_messaging.Serializer):
    """The conductor's side: unseal with the claimed sender's key.

    Messages that are not sealed at all (an operator's ``rpc_ping``) pass
    with ``sealed_by`` None, and every report handler refuses them.

    :param key_of: ``key_of(instance_id)`` → that instance's key, or None
        for an unknown instance.
    :param fresh_key_of: when ``key_of`` answers from a cache: the same
        read afresh, tried once for a message that does not unseal with
        the cached key (the instance's key was stored anew).
    """

    handles_context = True

    def __init__(self, key_of, base=None, fresh_key_of=None):
        self._key_of = key_of
        self._fresh_key_of = fresh_key_of
        self._base = base or rpc.RequestContextSerializer()

    def _open(self, sealed):
        sender = sealed.get(SENDER)
        try:
            # NOTE(guest): the claim is the sender's word: only a string
            # can be an instance id, and nothing else reaches the lookup
            # (a list would fail in the database, not as a refusal).
            key = self._key_of(sender) if isinstance(sender, str) else None
            if key is None:
                raise exception.UnsealError(
                    message='No live instance has that id.')
            try:
                return _unseal(key, sealed[SEALED])
            except exception.UnsealError:
                fresh = (self._fresh_key_of(sender)
                         if self._fresh_key_of is not None else None)
                if fresh is None or fresh == key:
                    raise
                return _unseal(fresh, sealed[SEALED])
        except exception.UnsealError as err:
            _refuse(sender, err)

    def serialize_entity(self, ctxt, entity):
        return self._base.serialize_entity(ctxt, entity)

    def deserialize_entity(self, ctxt, entity):
        if isinstance(entity, dict) and SEALED in entity:
            if entity.get(SENDER) != getattr(ctxt, 'sealed_by', None):
                _refuse(entity.get(SENDER), exception.UnsealError(
                    message='An argument was sealed by another sender than '
                            'its message.'))
            entity = self._open(entity)
        return self._base.deserialize_entity(ctxt, entity)

    def serialize_context(self, ctxt):
        return self._base.serialize_context(ctxt)

    def deserialize_context(self, ctxt):
        sender = None
        if not isinstance(ctxt, dict):
            _refuse('nobody (no context)', exception.UnsealError(
                message='A message came without a request context.'))
        if SEALED in ctxt:
            sender = ctxt.get(SENDER)
            ctxt = self._open(ctxt)
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
