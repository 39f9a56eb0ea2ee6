"""The local compute driver: each instance is a directory and processes
on this host.

An instance's "server" is ``<[local] instances_path>/<instance id>/``::

    guest_info.conf   the agent's identity, key and datastore, as the
                      taskmanager rendered it plus the instance directory
                      and address (``local_guest_info``)
    data/             the data "volume" (``create_volume``): the mount
                      point of a filesystem of the volume's size, or a
                      plain directory (``volumes``)
    run/              pid files and sockets (agent.pid, the server's)
    log/              agent.log, the datastore's logs
    access.json       the access last applied (``firewall``), applied
                      again when the driver adopts the server

plus a loopback address of its own (``[local] address_range``) on which
its datastore listens on the standard port, so clients connect to it as to
a cloud instance. ``local_servers`` rows reserve the addresses. The guest
agent is started through an ``AgentLauncher`` (see ``launcher``), and it
starts the datastore server itself. Flavors are the infra database's
``flavors`` rows (``trove-lite-manage flavor_create``); server groups are
names only, since every server is on this host. Who reaches an
instance (its ``access``) is enforced by packet filtering of its address
and ports (``firewall``).
"""

import configparser
import dataclasses
import io
import json
import os
import shutil
import socket
import threading
import uuid

from oslo_config import cfg
from oslo_log import log as logging

from trove_lite.common import access as access_module
from trove_lite.common import exception
from trove_lite.common import states
from trove_lite.compute import base
from trove_lite.compute.local import firewall as firewall_module
from trove_lite.compute.local import launcher as agent_launcher
from trove_lite.compute.local import processes
from trove_lite.compute.local import volumes as local_volumes
from trove_lite.db.repositories import flavors as flavor_repo
from trove_lite.db.repositories import instances as instance_repo
from trove_lite.db.repositories import local_servers

LOG = logging.getLogger(__name__)

GUEST_INFO = os.path.basename(base.GUEST_INFO_PATH)
ACCESS_FILE = 'access.json'
SUBDIRS = ('data', 'run', 'log')
# The guest's config directory on a server; its files land in the
# instance directory.
GUEST_CONF_DIR = os.path.dirname(base.GUEST_INFO_PATH)


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


def local_guest_info(content, instance_dir, address):
    """``guest_info.conf`` as the taskmanager rendered it, plus what only
    the local driver knows: the instance directory and the loopback
    address the datastore binds to. The one place the local driver adds
    to a guest's identity.
    """
    config = configparser.ConfigParser(interpolation=None)
    config.read_string(content)
    if not config.has_section('guest'):
        config.add_section('guest')
    config['guest']['instance_dir'] = instance_dir
    config['guest']['bind_host'] = address
    out = io.StringIO()
    config.write(out)
    return out.getvalue()


def _write_private(path, content):
    """Write ``path`` (mode 0600) atomically: it may hold a key."""
    fd = os.open(path + '.tmp', os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                 0o600)
    with os.fdopen(fd, 'w') as f:
        f.write(content)
    os.replace(path + '.tmp', path)


def _remove_tree(path):
    """Remove ``path`` and everything below it; gone already is fine.

    :raises: ComputeError when it cannot be removed.
    """
    try:
        shutil.rmtree(path)
    except FileNotFoundError:
        pass
    except OSError as err:
        raise base.ComputeError(reason='cannot remove %s: %s' % (path, err))


