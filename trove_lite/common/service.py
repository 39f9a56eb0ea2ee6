"""Running RPC servers in a process of native threads.

``RPCService`` is one manager on one topic: ``start()`` opens the server
(oslo.messaging's threading executor runs each message on a pool thread),
``stop()`` stops taking new messages, ``wait()`` lets the ones in flight
finish. The three may be called from any thread, in any order and more
than once, so that a signal handler, a test and the launcher cannot race
each other into a half-stopped server.

``ServiceLauncher`` runs several services in one process (the separate
``trove-lite-taskmanager``/``-conductor``/``-guestagent`` commands run one
each; ``trove-lite-all`` runs them all) and stops them all on SIGTERM or
SIGINT. It exists instead of oslo.service's launchers because, with the
threading backend, oslo.service's ``ServiceLauncher`` forks a child per
service through cotyledon, which would cut the services of the embedded
shape off from the in-process (``kombu+memory``) bus they share.

We subclass oslo.service's ``ServiceBase`` from ``oslo_service.backend.base``
on purpose: importing ``oslo_service.service`` selects a backend as a side
effect, and that is eventlet unless ``init_backend()`` ran first.
"""

import signal
import threading

from oslo_log import log as logging
from oslo_service.backend import base as service_base

from trove_lite.common import rpc

LOG = logging.getLogger(__name__)

# States of an RPCService.
NEW = 'new'
RUNNING = 'running'
STOPPED = 'stopped'


class RPCService(service_base.ServiceBase):
    """One RPC server: ``manager``'s public methods on ``topic``.

    :param topic: the queue to consume (e.g. ``CONF.conductor_queue``).
    :param host: this server's name on the topic; messages sent to
        ``(topic, host)`` reach only this server.
    :param manager: the endpoint object; it may set ``target`` to declare
        its version.
    :param serializer: serializer for arguments and results.
    :param transport: a transport of its own (a guest agent thread's
        identity); the process's when omitted.
    :param on_wrong_version: told of each message at a version the
        manager does not speak (``rpc.get_server``).
    """

    def __init__(self, topic, host, manager, serializer=None,
                 transport=None, on_wrong_version=None):
        self.topic = topic
        self.transport = transport
        self.on_wrong_version = on_wrong_version
        self.host = host
        self.manager = manager
        self.serializer = serializer
        self._server = None
        self._state = NEW
        self._lock = threading.Lock()

    @property
    def state(self):
        return self._state

    def start(self):
        """Start consuming; a no-op when already running.

        :raises: RuntimeError if the service was stopped (build a new one)
            or ``rpc.init()`` has not run.
        """
        with self._lock:
            if self._state == RUNNING:
                return
            if self._state == STOPPED:
                raise RuntimeError('RPC service %s on %s was stopped; '
                                   'build a new one' % (self.topic, self.host))
            self._server = rpc.get_server(
                self.topic, self.host, [self.manager], self.serializer,
                transport=self.transport,
                on_wrong_version=self.on_wrong_version)
            self._server.start()
            self._state = RUNNING
        LOG.info('RPC service %s listening as %s', self.topic, self.host)

    def stop(self):
        """Stop taking new messages; a no-op unless running."""
        with self._lock:
            if self._state != RUNNING:
                self._state = STOPPED
                return
            self._server.stop()
            self._state = STOPPED
        LOG.info('RPC service %s on %s stopped', self.topic, self.host)

    def wait(self):
        """Block until the messages in flight are done.

        Returns at once unless the service has been started and stopped.
        """
        with self._lock:
            server = self._server if self._state == STOPPED else None
        # NOTE(threads): outside the lock, so that a stop() from another
        # thread is never blocked behind us; oslo.messaging's wait() itself
        # lets any number of threads wait for the same completion.
        if server is not None:
            server.wait()

    def reset(self):
        """Nothing to reset: configuration is read when a service is built."""


