"""The one place that turns configuration into oslo.messaging objects.

Every RPC client, RPC server and notifier of trove_lite is built here, so
that the rules of the bus are written down once:

* One RPC transport per process, built by ``init()`` from ``cfg.CONF``
  (``transport_url``, ``control_exchange``) and released by ``cleanup()``.
  The embedded shape uses ``kombu+trove-lite-memory:////`` (every client
  and server in the process share one in-memory broker, ``memory_bus``);
  the cloud shape uses RabbitMQ.
* Servers run on the threading executor: trove_lite uses native threads and
  never monkey-patches (see ARCHITECTURE.md, section 2). Their pool is the
  standard library's, so that stopping a server is prompt (``_POOL``).
* Servers only dispatch public methods (``DefaultRPCAccessPolicy``), so a
  helper named ``_something`` on a manager is never reachable from the bus.
  A message a server cannot take (a version it does not speak, a method it
  lacks, a malformed one) is refused with one warning, not a traceback
  (``_Refusing``).
* The request context travels as a plain dict (``RequestContextSerializer``)
  and arrives as our ``RequestContext``.
* Errors cross the bus with their class: a ``TroveLiteError`` raised by a
  server is re-raised on the caller as the same class with the same
  message (``call()`` removes the ``_Remote`` subclass and the remote
  traceback that oslo.messaging adds), and a ``MessagingTimeout`` becomes
  ``RPCTimeout`` naming the service that did not answer.
* A server logs what its endpoints raise as an ERROR with a traceback,
  unless the method declares the error expected: a tenant's mistake
  (``TroveLiteError.tenant_error``) is, on the methods decorated with
  ``tenant_errors_expected``.

Nothing here imports the packages above ``common``: clients and managers
(``taskmanager/``, ``conductor/``, ``guestagent/``) call down into this
module, never the other way round.
"""

from concurrent import futures
import functools
import re

from oslo_config import cfg
from oslo_log import log as logging
import oslo_messaging
from oslo_messaging import opts as msg_opts
from oslo_messaging.rpc import dispatcher

from trove_lite.common import context as trove_context
from trove_lite.common import exception
from trove_lite.common import memory_bus
from trove_lite import version

LOG = logging.getLogger(__name__)

# NOTE(threading): oslo.messaging 18 deprecates the ``executor`` argument of
# get_rpc_server (eventlet is going away) and picks 'threading' whenever the
# thread module is not monkey-patched. We do not pass the deprecated
# argument; get_server() refuses any server that did not get this executor.
EXECUTOR = 'threading'
# NOTE(threading): the pool that runs a server's messages. oslo.messaging's
# 'threading' executor is futurist's ThreadPoolExecutor, whose idle workers
# only notice a shutdown when their 1 s poll of the work queue times out
# (futurist ThreadWorker.MAX_IDLE_FOR), so every server's wait() took ~1 s
# even with nothing in flight: a guest agent's delete, a service's SIGTERM
# and each unit test that stops a server paid it. The standard library's
# pool has the same interface (max_workers, submit, shutdown(wait=True)
# finishes the queued work) and wakes its idle workers at shutdown.
# oslo.messaging offers no public way to choose the pool (its 'executor'
# argument is deprecated and accepts only the names 'threading' and
# 'eventlet'), so get_server() sets the class it builds the pool from; if
# a later oslo.messaging drops that attribute, servers keep futurist's pool
# and only stop slower.
_POOL = futures.ThreadPoolExecutor
LATEST = 'latest'

# oslo.messaging names the class and module of a re-raised remote exception
# with this suffix.
_REMOTE_SUFFIX = '_Remote'

_NOTIFICATIONS_GROUP = 'oslo_messaging_notifications'

TRANSPORT = None
NOTIFICATION_TRANSPORT = None
NOTIFIER = None


def set_defaults(control_exchange):
    """Change the default exchange under which topics are scoped.

    Must run before ``init()``; a ``control_exchange`` in the config files
    still wins.
    """
    oslo_messaging.set_transport_defaults(control_exchange)


