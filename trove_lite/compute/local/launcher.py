"""How the local driver starts and stops guest agents.

The driver does not know what a guest agent is: it hands the path of the
instance's ``guest_info.conf`` to an ``AgentLauncher``. That seam keeps
``compute`` below ``guestagent`` (compute never imports the agent):

* ``ProcessAgentLauncher`` (here) runs ``trove-lite-guestagent
  --config-file <guest_info.conf>`` as a process of its own session, so it
  survives a restart of the control plane and is adopted afterwards;
* a thread launcher, built in ``trove_lite.cmd``, runs agents inside
  ``trove-lite-all`` when the bus is in-process (an agent process could
  not reach a ``kombu+memory`` broker).

``[local] agent_mode`` picks one; see ``agent_mode``.
"""

import abc
import os
import shlex
import subprocess
import sys
import threading

from oslo_config import cfg
from oslo_log import log as logging

from trove_lite.common import guest_logs
from trove_lite.compute.local import processes

LOG = logging.getLogger(__name__)

MODE_THREAD = 'thread'
MODE_PROCESS = 'process'
# Transports that only exist inside one process.
IN_PROCESS_SCHEMES = ('kombu+memory', 'kombu+trove-lite-memory', 'fake')

AGENT_COMMAND = 'trove-lite-guestagent'
PID_FILE = 'agent.pid'
LOG_FILE = os.path.basename(guest_logs.AGENT_LOG_FILE)


def agent_mode(conf=None):
    """``thread`` or ``process``: ``[local] agent_mode`` with 'auto' resolved.

    'auto' is thread when ``transport_url`` is in-process, else process.
    """
    conf = conf or cfg.CONF
    mode = conf.local.agent_mode
    if mode != 'auto':
        return mode
    try:
        url = conf.transport_url or ''
    except cfg.NoSuchOptError:
        url = ''
    scheme = url.split(':', 1)[0]
    return MODE_THREAD if scheme in IN_PROCESS_SCHEMES else MODE_PROCESS


class AgentLauncher(abc.ABC):
    """Starts and stops the guest agent of a local instance."""

    #: Whether the agent is a process of its own, which then needs the
    #: control plane's ``transport_url`` in its guest_info.conf.
    separate_process = False

    @abc.abstractmethod
    def start(self, instance_id, guest_info_path):
        """Start the agent unless it runs already.

        :param guest_info_path: the instance's ``guest_info.conf``; its
            directory is the instance directory.
        """

    @abc.abstractmethod
    def stop(self, instance_id):
        """Stop the agent and wait (bounded) for it; no error if it is not
        running. The datastore server it started is not its business.
        """

    @abc.abstractmethod
    def running(self, instance_id):
        """Whether the agent of ``instance_id`` runs."""


class ProcessAgentLauncher(AgentLauncher):
    """Each agent is a ``trove-lite-guestagent`` process.

    The process gets a session of its own (a signal to the control plane
    does not reach it), writes its output to ``log/agent.log`` and is
    remembered by ``run/agent.pid``, so a restarted taskmanager finds it.

    :param instances_path: where instance directories are
        (``[local] instances_path`` when omitted).
    :param command: the agent command without ``--config-file``;
        ``[local] agent_command`` when omitted, and when that is unset the
        ``trove-lite-guestagent`` beside ``sys.executable``.
    :param stop_timeout: seconds between SIGTERM and SIGKILL
        (``[local] process_stop_timeout`` when omitted).
    """

    separate_process = True

    def __init__(self, instances_path=None, command=None, stop_timeout=None):
        self._instances_path = instances_path
        self._command = command
        self._stop_timeout = stop_timeout
        self._children = {}
        self._lock = threading.Lock()

    def _dir(self, instance_id):
        return os.path.join(
            self._instances_path or cfg.CONF.local.instances_path,
            instance_id)

    def _pid_file(self, instance_id):
        return os.path.join(self._dir(instance_id), 'run', PID_FILE)

    def command(self):
        if self._command is not None:
            return list(self._command)
        if cfg.CONF.local.agent_command:
            return shlex.split(cfg.CONF.local.agent_command)
        return [os.path.join(os.path.dirname(sys.executable), AGENT_COMMAND)]

    def start(self, instance_id, guest_info_path):
        with self._lock:
            if self._pid(instance_id) is not None:
                return
            instance_dir = os.path.dirname(guest_info_path)
            log_path = os.path.join(instance_dir, guest_logs.AGENT_LOG_FILE)
            args = self.command() + ['--config-file', guest_info_path]
            with open(log_path, 'ab') as log:
                child = subprocess.Popen(
                    args, stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, cwd=instance_dir,
                    close_fds=True, start_new_session=True)
            self._children[instance_id] = child
            pid_file = self._pid_file(instance_id)
            with open(pid_file + '.tmp', 'w') as f:
                f.write('%d\n' % child.pid)
            os.replace(pid_file + '.tmp', pid_file)
        LOG.info('Started the guest agent of instance %s (pid %d)',
                 instance_id, child.pid)

    def _pid(self, instance_id):
        """The pid of the running agent, or None."""
        child = self._children.get(instance_id)
        if child is not None:
            if child.poll() is None:
                return child.pid
            del self._children[instance_id]
            return None
        pids = processes.pids_from_files(os.path.dirname(
            self._pid_file(instance_id)))
        pid_text = ''
        try:
            with open(self._pid_file(instance_id)) as f:
                pid_text = f.read().strip()
        except FileNotFoundError:
            return None
        # NOTE(adoption): an agent of an earlier taskmanager; believe the
        # pid file only if that process still names this instance.
        if pid_text.isdigit() and int(pid_text) in pids:
            args = processes.cmdline(int(pid_text)) or []
            if processes.names_path(args, self._dir(instance_id)):
                return int(pid_text)
        return None

    def running(self, instance_id):
        with self._lock:
            return self._pid(instance_id) is not None

    def stop(self, instance_id):
        timeout = self._stop_timeout or cfg.CONF.local.process_stop_timeout
        with self._lock:
            pid = self._pid(instance_id)
            child = self._children.pop(instance_id, None)
        if pid is not None:
            processes.terminate([pid], timeout)
            LOG.info('Stopped the guest agent of instance %s (pid %d)',
                     instance_id, pid)
        if child is not None:
            child.poll()
        try:
            os.unlink(self._pid_file(instance_id))
        except FileNotFoundError:
            pass