class PeriodicService(service_base.ServiceBase):
    """Runs ``run_once`` every ``interval()`` seconds on a daemon thread.

    The periodic jobs of the control plane (the conductor's reconcilers,
    the taskmanager's flavor copy) differ only in what one round does and
    when it first runs; this is the thread, the stop event and the
    launcher's interface they share. ``stop()`` ends the wait between
    rounds at once; a round under way finishes.

    :param name: the thread's name, for logs and stack dumps.
    """

    #: Run one round as soon as the service starts, before the first wait.
    run_at_start = False

    def __init__(self, name):
        self.name = name
        self._stop = threading.Event()
        self._thread = None

    def run_once(self):
        """One round; must log, not raise, what went wrong."""
        raise NotImplementedError

    def interval(self):
        """Seconds between two rounds; 0 runs no round after the first."""
        raise NotImplementedError

    def enabled(self):
        """Whether ``start()`` starts the thread at all."""
        return True

    def _loop(self, interval):
        if self.run_at_start:
            self.run_once()
        while interval and not self._stop.wait(interval):
            self.run_once()

    def start(self):
        if self._thread is not None or not self.enabled():
            return
        self._thread = threading.Thread(target=self._loop,
                                        args=(self.interval(),),
                                        name=self.name, daemon=True)
        self._thread.start()

    def stop(self):
        self._stop.set()

    def wait(self):
        if self._thread is not None:
            self._thread.join()

    def reset(self):
        """Nothing to reset."""


class ServiceLauncher:
    """Run services in this process until told to stop.

    ``launch_service`` starts a service at once; ``wait`` blocks until
    ``stop`` is called or SIGTERM/SIGINT arrives, then stops every service
    (in reverse order of launch) and waits for them.
    """

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self):
        self.services = []
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._signal = None

    def launch_service(self, service):
        """Start ``service`` and keep it for ``stop``/``wait``.

        :raises: whatever ``service.start()`` raises; the services already
            launched keep running.
        """
        service.start()
        with self._lock:
            self.services.append(service)

    def stop(self):
        """Ask ``wait`` to stop everything; safe from any thread."""
        self._stopping.set()

    def wait(self, poll_interval=0.5):
        """Block until stopped, then stop and wait for every service.

        Handles SIGTERM and SIGINT while waiting when called in the main
        thread (Python runs signal handlers only there), and puts the
        previous handlers back afterwards.

        :returns: 0, the exit code of a clean shutdown.
        """
        previous = self._install_signal_handlers()
        try:
            # NOTE(signals): a bounded wait returns to the interpreter loop
            # regularly, so a signal handler always gets to run promptly.
            while not self._stopping.wait(poll_interval):
                pass
        finally:
            self._restore_signal_handlers(previous)
        if self._signal is not None:
            LOG.info('Caught %s, stopping services',
                     signal.Signals(self._signal).name)
        self._shutdown()
        return 0

    def _install_signal_handlers(self):
        if threading.current_thread() is not threading.main_thread():
            return {}
        return {signo: signal.signal(signo, self._handle_signal)
                for signo in self.SIGNALS}

    @staticmethod
    def _restore_signal_handlers(previous):
        for signo, handler in previous.items():
            signal.signal(signo, handler)

    def _handle_signal(self, signo, frame):
        # NOTE(signals): no logging here: the handler may interrupt this
        # thread while it holds a logging lock. wait() logs for us.
        self._signal = signo
        self.stop()

    def _shutdown(self):
        with self._lock:
            services = list(reversed(self.services))
        for service in services:
            service.stop()
        for service in services:
            service.wait()


def serve(services):
    """Run ``services`` in this process until SIGTERM or SIGINT.

    :returns: the process exit code (0 after a clean shutdown).
    :raises: whatever starting a service raises, after stopping the ones
        already started.
    """
    launcher = ServiceLauncher()
    try:
        for svc in services:
            launcher.launch_service(svc)
    except Exception:
        launcher.stop()
        launcher.wait()
        raise
    return launcher.wait()