def init(conf=None):
    """Build the transports and the notifier of this process.

    :param conf: the ``ConfigOpts`` to read; the global ``cfg.CONF`` when
        omitted (oslo.messaging registers some options only there).
    :raises: oslo_messaging.InvalidTransportURL if ``transport_url`` is
        malformed; oslo_messaging.DriverLoadFailure if its driver is unknown.
    """
    global TRANSPORT, NOTIFICATION_TRANSPORT, NOTIFIER
    conf = cfg.CONF if conf is None else conf
    memory_bus.register()
    exmods = get_allowed_exmods()
    TRANSPORT = oslo_messaging.get_rpc_transport(
        conf, allowed_remote_exmods=exmods)
    NOTIFICATION_TRANSPORT = oslo_messaging.get_notification_transport(
        conf, allowed_remote_exmods=exmods)
    NOTIFIER = oslo_messaging.Notifier(
        NOTIFICATION_TRANSPORT, serializer=RequestContextSerializer(),
        driver=_notification_driver(conf))


def _notification_driver(conf):
    """'noop' when ``[oslo_messaging_notifications] driver`` is empty.

    NOTE(notifications): with no driver named, oslo.messaging loads no
    driver at all and ``Notifier.is_enabled()`` still answers True; naming
    its noop driver makes ``is_enabled()`` tell the truth, so that callers
    skip building payloads nobody receives.
    """
    for group, opts in msg_opts.list_opts():
        if group == _NOTIFICATIONS_GROUP:
            conf.register_opts(opts, group=group)
    return None if conf[_NOTIFICATIONS_GROUP].driver else 'noop'


def cleanup():
    """Release the transports (closes broker connections and threads)."""
    global TRANSPORT, NOTIFICATION_TRANSPORT, NOTIFIER
    for transport in (TRANSPORT, NOTIFICATION_TRANSPORT):
        if transport is not None:
            transport.cleanup()
    TRANSPORT = NOTIFICATION_TRANSPORT = NOTIFIER = None


def initialized():
    """Whether ``init()`` has run since the last ``cleanup()``."""
    return TRANSPORT is not None


def get_allowed_exmods():
    """Modules whose exceptions a caller may rebuild from a reply."""
    return list(exception.ALLOWED_RPC_EXCEPTION_MODULES)


def get_rpc_transport():
    """The shared RPC transport of this process.

    :raises: RuntimeError if ``init()`` has not run; building a transport
        silently here would hide a process that forgot to read its config.
    """
    if TRANSPORT is None:
        raise RuntimeError('trove_lite.common.rpc.init() has not been called')
    return TRANSPORT


def get_target(topic, version=None, server=None):
    """An oslo.messaging ``Target`` on the configured exchange."""
    return oslo_messaging.Target(topic=topic, version=version, server=server)


def get_client(topic, version, version_cap=None, server=None, timeout=None,
               serializer=None, transport=None):
    """An RPC client for one topic.

    :param topic: the queue the servers listen on.
    :param version: the base version of the API (what every server speaks).
    :param version_cap: the highest version this client may send; None
        means uncapped.
    :param server: pin every message to one server of the topic.
    :param timeout: default seconds a call waits for its answer.
    :param serializer: serializer for arguments and results; wrapped so the
        context always travels as a dict.
    :param transport: a transport of the caller's own (a guest agent
        thread's identity); the process's when omitted.
    :raises: RuntimeError if ``init()`` has not run.
    """
    target = get_target(topic, version=version, server=server)
    return oslo_messaging.get_rpc_client(
        transport or get_rpc_transport(), target, version_cap=version_cap,
        timeout=timeout, serializer=_outer(serializer))


