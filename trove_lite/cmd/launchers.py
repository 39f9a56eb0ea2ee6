"""Wiring the compute driver and its guest-agent launcher.

The local driver starts agents through an ``AgentLauncher`` so that
``compute`` never imports ``guestagent``; this module, being ``cmd``, is
where the two meet. In thread mode (``[local] agent_mode``, 'auto' with an
in-process transport) each agent is a ``guestagent.agent.Agent`` inside
this process; in process mode a ``trove-lite-guestagent`` process.
"""

import threading

from oslo_log import log as logging
import oslo_messaging
from oslo_service.backend import base as service_base

from trove_lite.broker import memory as broker_memory
from trove_lite.common import rpc

from trove_lite.compute import base as compute_base
from trove_lite.compute.fake import guest as fake_guest
from trove_lite.compute.local import launcher as local_launcher
from trove_lite import conf
from trove_lite.guestagent import agent
from trove_lite.guestagent.datastores import fake as fake_datastore
from trove_lite.guestagent import info as guest_info
from trove_lite.taskmanager.tasks import broker as broker_tasks

CONF = conf.CONF
LOG = logging.getLogger(__name__)


def fake_datastore_factory(instance_id):
    """The in-memory datastore of a fake compute driver's guest."""
    return fake_datastore.Manager(guest_info.GuestInfo(
        guest_id=instance_id, datastore_manager='fake'))


def guest_agent_factory(guest_info_path):
    """A (not yet started) guest agent configured by ``guest_info_path``.

    An agent whose ``guest_info.conf`` names a broker identity of its own
    gets a transport of its own with it; on the in-process bus the
    identity is granted again first (a restarted process forgot it).
    """
    info = guest_info.load(guest_info_path)
    transport = None
    if info.transport_url:
        broker_memory.MemoryDriver().restore_identity(
            broker_tasks.grant_for(info.guest_id), info.transport_url)
        transport = oslo_messaging.get_rpc_transport(
            CONF, url=info.transport_url,
            allowed_remote_exmods=rpc.get_allowed_exmods())
    return agent.Agent(info, transport=transport)


class ThreadAgentLauncher(local_launcher.AgentLauncher):
    """Guest agents as threads of this process (``trove-lite-all``).

    :param factory: ``factory(guest_info_path)`` returns an agent with
        ``start()``, ``stop()`` and ``wait()``.
    """

    separate_process = False

    def __init__(self, factory=guest_agent_factory):
        self.factory = factory
        self.agents = {}
        self._lock = threading.Lock()

    def start(self, instance_id, guest_info_path):
        with self._lock:
            if instance_id in self.agents:
                return
            agent = self.factory(guest_info_path)
            agent.start()
            self.agents[instance_id] = agent
        LOG.info('Started the guest agent of instance %s in this process',
                 instance_id)

    def stop(self, instance_id):
        with self._lock:
            agent = self.agents.pop(instance_id, None)
        if agent is not None:
            agent.stop()
            agent.wait()
            LOG.info('Stopped the guest agent of instance %s', instance_id)

    def running(self, instance_id):
        with self._lock:
            return instance_id in self.agents

    def stop_all(self):
        """Stop every agent (the process is going away; instances stay)."""
        with self._lock:
            ids = list(self.agents)
        for instance_id in ids:
            self.stop(instance_id)


class LauncherService(service_base.ServiceBase):
    """Stops a launcher's in-process agents when the process stops."""

    def __init__(self, launcher):
        self.launcher = launcher

    def start(self):
        pass

    def stop(self):
        stop_all = getattr(self.launcher, 'stop_all', None)
        if stop_all is not None:
            stop_all()

    def wait(self):
        pass

    def reset(self):
        pass


def build_launcher(driver_name=None, thread_factory=guest_agent_factory):
    """The ``AgentLauncher`` for ``driver_name`` (``compute_driver``)."""
    driver_name = driver_name or CONF.compute_driver
    if driver_name == 'fake':
        return fake_guest.FakeGuestLauncher(
            datastore_factory=fake_datastore_factory)
    if local_launcher.agent_mode() == local_launcher.MODE_THREAD:
        return ThreadAgentLauncher(thread_factory)
    return local_launcher.ProcessAgentLauncher()


def build_compute_driver(driver_name=None, launcher=None):
    """The configured compute driver with its launcher.

    :returns: ``(driver, launcher)``.
    """
    driver_name = driver_name or CONF.compute_driver
    if launcher is None and driver_name in ('local', 'fake'):
        launcher = build_launcher(driver_name)
    kwargs = {'launcher': launcher} if launcher is not None else {}
    return compute_base.load_driver(driver_name, **kwargs), launcher
