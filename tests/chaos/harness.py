"""The cloud shape of trove_lite, started so that it can be hurt.

``Cloud`` starts what ``tests/functional/test_instance_lifecycle_cloud.py``
starts (trove-lite-api, -conductor and one or two -taskmanagers as
processes of their own, on the real RabbitMQ with a bus of this run's own
and on a scratch database of the real MariaDB, guest agents as
``trove-lite-guestagent`` processes running real ``mariadbd`` servers),
with two differences that make chaos possible:

* every broker connection, the guest agents' included (``[guest_broker]
  guest_transport_url``), goes through a ``SeverableProxy``;
* each service is a ``Service`` that can be killed with SIGKILL and
  started again (a new log file per life: ``<label>.<life>.log``).

It also finds the processes of an instance (its guest agent and its
datastore server) by the instance directory on their command lines, as
the local driver does, so the driver can kill them.
"""

import os
import pathlib
import secrets
import signal
import subprocess
import tempfile
import time
import urllib.parse

from tests.functional import conftest
from tests.functional import fixtures

PROJECT = 'c4a05e1d2b3c4d5e8f9a0b1c2d3e4f50'
SERVICE_READY = 90


class Service:
    """One supervised control-plane process, killable and restartable.

    :param script: the console script (``trove-lite-taskmanager``).
    :param label: its name in the table and log files (``taskmanager-b``).
    :param args: its command-line arguments (config files).
    :param log_dir: where ``<label>.<life>.log`` files go.
    :param ready: ``ready(process, deadline)`` waits until the process
        serves, or raises AssertionError.
    """

    def __init__(self, script, label, args, log_dir, ready):
        self.script = script
        self.label = label
        self.args = list(args)
        self.log_dir = pathlib.Path(log_dir)
        self.ready = ready
        self.life = 0
        self.process = None

    def start(self, wait=True):
        self.life += 1
        self.process = conftest.Process(
            self.script, self.args,
            self.log_dir / ('%s.%d.log' % (self.label, self.life)))
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, deadline=SERVICE_READY):
        self.ready(self.process, deadline)

    def alive(self):
        return self.process is not None and self.process.popen.poll() is None

    @property
    def pid(self):
        return self.process.popen.pid if self.process else None

    def kill(self):
        """SIGKILL the process (only it: an API's forked workers notice
        their parent is gone and stop by themselves).
        """
        if not self.alive():
            return False
        os.kill(self.process.popen.pid, signal.SIGKILL)
        self.process.popen.wait()
        self.process.stop()
        return True

    def stop(self):
        """SIGTERM, as an operator's ``systemctl stop``; the exit code."""
        if self.process is None:
            return None
        return self.process.stop()

    def log(self):
        return self.process.log() if self.process else ''


def _rabbit_parts(url):
    parsed = urllib.parse.urlsplit(url)
    user = parsed.username or 'guest'
    password = parsed.password or 'guest'
    return (parsed.hostname or '127.0.0.1', parsed.port or 5672,
            user, password, parsed.path or '/')