def get_server(topic, server, endpoints, serializer=None, transport=None,
               on_wrong_version=None):
    """An RPC server (not yet started) on the threading executor.

    A message this server cannot take (a version no endpoint speaks, a
    method none has) is refused with one warning, not oslo.messaging's
    ERROR traceback, and a caller gets the refusal (``call`` turns it
    into ``IncompatibleService``); see ``_Refusing``.

    :param topic: the queue to consume.
    :param server: this server's name; messages pinned to it arrive too.
    :param endpoints: objects whose public methods become RPC methods.
    :param serializer: serializer for arguments and results.
    :param transport: as for ``get_client``.
    :param on_wrong_version: ``on_wrong_version(context, method, version,
        speaks)`` is told of each message at a version no endpoint speaks,
        with the context as the serializer rebuilt it, and logs it itself;
        the server logs it when omitted.
    :raises: RuntimeError if ``init()`` has not run, or if oslo.messaging
        picked an executor other than threading (a monkey-patched process).
    """
    target = get_target(topic, server=server)
    rpc_server = oslo_messaging.get_rpc_server(
        transport or get_rpc_transport(), target, endpoints,
        serializer=_outer(serializer),
        access_policy=dispatcher.DefaultRPCAccessPolicy)
    if rpc_server.executor_type != EXECUTOR:
        raise RuntimeError('RPC server for %s got the %s executor; trove_lite '
                           'needs %s (is the process monkey-patched?)'
                           % (topic, rpc_server.executor_type, EXECUTOR))
    if hasattr(rpc_server, '_executor_cls'):
        rpc_server._executor_cls = _POOL
    rpc_server.dispatcher = _Refusing(rpc_server.dispatcher, topic,
                                      on_wrong_version)
    return rpc_server


class _Refusing:
    """oslo.messaging's dispatcher, refusing what no endpoint can take.

    oslo.messaging logs a message at a version no endpoint speaks (a guest
    of another release, a forged message) as an ERROR with a traceback,
    once per message: a guest whose heartbeats the conductor cannot read
    would page an operator every few seconds with a traceback that says
    nothing about the guest. Refused here instead, as an expected
    exception: one warning naming the method, the version and what this
    server speaks, and a caller still gets ``UnsupportedVersion`` or
    ``NoSuchMethod`` (the server passes on an expected exception's
    ``exc_info``).

    A server only needs a ``dispatch()``; oslo.messaging's own dispatcher
    does the work.

    :param inner: the ``RPCDispatcher`` oslo.messaging built.
    :param topic: named in the warning.
    :param on_wrong_version: as for ``get_server``.
    """

    def __init__(self, inner, topic, on_wrong_version=None):
        self.inner = inner
        self.topic = topic
        self.on_wrong_version = on_wrong_version

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def speaks(self):
        """The versions of this server's endpoints, e.g. ``'1.2'``."""
        versions = {getattr(endpoint.target, 'version', None) or '1.0'
                    for endpoint in self.inner.endpoints
                    if getattr(endpoint, 'target', None) is not None}
        return ', '.join(sorted(versions)) or '1.0'

    def dispatch(self, incoming):
        message = incoming.message
        method = message.get('method')
        version = message.get('version', '1.0')
        # NOTE(errors): oslo.messaging fails on a version that is no
        # version, or a method name that is no name, with a traceback of
        # its own; anyone on the bus can send either.
        malformed = not (is_version(version) and isinstance(method, str))
        try:
            if malformed:
                raise dispatcher.UnsupportedVersion(shown(version),
                                                    method=shown(method))
            return self.inner.dispatch(incoming)
        except (dispatcher.UnsupportedVersion, dispatcher.NoSuchMethod) as err:
            # NOTE(errors): made here, so that it keeps this exc_info
            # whatever the hook below catches on its way.
            refusal = dispatcher.ExpectedException()
            if (isinstance(err, dispatcher.UnsupportedVersion)
                    and self.on_wrong_version is not None and not malformed):
                # NOTE(guest): the context as the serializer rebuilds it,
                # so a sealing serializer proves (or refuses) the sender
                # before the hook believes it.
                context = self.inner.serializer.deserialize_context(
                    incoming.ctxt)
                self.on_wrong_version(context, shown(method),
                                      shown(version), self.speaks())
            else:
                LOG.warning('Refused %s at RPC API version %s on topic %s: '
                            'this server speaks %s', shown(method),
                            shown(version), self.topic, self.speaks())
            raise refusal