class LocalDriver(base.ComputeDriver):
    """Instances as directories and processes of this host.

    :param launcher: the ``AgentLauncher``; a ``ProcessAgentLauncher`` when
        omitted.
    :param volumes: ``(backend of new volumes, LoopVolumes)``
        (``volumes.choose`` for ``[local] volume_backend`` when omitted).
    :param firewall: what enforces access (``firewall.NftablesFirewall``
        or ``NoFirewall``); ``[local] access_enforcement`` decides at the
        first use when omitted.
    """

    flavors_in_infra_db = True

    def __init__(self, launcher=None, volumes=None, firewall=None):
        self.launcher = launcher or agent_launcher.ProcessAgentLauncher()
        self.new_volumes, self.loop_volumes = volumes or \
            local_volumes.choose(cfg.CONF.local.volume_backend)
        self._firewall = firewall
        self._firewall_lock = threading.Lock()

    @property
    def firewall(self):
        # NOTE(firewall): chosen at the first use, not at load: whether
        # nft can run is a question for the process that runs the flows.
        with self._firewall_lock:
            if self._firewall is None:
                self._firewall = firewall_module.load()
            return self._firewall

    @property
    def guest_needs_transport(self):
        # NOTE(guest): an agent process needs the bus; an agent thread
        # shares the control plane's transport and gets no URL at all.
        return self.launcher.separate_process

    @staticmethod
    def instance_dir(instance_id):
        return os.path.join(cfg.CONF.local.instances_path, instance_id)

    def create_server(self, context, instance, spec):
        instance_dir = self.instance_dir(instance.id)
        port = spec.service_ports[0] if spec.service_ports else None
        placed = self._placed(spec.files)
        self._check_transport(placed[GUEST_INFO])
        try:
            self._make_dirs(instance_dir)
            server = local_servers.allocate(
                context, instance.id, instance_dir, cfg.CONF.host,
                cfg.CONF.local.address_range, usable=port_free(port))
            path = self._write_files(instance_dir, server.address, placed)
            # NOTE(firewall): before anything listens, so the datastore
            # is never reachable beyond what its access allows.
            self._apply_access(instance.id, instance_dir, server.address,
                               self._access_of(spec))
            self.launcher.start(instance.id, path)
        except local_servers.AddressRangeExhausted as err:
            raise base.ComputeError(
                reason='no free address left in %s (port %s may be taken '
                       'on all of them)' % (err.args[0], port))
        except OSError as err:
            raise base.ComputeError(reason='%s: %s' % (instance_dir, err))
        LOG.info('Local server of instance %s at %s in %s', instance.id,
                 server.address, instance_dir)
        return base.Server(
            id=server.id, status=states.SERVER_ACTIVE,
            addresses=[{'address': server.address,
                        'type': base.ADDRESS_PRIVATE}])

    @staticmethod
    def _access_of(spec):
        """The ``AccessSpec`` of a server spec: private by default, and
        covering the spec's service ports unless it names its own.
        """
        access = spec.access or base.AccessSpec()
        if not access.ports and spec.service_ports:
            access = dataclasses.replace(
                access, ports=tuple(int(p) for p in spec.service_ports))
        return access

    def _apply_access(self, instance_id, instance_dir, address, access):
        """Enforce ``access`` at ``address`` and remember it in the
        instance directory, for ``adopt_servers``.

        :raises: ComputeError (``firewall.FirewallError``).
        """
        self.firewall.apply(address, access, instance_id)
        record = dict(dataclasses.asdict(access), address=address)
        record['allowed_cidrs'] = list(access.allowed_cidrs)
        record['ports'] = list(access.ports)
        _write_private(os.path.join(instance_dir, ACCESS_FILE),
                       json.dumps(record))

    def apply_access(self, context, instance, access):
        server = local_servers.get(context, instance.id)
        if server is None or not os.path.isdir(server.path):
            raise base.ComputeError(
                reason='instance %s has no local server' % instance.id)
        if not access.ports:
            # The ports the create covered: the datastore's.
            recorded = self._recorded_access(server.path)
            if recorded is not None:
                access = dataclasses.replace(access, ports=recorded.ports)
        try:
            self._apply_access(instance.id, server.path, server.address,
                               access)
        except OSError as err:
            raise base.ComputeError(reason='%s: %s' % (server.path, err))
        return [{'address': server.address, 'type': base.ADDRESS_PRIVATE}]

    @staticmethod
    def _recorded_access(instance_dir):
        """The ``AccessSpec`` last applied to the server in
        ``instance_dir``, or None when none was recorded.
        """
        try:
            with open(os.path.join(instance_dir, ACCESS_FILE)) as handle:
                record = json.load(handle)
        except (OSError, ValueError):
            return None
        return base.AccessSpec(
            is_public=bool(record.get('is_public')),
            allowed_cidrs=tuple(record.get('allowed_cidrs') or ()),
            ports=tuple(record.get('ports') or ()))

    def _restore_access(self, context, server):
        """Apply again what the server had (packet filters do not outlive
        a reboot of the host): its recorded access, or, for a server made
        before access was recorded, the instance's stored one on every
        TCP port of its address. Failures are logged: adopting an
        instance goes on without them.
        """
        access = self._recorded_access(server.path)
        if access is None:
            try:
                row = instance_repo.get(context, server.instance_id)
            except exception.InstanceNotFound:
                return
            access = base.AccessSpec.of(access_module.load(row.access), ())
        try:
            self._apply_access(server.instance_id, server.path,
                               server.address, access)
        except (base.ComputeError, OSError) as err:
            LOG.error('Could not restore the access of instance %s: %s',
                      server.instance_id, err)

    @staticmethod
    def _make_dirs(instance_dir):
        for sub in SUBDIRS:
            os.makedirs(os.path.join(instance_dir, sub), mode=0o700,
                        exist_ok=True)

    @staticmethod
    def _placed(files):
        """Where each injected file goes: ``{name in the instance
        directory: text}``. A file of the guest's config directory lands
        under its own name.

        :raises: ComputeError for a file the local driver has no place
            for, or a spec without ``guest_info.conf``.
        """
        if base.GUEST_INFO_PATH not in files:
            raise base.ComputeError(reason='the spec injects no %s'
                                    % base.GUEST_INFO_PATH)
        placed = {}
        for path, content in files.items():
            if os.path.dirname(path) != GUEST_CONF_DIR:
                raise base.ComputeError(
                    reason='the local driver places files of %s only, not '
                           '%s' % (GUEST_CONF_DIR, path))
            placed[os.path.basename(path)] = content
        return placed

    def _check_transport(self, content):
        """Refuse a guest agent process without broker options.

        NOTE(guest_broker): the agent reaches the bus through the broker
        identity of its own that the taskmanager made (``guest_transport``
        in ``[DEFAULT]``), never with the control plane's credentials. An
        agent process cannot do without one; an agent thread without one
        shares the process's transport.

        :raises: ComputeError
        """
        if not self.guest_needs_transport:
            return
        config = configparser.ConfigParser(interpolation=None)
        config.read_string(content)
        if not config.defaults().get('transport_url'):
            raise base.ComputeError(
                reason='a guest agent process needs a broker identity of '
                       'its own, and [guest_broker] driver gave none (use '
                       'rabbitmq, or shared for tests)')

    @staticmethod
    def _write_files(instance_dir, address, placed):
        """Write the placed files; ``guest_info.conf`` with the local
        additions (``local_guest_info``).

        :returns: the path of ``guest_info.conf``.
        """
        for name, content in sorted(placed.items()):
            if name == GUEST_INFO:
                content = local_guest_info(content, instance_dir, address)
            _write_private(os.path.join(instance_dir, name), content)
        return os.path.join(instance_dir, GUEST_INFO)

    def delete_server(self, context, instance):
        server = local_servers.get(context, instance.id)
        instance_dir = server.path if server else self.instance_dir(
            instance.id)
        self.launcher.stop(instance.id)
        self._kill_processes(instance_dir)
        # NOTE(volumes): the volume is not the server's (delete_volume
        # removes it), but its filesystem is mounted in the instance
        # directory, which cannot go while it is.
        self.loop_volumes.unmount(os.path.join(instance_dir, 'data'))
        if server is not None:
            # NOTE(firewall): after the processes, so nothing listens
            # unfiltered; the address's chain goes with the address.
            self.firewall.remove(server.address)
        _remove_tree(instance_dir)
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
        path = os.path.join(self._dir_of(context, instance), 'log', agent_launcher.LOG_FILE)
        try:
            with open(path, 'rb') as handle:
                handle.seek(0, os.SEEK_END)
                handle.seek(max(0, handle.tell() - max_chars))
                return handle.read().decode('utf-8', 'replace')
        except OSError:
            # NOTE(guest): an agent thread of trove-lite-all has no log of
            # its own; it writes to the process's log.
            return ''

    def _dir_of(self, context, instance):
        server = local_servers.get(context, instance.id)
        return server.path if server else self.instance_dir(instance.id)

    @staticmethod
    def volume_image(instance_id):
        """Where a loop volume's image is (``volumes``)."""
        return os.path.join(cfg.CONF.local.volumes_path,
                            '%s.img' % instance_id)

    def _volumes_of(self, instance_id):
        """The backend of an existing volume: a loop volume has an image."""
        if os.path.exists(self.volume_image(instance_id)):
            return self.loop_volumes
        return local_volumes.DirectoryVolumes()

    def create_volume(self, context, instance, spec):
        data = os.path.join(self.instance_dir(instance.id), 'data')
        image = self.volume_image(instance.id)
        try:
            self.new_volumes.create(image, data, spec.size)
        except (base.ComputeError, OSError) as err:
            if cfg.CONF.local.volume_backend != local_volumes.AUTO or \
                    self.new_volumes is not self.loop_volumes:
                raise base.ComputeError(reason='%s: %s' % (data, err))
            # NOTE(volumes): auto falls back to a directory, and says so.
            LOG.warning('Instance %s: its volume is a plain directory, as '
                        'a loop volume could not be made: %s', instance.id,
                        err)
            try:
                local_volumes.DirectoryVolumes().create(image, data,
                                                        spec.size)
            except OSError as err:
                raise base.ComputeError(reason='%s: %s' % (data, err))
        return base.Volume(id=instance.id, size=spec.size,
                           status='available')

    def attach_volume(self, context, instance, volume_id):
        return os.path.join(self._dir_of(context, instance), 'data')

    def extend_volume(self, context, instance, volume_id, new_size):
        if instance.volume_size and new_size < instance.volume_size:
            raise base.ComputeError(
                reason='volume %s is %s GB; a volume does not shrink to %s '
                       'GB' % (volume_id, instance.volume_size, new_size))
        self._volumes_of(instance.id).extend(
            self.volume_image(instance.id), new_size)
        return base.Volume(id=volume_id, size=new_size, status='in-use')

    def delete_volume(self, context, instance, volume_id):
        data = os.path.join(self._dir_of(context, instance), 'data')
        try:
            self._volumes_of(instance.id).remove(
                self.volume_image(instance.id), data)
        except OSError as err:
            raise base.ComputeError(reason='cannot remove %s: %s'
                                    % (data, err))

    def resize_server(self, context, instance, flavor):
        # NOTE(local): a local server has no size of its own: the flavor
        # shapes the datastore (its configuration), which the guest
        # re-tunes.
        return base.Server(id=instance.compute_instance_id,
                           status=self.server_status(context, instance),
                           addresses=instance_repo.addresses_of(instance))

    def create_server_group(self, context, name, policy):
        # NOTE(local): every local server is on this host: affinity holds
        # and anti-affinity cannot; a group is only a name here.
        return str(uuid.uuid4())

    def delete_server_group(self, context, group_id):
        pass

    def list_flavors(self, context):
        return [base.flavor_of(row) for row in flavor_repo.list_flavors(
            context)]

    def get_flavor(self, context, flavor_id):
        return base.flavor_of(flavor_repo.get_flavor(context, flavor_id))

    def adopt_server(self, context, instance):
        """Take over the server of one instance whose workflow this
        taskmanager resumed after another one died: the server becomes
        this host's, and its agent is started if it is not running.

        :returns: whether the agent was started.
        """
        server = local_servers.get(context, instance.id)
        if server is None:
            return False
        if server.host != cfg.CONF.host:
            local_servers.set_host(context, instance.id, cfg.CONF.host)
            LOG.info('Instance %s: its server moves from host %s to this '
                     'one', instance.id, server.host)
        if os.path.isdir(server.path):
            self._restore_access(context, server)
        return self._start_agent(server)

    def _start_agent(self, server):
        """Start the agent of ``server`` unless it runs; whether it was
        started.
        """
        path = os.path.join(server.path, GUEST_INFO)
        if not os.path.exists(path):
            LOG.warning('Instance %s has no %s; not adopted',
                        server.instance_id, path)
            return False
        if self.launcher.running(server.instance_id):
            return False
        try:
            # NOTE(volumes): after a reboot of the host, nothing is
            # mounted; the agent must find its data where it left it.
            if self._volumes_of(server.instance_id).mount(
                    self.volume_image(server.instance_id),
                    os.path.join(server.path, 'data')):
                LOG.info('Instance %s: mounted its volume again',
                         server.instance_id)
        except base.ComputeError as err:
            LOG.error('Could not mount the volume of instance %s, so its '
                      'agent is not started: %s', server.instance_id, err)
            return False
        try:
            self.launcher.start(server.instance_id, path)
        except OSError as err:
            LOG.error('Could not start the agent of instance %s: %s',
                      server.instance_id, err)
            return False
        return True

    def adopt_servers(self, context):
        """Take over the servers of this host after a (re)start.

        A local-driver duty (a Nova server keeps running without us): the
        taskmanager calls it once at start when its driver has it, to
        restart the agents of live instances whose agent is not running,
        so that restarting trove_lite does not lose its instances.

        :returns: the ids of the instances whose agent was started.
        """
        started = []
        for server in local_servers.list_servers(context, cfg.CONF.host):
            try:
                instance_repo.get(context, server.instance_id)
            except exception.InstanceNotFound:
                LOG.debug('Local server of deleted instance %s left alone',
                          server.instance_id)
                continue
            if os.path.isdir(server.path):
                self._restore_access(context, server)
            if self._start_agent(server):
                started.append(server.instance_id)
        if started:
            LOG.info('Adopted instances %s', ', '.join(started))
        return started
