"""The local compute driver: each instance is a directory and processes
on this host.

An instance's "server" is ``<[local] instances_path>/<instance id>/``::

    guest_info.conf   the agent's identity, key and datastore
    data/             the data "volume"
    run/              pid files and sockets (agent.pid, the server's)
    log/              agent.log, the datastore's logs

plus a loopback address of its own (``[local] address_range``) on which
its datastore listens on the standard port, so clients connect to it as to
a cloud instance. ``local_servers`` rows reserve the addresses. The guest
agent is started through an ``AgentLauncher`` (see ``launcher``), and it
starts the datastore server itself.
"""

import base64
import configparser
import os
import shutil
import socket

from oslo_config import cfg
from oslo_log import log as logging

from trove_lite.common import exception
from trove_lite.common import states
from trove_lite.compute import base
from trove_lite.compute.local import launcher as agent_launcher
from trove_lite.compute.local import processes
from trove_lite.db.repositories import instances as instance_repo
from trove_lite.db.repositories import local_servers

LOG = logging.getLogger(__name__)

GUEST_INFO = 'guest_info.conf'
SUBDIRS = ('data', 'run', 'log')
KEY_BYTES = 32


def new_instance_key():
    """A fresh per-instance secret: 32 random bytes, urlsafe base64."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode('ascii')


def port_free(port):
    """``usable(address)`` for ``local_servers.allocate``: whether
    nothing listens on ``port`` of the address (always, without a port).

    Rows only know this deployment's instances; a server left running by
    another deployment, or anything else on the host, must not make the
    new instance's datastore fail with "address in use".
    """
    def usable(address):
        if not port:
            return True
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((address, int(port)))
            except OSError:
                LOG.warning('Skipping %s: port %s is in use there', address,
                            port)
                return False
        return True
    return usable


class LocalDriver(base.ComputeDriver):
    """Instances as directories and processes of this host.

    :param launcher: the ``AgentLauncher``; a ``ProcessAgentLauncher`` when
        omitted.
    """

    def __init__(self, launcher=None):
        self.launcher = launcher or agent_launcher.ProcessAgentLauncher()

    @staticmethod
    def instance_dir(instance_id):
        return os.path.join(cfg.CONF.local.instances_path, instance_id)

    def create_server(self, context, instance, flavor, guest_info):
        instance_dir = self.instance_dir(instance.id)
        try:
            for sub in SUBDIRS:
                os.makedirs(os.path.join(instance_dir, sub), mode=0o700,
                            exist_ok=True)
            server = local_servers.allocate(
                context, instance.id, instance_dir, cfg.CONF.host,
                cfg.CONF.local.address_range,
                usable=port_free(guest_info.get('port')))
            key = new_instance_key()
            instance_repo.set_key(context, instance.id, key)
            path = self._write_guest_info(instance, instance_dir,
                                          server.address, key, guest_info)
            self.launcher.start(instance.id, path)
        except local_servers.AddressRangeExhausted as err:
            raise base.ComputeError(
                reason='no free address left in %s (port %s may be taken '
                       'on all of them)' % (err.args[0],
                                            guest_info.get('port')))
        except OSError as err:
            raise base.ComputeError(reason='%s: %s' % (instance_dir, err))
        LOG.info('Local server of instance %s at %s in %s', instance.id,
                 server.address, instance_dir)
        return base.Server(
            id=server.id, status=states.SERVER_ACTIVE,
            addresses=[{'address': server.address,
                        'type': base.ADDRESS_PRIVATE}])

    def _write_guest_info(self, instance, instance_dir, address, key,
                          guest_info):
        config = configparser.ConfigParser(interpolation=None)
        default = {'guest_id': instance.id}
        # NOTE(guest_broker): the agent reaches the bus through the broker
        # identity of its own that the taskmanager made
        # (``guest_transport``: transport_url, control_exchange,
        # conductor_queue), never with the control plane's credentials. An
        # agent process cannot do without one; an agent thread without
        # one shares the process's transport.
        transport = guest_info.get('guest_transport')
        if transport:
            default.update(transport)
        elif self.launcher.separate_process:
            raise base.ComputeError(
                reason='a guest agent process needs a broker identity of '
                       'its own, and [guest_broker] driver gave none (use '
                       'rabbitmq, or shared for tests)')
        config['DEFAULT'] = default
        guest = {
            'datastore_manager': guest_info.get('datastore_manager') or '',
            'datastore_version': guest_info.get('datastore_version') or '',
            'tenant_id': instance.tenant_id or '',
            'instance_dir': instance_dir,
            'bind_host': address,
            'instance_key': key,
        }
        if guest_info.get('port'):
            guest['port'] = str(guest_info['port'])
        config['guest'] = guest
        path = os.path.join(instance_dir, GUEST_INFO)
        fd = os.open(path + '.tmp', os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                     0o600)
        with os.fdopen(fd, 'w') as f:
            config.write(f)
        os.replace(path + '.tmp', path)
        return path

    def delete_server(self, context, instance):
        server = local_servers.get(context, instance.id)
        instance_dir = server.path if server else self.instance_dir(
            instance.id)
        self.launcher.stop(instance.id)
        self._kill_processes(instance_dir)
        try:
            shutil.rmtree(instance_dir)
        except FileNotFoundError:
            pass
        except OSError as err:
            raise base.ComputeError(reason='cannot remove %s: %s'
                                    % (instance_dir, err))
        local_servers.delete(context, instance.id)
        LOG.info('Deleted the local server of instance %s', instance.id)

    @staticmethod
    def _kill_processes(instance_dir):
        timeout = cfg.CONF.local.process_stop_timeout
        pids = set(processes.pids_from_files(os.path.join(instance_dir,
                                                          'run')))
        pids.update(processes.pids_naming(instance_dir))
        if not pids:
            return
        LOG.info('Stopping processes %s of %s', sorted(pids), instance_dir)
        left = processes.terminate(pids, timeout)
        if left:
            raise base.ComputeError(reason='processes %s of %s would not '
                                    'exit' % (left, instance_dir))

    def server_status(self, context, instance):
        server = local_servers.get(context, instance.id)
        if server is None or not os.path.isdir(server.path):
            return states.SERVER_DELETED
        if self.launcher.running(instance.id):
            return states.SERVER_ACTIVE
        return states.SERVER_SHUTDOWN

    def console_output(self, context, instance, max_chars=4000):
        server = local_servers.get(context, instance.id)
        instance_dir = server.path if server else self.instance_dir(
            instance.id)
        path = os.path.join(instance_dir, 'log', agent_launcher.LOG_FILE)
        try:
            with open(path, 'rb') as handle:
                handle.seek(0, os.SEEK_END)
                handle.seek(max(0, handle.tell() - max_chars))
                return handle.read().decode('utf-8', 'replace')
        except OSError:
            # NOTE(guest): an agent thread of trove-lite-all has no log of
            # its own; it writes to the process's log.
            return ''

    def adopt_servers(self, context):
        started = []
        for server in local_servers.list_servers(context, cfg.CONF.host):
            try:
                instance_repo.get(context, server.instance_id)
            except exception.InstanceNotFound:
                LOG.debug('Local server of deleted instance %s left alone',
                          server.instance_id)
                continue
            path = os.path.join(server.path, GUEST_INFO)
            if not os.path.exists(path):
                LOG.warning('Instance %s has no %s; not adopted',
                            server.instance_id, path)
                continue
            if self.launcher.running(server.instance_id):
                continue
            try:
                self.launcher.start(server.instance_id, path)
            except OSError as err:
                LOG.error('Could not start the agent of instance %s: %s',
                          server.instance_id, err)
                continue
            started.append(server.instance_id)
        if started:
            LOG.info('Adopted instances %s', ', '.join(started))
        return started