# What oslo.messaging can compare: major.minor, or major.minor.revision.
_VERSION = re.compile(r'\d{1,9}\.\d{1,9}(\.\d{1,9})?\Z', re.ASCII)


def is_version(value):
    """Whether ``value`` (from the bus) is an RPC API version string."""
    return isinstance(value, str) and bool(_VERSION.match(value))


# NOTE(logging): how much of a value from the bus a log line shows; an
# instance id is 36 characters, a method name rarely more than 30.
_SHOWN = 80


def shown(value):
    """``value`` from the bus, as a short piece of one log line.

    Whoever sends a message chooses what is in it: a newline would forge
    a log line of its own, and a megabyte would flood the log.
    """
    if isinstance(value, str) and value.isprintable():
        text = value
    else:
        text = repr(value)
    if len(text) > _SHOWN:
        text = text[:_SHOWN] + '...'
    return text


def get_notifier(publisher_id):
    """A notifier that publishes as ``publisher_id`` (e.g. ``taskmanager.h1``).

    :raises: RuntimeError if ``init()`` has not run.
    """
    if NOTIFIER is None:
        raise RuntimeError('trove_lite.common.rpc.init() has not been called')
    return NOTIFIER.prepare(publisher_id=publisher_id)


def version_cap(service, aliases=None):
    """The version cap ``[upgrade_levels] <service>`` asks for.

    :param service: the option name in ``[upgrade_levels]``.
    :param aliases: release names mapped to versions, e.g. ``{'2025.1':
        '1.0'}``, so operators can pin by release.
    :returns: a version string, or None for 'latest' (uncapped).
    """
    level = getattr(cfg.CONF.upgrade_levels, service)
    if not level or level == LATEST:
        return None
    return (aliases or {}).get(level, level)


def prepare(client, version, server=None, timeout=None, fanout=False):
    """A call context at an explicit ``version``.

    :param server: send to this server of the topic only; None keeps the
        client's target (any server, or the one the client pins).
    :param timeout: seconds a call waits; None keeps the client's default.
    :param fanout: a cast reaches every server of the topic (RabbitMQ:
        the ``<topic>_fanout`` exchange), not one of them.
    """
    options = {'version': version}
    if server is not None:
        options['server'] = server
    if timeout is not None:
        options['timeout'] = timeout
    if fanout:
        options['fanout'] = True
    return client.prepare(**options)


_VERSION_ERRORS = ('UnsupportedVersion', 'NoSuchMethod')


def call(client, context, method, service, **kwargs):
    """Make an RPC call and translate what comes back to trove_lite errors.

    :param client: an RPC client, usually ``client.prepare(version=...)``.
    :param service: names the callee in a timeout message.
    :raises: exception.RPCTimeout when no answer arrives in time; any
        TroveLiteError the server raised, as the same class;
        oslo_messaging.RPCVersionCapError when the call's version exceeds
        the client's cap (``[upgrade_levels]``).
    """
    try:
        return client.call(context, method, **kwargs)
    except oslo_messaging.MessagingTimeout:
        raise exception.RPCTimeout(service=service, timeout=client.timeout)
    except exception.TroveLiteError as err:
        raise _as_local(err)
    except oslo_messaging.RemoteError as err:
        # NOTE(versions): an older server that lacks the method or version
        # answers so; say that plainly instead of a remote traceback.
        if err.exc_type in _VERSION_ERRORS:
            raise exception.IncompatibleService(
                service=service, method=method,
                version=_version_of(client))
        raise


def _version_of(client):
    # A prepared call context keeps its target; a bare client too.
    target = getattr(client, 'target', None)
    return getattr(target, 'version', None) or '?'


def cast(client, context, method, **kwargs):
    """Send an RPC message without waiting for an answer.

    :raises: oslo_messaging.MessageDeliveryFailure if the broker refuses it;
        oslo_messaging.RPCVersionCapError as ``call``.
    """
    client.cast(context, method, **kwargs)