class Cloud:
    """The cloud shape on this host, every broker connection through
    ``proxy``.

    :param db_url: the scratch infrastructure database (SQLAlchemy URL).
    :param proxy: a started ``SeverableProxy`` to RabbitMQ.
    :param taskmanagers: 1 or 2; the second has a ``host`` of its own.
    :param options: ``{group: {option: value}}`` merged over the defaults
        (the deadlines: ``build_timeout``, ``restart_timeout``,
        ``delete_timeout`` in ``DEFAULT``).
    """

    def __init__(self, db_url, proxy, taskmanagers=1, options=None):
        self.db_url = db_url
        self.proxy = proxy
        # NOTE(local): a short directory the mysql user may enter (a unix
        # socket path has at most 107 characters).
        self.root = pathlib.Path(tempfile.mkdtemp(prefix='tl-chaos-',
                                                  dir='/tmp'))
        os.chmod(self.root, 0o755)
        self.instances_path = self.root / 'state' / 'instances'
        self.port = fixtures.free_port()
        self.bus = fixtures.unique_bus('trove_lite_chaos')
        self.host = 'chaos-%d' % self.port
        self.base = 'http://127.0.0.1:%d' % self.port
        self.v1 = '%s/v1.0/%s' % (self.base, PROJECT)
        self.config = self._write_config(options or {})
        self.services = {}
        self.taskmanagers = taskmanagers

    @property
    def exchange(self):
        return self.bus['control_exchange']

    def _write_config(self, options):
        _, _, user, password, vhost = _rabbit_parts(fixtures.RABBIT_URL)
        through_proxy = 'rabbit://%s:%s@%s%s' % (
            user, password, self.proxy.url_host, vhost)
        sections = {
            'DEFAULT': dict(
                self.bus, auth_strategy='noauth', bind_host='127.0.0.1',
                bind_port=self.port, state_path=self.root / 'state',
                transport_url=through_proxy, host=self.host,
                inst_rpc_key_encr_key=secrets.token_urlsafe(24),
                report_interval=2, max_instances_per_tenant=50,
                instances_page_size=100,
                # NOTE(chaos): the driver's status polling is not what is
                # under test; rate limits would answer it 413.
                http_get_rate=100000, http_post_rate=100000,
                http_put_rate=100000, http_delete_rate=100000),
            'database': {'connection': self.db_url},
            'local': {'agent_mode': 'process'},
            # NOTE(chaos): guests reach the broker through the proxy too,
            # with the identity of their own that [guest_broker] makes.
            'guest_broker': {'guest_transport_url': through_proxy},
        }
        for group, values in options.items():
            sections.setdefault(group, {}).update(values)
        return fixtures.write_config(self.root / 'trove-lite.conf', sections)

    def _ready_log(self, topic):
        def ready(process, deadline):
            conftest.wait_for_log(process, 'RPC service %s listening' % topic,
                                  deadline=deadline)
        return ready

    def _ready_api(self, process, deadline):
        conftest.wait_for_http(self.base + '/', process, deadline=deadline)

    def start(self):
        """Set up the database and start every service; returns self."""
        conftest.manage_setup(self.config)
        args = ['--config-file', self.config]
        logs = self.root
        specs = [('trove-lite-conductor', 'conductor', args,
                  self._ready_log(self.bus['conductor_queue'])),
                 ('trove-lite-taskmanager', 'taskmanager', args,
                  self._ready_log(self.bus['taskmanager_queue']))]
        if self.taskmanagers > 1:
            second = fixtures.write_config(
                self.root / 'taskmanager-b.conf',
                {'DEFAULT': {'host': self.host + '-b'}})
            specs.append(('trove-lite-taskmanager', 'taskmanager-b',
                          args + ['--config-file', second],
                          self._ready_log(self.bus['taskmanager_queue'])))
        specs.append(('trove-lite-api', 'api', args, self._ready_api))
        for script, label, service_args, ready in specs:
            self.services[label] = Service(script, label, service_args, logs,
                                           ready).start(wait=False)
        for service in self.services.values():
            service.wait_ready()
        return self

    def restart(self, label):
        """Start ``label`` again after a kill and wait until it serves.

        NOTE(api): the killed API's forked workers hold its port until
        they notice their parent is gone (within about a second) and
        stop; starting before would fail with "address in use".
        """
        service = self.services[label]
        if label == 'api':
            end = time.monotonic() + 30
            while not fixtures.port_free('127.0.0.1', self.port) and \
                    time.monotonic() < end:
                time.sleep(0.2)
        service.start()

    def stop(self):
        """Stop every service (SIGTERM); ``{label: exit code}``."""
        return {label: service.stop()
                for label, service in reversed(list(self.services.items()))}

    def logs(self, tail=3000):
        return '\n'.join(
            '== %s (life %d)\n%s' % (label, s.life, s.log()[-tail:])
            for label, s in self.services.items())

    # -- the instances' processes -------------------------------------------

    def processes_under(self, path=None):
        """``{pid: command line}`` of the processes naming ``path`` (the
        instances directory by default), found with ``pgrep -f``.
        """
        path = str(path or self.instances_path)
        found = subprocess.run(['pgrep', '-f', path], capture_output=True,
                               text=True).stdout.split()
        result = {}
        for pid in found:
            args = _cmdline(pid)
            if args is not None:
                result[int(pid)] = args
        return result

    def instance_processes(self, instance_id):
        """``{'agent': [pids], 'datastore': [pids]}`` of an instance."""
        found = {'agent': [], 'datastore': []}
        for pid, args in self.processes_under(
                self.instances_path / instance_id).items():
            kind = 'agent' if 'guestagent' in args else 'datastore'
            found[kind].append(pid)
        return found

    def service_leftovers(self):
        """``{pid: command line}`` of processes naming this run's config
        file other than the services' current ones (an API worker that
        outlived its killed parent, say).
        """
        current = {s.pid for s in self.services.values() if s.alive()}
        return {pid: args for pid, args in self.processes_under(
            self.config).items() if pid not in current}

    def cleanup(self):
        """Kill whatever still runs out of the run's directory, remove
        it, and close the proxy.
        """
        for pid in self.service_leftovers():
            _kill(pid)
        conftest.remove_state(self.root)
        self.proxy.close()


def _cmdline(pid):
    try:
        with open('/proc/%s/cmdline' % pid, 'rb') as handle:
            raw = handle.read()
    except OSError:
        return None
    return ' '.join(part.decode('utf-8', 'replace')
                    for part in raw.split(b'\0') if part)


def _kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
        return True
    except ProcessLookupError:
        return False


def kill_pids(pids):
    """SIGKILL ``pids``; how many were alive."""
    return sum(_kill(pid) for pid in pids)
