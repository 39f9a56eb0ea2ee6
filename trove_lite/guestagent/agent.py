"""A guest agent: the endpoint of one instance plus its heartbeat.

``Agent(info)`` wires together what one instance's agent is made of:

* the datastore manager named by ``info.datastore_manager`` (stevedore,
  namespace ``trove_lite.guestagent.datastores``);
* ``GuestAgentEndpoint`` on an ``RPCService`` listening on topic
  ``guestagent.<guest_id>`` as server ``<guest_id>``;
* a ``StatusReporter`` with its ``ConductorAPI`` client, and the
  ``HeartbeatLoop`` thread that sends a heartbeat every
  ``report_interval`` seconds and at once when the status changes;
* for a datastore with a server process (``SUPERVISED``), unless
  ``[guest_agent] server_restart_enabled`` is off, the ``Supervisor``
  thread that starts the server again when it dies on its own.

It behaves like an oslo.service ``ServiceBase`` (``start``/``stop``/
``wait``/``reset``), so a ``ServiceLauncher`` runs one agent
(``trove-lite-guestagent``) or many (``trove-lite-all``, one per local
instance, all in one process). Everything an agent knows about itself
comes from its ``GuestInfo``, never from the process-wide configuration;
only the bus (``transport_url``, timeouts, ``report_interval``) is shared.

Stopping an agent never stops its datastore: the server outlives the
agent, and the next agent of the instance adopts it.
"""

from oslo_log import log as logging
from oslo_service.backend import base as service_base

from trove_lite.common import sealing
from trove_lite.common import service
from trove_lite.conductor import rpcapi as conductor_rpcapi
from trove_lite import conf
from trove_lite.guestagent import datastores
from trove_lite.guestagent import heartbeat
from trove_lite.guestagent import info as guest_info
from trove_lite.guestagent import rpcapi
from trove_lite.guestagent import service as guest_service
from trove_lite.guestagent import status
from trove_lite.guestagent import supervisor as server_supervisor

CONF = conf.CONF
LOG = logging.getLogger(__name__)


class Agent(service_base.ServiceBase):
    """The guest agent of one instance.

    :param info: the agent's ``GuestInfo``.
    :param serializer: serializer of the guest channel, used by the RPC
        server and the conductor client alike; when omitted and the
        instance has a key, everything is sealed with it
        (``common.sealing``).
    :param manager: the datastore manager; loaded from
        ``info.datastore_manager`` when omitted (None there too gives an
        agent that only answers ``rpc_ping``).
    :param report_interval: seconds between heartbeats;
        ``CONF.report_interval`` when omitted.
    :param transport: the agent's own transport (an agent thread with a
        broker identity of its own); the agent cleans it up after
        ``wait()``. The process's transport when omitted.
    :raises: exception.GuestError when the named datastore manager cannot
        be loaded; RuntimeError if ``rpc.init()`` has not run.
    """

    def __init__(self, info, serializer=None, manager=None,
                 report_interval=None, transport=None):
        self.info = info
        self.transport = transport
        if serializer is None and info.instance_key:
            serializer = sealing.GuestSerializer(info.guest_id,
                                                 info.instance_key)
        self.serializer = serializer
        if manager is None and info.datastore_manager:
            manager = datastores.load_manager(info)
        self.datastore = manager
        self.conductor = conductor_rpcapi.ConductorAPI(serializer=serializer,
                                                       transport=transport)
        self.heartbeat = heartbeat.HeartbeatLoop(
            self._beat, report_interval or CONF.report_interval,
            name='heartbeat-%s' % info.guest_id)
        self.reporter = status.StatusReporter(
            info.guest_id, self.conductor, manager=manager,
            tenant_id=info.tenant_id, on_change=self.heartbeat.beat_now)
        self.endpoint = guest_service.GuestAgentEndpoint(
            info.guest_id, manager=manager, reporter=self.reporter)
        self.rpc_service = service.RPCService(
            rpcapi.topic_for(info.guest_id), info.guest_id, self.endpoint,
            serializer=serializer, transport=transport)
        self.supervisor = None
        if manager is not None and getattr(manager, 'SUPERVISED', False) \
                and CONF.guest_agent.server_restart_enabled:
            self.supervisor = server_supervisor.Supervisor(
                manager, self.reporter, busy=self._preparing,
                name='supervisor-%s' % info.guest_id)

    @property
    def guest_id(self):
        return self.info.guest_id

    def start(self):
        """Adopt a running datastore, listen, and start heartbeats.

        :raises: whatever starting the RPC server raises.
        """
        if self.datastore is not None:
            try:
                self.datastore.adopt()
            except Exception:
                LOG.exception('Cannot look for a running datastore of '
                              'instance %s', self.guest_id)
        self.rpc_service.start()
        self.heartbeat.start()
        if self.supervisor is not None:
            self.supervisor.start()
        LOG.info('Guest agent of instance %s started (datastore %s)',
                 self.guest_id, self.info.datastore_manager)

    def stop(self):
        """Stop taking messages, sending heartbeats and watching the
        server (not the datastore).
        """
        if self.supervisor is not None:
            self.supervisor.stop()
        self.heartbeat.stop()
        self.rpc_service.stop()

    def wait(self):
        """Wait for messages in flight, the heartbeat and supervisor
        threads and a running ``prepare`` to finish.
        """
        self.rpc_service.wait()
        self.heartbeat.wait()
        if self.supervisor is not None:
            self.supervisor.wait()
        self.endpoint.wait_for_prepare()
        if self.transport is not None:
            self.transport.cleanup()

    def reset(self):
        """Nothing to reset: the agent's identity is fixed at build time."""

    def _preparing(self):
        return not self.endpoint.wait_for_prepare(timeout=0)

    def _beat(self):
        self.reporter.heartbeat()


def from_guest_info(path, serializer=None, transport=None):
    """An agent (not yet started) for the instance whose
    ``guest_info.conf`` is at ``path``; how ``trove-lite-all`` builds the
    agents of its local instances.

    :param path: the ``guest_info.conf`` (or a list of files).
    :param serializer: as for ``Agent``.
    :param transport: as for ``Agent``.
    :raises: oslo_config.cfg.Error for a missing or incomplete file;
        exception.GuestError for an unknown datastore manager.
    """
    return Agent(guest_info.load(path), serializer=serializer,
                 transport=transport)