def _as_local(err):
    """Turn a rebuilt remote error back into its own class.

    oslo.messaging rebuilds a remote exception as a subclass named
    ``<Class>_Remote`` whose ``str()`` carries the server's traceback; the
    traceback must not reach users, and callers compare classes.
    """
    remote_cls = type(err)
    if not (remote_cls.__name__.endswith(_REMOTE_SUFFIX)
            and remote_cls.__module__.endswith(_REMOTE_SUFFIX)):
        return err
    LOG.debug('Remote error: %s', err)
    err.__class__ = remote_cls.__mro__[1]
    return err


def tenant_errors_expected(method):
    """Declare the tenant errors an endpoint method raises expected.

    oslo.messaging's server logs every exception an endpoint raises as an
    ERROR with its traceback, a tenant's typo included, and would page an
    operator who alerts on ERROR. One wrapped in ``ExpectedException`` is
    logged at DEBUG and still answered as itself: the caller gets the same
    class and message. oslo.messaging's ``expected_exceptions`` takes
    classes, but what is expected here is a property of the error
    (``TroveLiteError.tenant_error``: a ``GuestError`` is a BadRequest
    that reports our failure), and it drops the method's signature and
    docstring, which this keeps.
    """
    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except exception.TroveLiteError as err:
            if not err.tenant_error:
                raise
            raise oslo_messaging.ExpectedException()
    return wrapper


def ping_reply(service, rpc_api_version, **extra):
    """What every manager's ``rpc_ping`` answers: who and what it is."""
    reply = {'service': service, 'host': cfg.CONF.host,
             'version': version.VERSION, 'rpc_api_version': rpc_api_version}
    reply.update(extra)
    return reply


class ServiceClient:
    """Base of the clients of a service that shares one topic.

    Subclasses name the service (``SERVICE_NAME``, also its group key in
    ``[upgrade_levels]``) and keep their own version history; the client is
    built capped at what ``[upgrade_levels]`` allows.

    :param topic: the topic every server of the service listens on.
    :param serializer: serializer for arguments and results (e.g. the guest
        channel's sealing serializer); pass-through when omitted.
    :param transport: as for ``get_client``.
    """

    RPC_API_VERSION = '1.0'
    BASE_VERSION = '1.0'
    SERVICE_NAME = None
    # Release names accepted in [upgrade_levels] for this service.
    VERSION_ALIASES = {}

    def __init__(self, topic, serializer=None, transport=None):
        self.topic = topic
        self.client = get_client(
            topic, self.BASE_VERSION,
            version_cap=version_cap(self.SERVICE_NAME, self.VERSION_ALIASES),
            serializer=serializer, transport=transport)

    def rpc_ping(self, context, host=None):
        """Ask a server of the service (any, or the one on ``host``) who.

        :returns: ``{'service', 'host', 'version', 'rpc_api_version'}``.
        :raises: RPCTimeout when none answers within ``rpc_ping_timeout``
            seconds.
        """
        cctxt = prepare(self.client, '1.0', server=host,
                        timeout=cfg.CONF.rpc_ping_timeout)
        return call(cctxt, context, 'rpc_ping', self.SERVICE_NAME)


def _outer(serializer):
    """The serializer a client or server gets.

    One that seals the context too (``handles_context``) already carries a
    ``RequestContextSerializer`` inside; any other is wrapped in one.
    """
    if getattr(serializer, 'handles_context', False):
        return serializer
    return RequestContextSerializer(serializer)


class RequestContextSerializer(oslo_messaging.Serializer):
    """Sends our ``RequestContext`` as a dict and rebuilds it on arrival.

    :param base: serializer for the arguments and results themselves (the
        place for the guest channel's sealing serializer); pass-through when
        omitted.
    """

    def __init__(self, base=None):
        self._base = base or oslo_messaging.NoOpSerializer()

    def serialize_entity(self, context, entity):
        return self._base.serialize_entity(context, entity)

    def deserialize_entity(self, context, entity):
        return self._base.deserialize_entity(context, entity)

    def serialize_context(self, context):
        return context.to_dict()

    def deserialize_context(self, context):
        return trove_context.RequestContext.from_dict(context)
