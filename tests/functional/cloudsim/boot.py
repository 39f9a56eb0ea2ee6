"""What booting and deleting a simulated server mean.

A server is a directory of the simulator's ``servers/`` (laid out as the
local compute driver lays out an instance: ``guest_info.conf``, ``data/``,
``run/``, ``log/``) and a real ``trove-lite-guestagent`` process, so the
datastore a guest prepares really runs, at the server's fixed IP (a
loopback address).

The files a server gets come as a guest image would find them: Nova's
``personality`` (base64 contents) or a ``#cloud-config`` ``user_data``
with ``write_files``. ``/etc/trove/conf.d/guest_info.conf`` becomes the
server directory's ``guest_info.conf`` through the local driver's
``local_guest_info`` (with the server directory and the address of its
first port); any other file lands under ``injected/<its path>``, where a
test can look at it. The agent is started and stopped with the local
driver's ``ProcessAgentLauncher``, and deleting a server ends every
process that names its directory, as the local driver does.
"""

import base64
import binascii
import os
import posixpath
import shutil
import sys

import yaml

from tests.functional.cloudsim import state
from trove_lite.common import guest_logs
from trove_lite.compute import base as compute_base
from trove_lite.compute.local import driver as local_driver
from trove_lite.compute.local import launcher as local_launcher
from trove_lite.compute.local import processes

INJECTED_DIR = 'injected'
CLOUD_CONFIG = '#cloud-config'


def _decode(text, what):
    try:
        return base64.b64decode(text, validate=True).decode('utf-8')
    except (binascii.Error, ValueError, TypeError) as err:
        raise state.SimError(400, 'Invalid %s: not base64 of UTF-8 text '
                             '(%s).' % (what, err))


def _write_files(user_data):
    """``{path: text}`` of a ``#cloud-config``'s ``write_files``
    (``encoding: b64`` understood); other user data writes nothing.
    """
    if not user_data.startswith(CLOUD_CONFIG):
        return {}
    try:
        config = yaml.safe_load(user_data) or {}
    except yaml.YAMLError as err:
        raise state.SimError(400, 'Invalid user_data: %s' % err)
    files = {}
    for entry in config.get('write_files') or ():
        content = entry.get('content', '')
        if entry.get('encoding') in ('b64', 'base64'):
            content = _decode(content, 'write_files content')
        files[entry['path']] = content
    return files


def injected_files(server):
    """Every file the create request gives the server: ``{path: text}``,
    ``user_data``'s written after (so over) ``personality``'s, as
    cloud-init runs after the files are in place.

    :param server: the ``server`` object of ``POST /servers``.
    :raises: SimError 400 for contents that cannot be decoded.
    """
    files = {}
    for entry in server.get('personality') or ():
        files[entry['path']] = _decode(entry.get('contents', ''),
                                       'personality contents')
    if server.get('user_data'):
        files.update(_write_files(_decode(server['user_data'],
                                          'user_data')))
    return files


class Booter:
    """Boots and deletes the servers of one simulator.

    :param servers_dir: where server directories are made.
    :param agent_command: the agent command without ``--config-file``
        (the ``trove-lite-guestagent`` beside ``sys.executable`` when
        omitted).
    :param stop_timeout: seconds between SIGTERM and SIGKILL.
    """

    def __init__(self, servers_dir, agent_command=None, stop_timeout=10):
        self.servers_dir = servers_dir
        self.stop_timeout = stop_timeout
        command = agent_command or [os.path.join(
            os.path.dirname(sys.executable), local_launcher.AGENT_COMMAND)]
        self.launcher = local_launcher.ProcessAgentLauncher(
            instances_path=servers_dir, command=command,
            stop_timeout=stop_timeout)

    def server_dir(self, server_id):
        return os.path.join(self.servers_dir, server_id)

    def boot(self, server_id, files, address):
        """Lay the server's directory out, place its files and start its
        agent (when it got a ``guest_info.conf``).

        :returns: the path of ``guest_info.conf``, or None when the server
            has none (an image booted without a guest: no agent).
        :raises: OSError when the directory or the agent cannot be made.
        """
        server_dir = self.server_dir(server_id)
        # NOTE(datastore): the datastore server may drop to its own user,
        # who must enter the directory (as with the local driver's).
        os.makedirs(server_dir, mode=0o755, exist_ok=True)
        os.chmod(server_dir, 0o755)
        for sub in local_driver.SUBDIRS:
            os.makedirs(os.path.join(server_dir, sub), mode=0o700,
                        exist_ok=True)
        guest_info = None
        for path, content in sorted(files.items()):
            if path == compute_base.GUEST_INFO_PATH:
                guest_info = os.path.join(server_dir,
                                          local_driver.GUEST_INFO)
                _write(guest_info, local_driver.local_guest_info(
                    content, server_dir, address))
            else:
                _write(_injected_path(server_dir, path), content)
        if guest_info is not None:
            self.launcher.start(server_id, guest_info)
        return guest_info

    def agent_running(self, server_id):
        return self.launcher.running(server_id)

    def console_output(self, server_id, length=None):
        """The last ``length`` lines (all when None) of the agent's log."""
        path = os.path.join(self.server_dir(server_id),
                            guest_logs.AGENT_LOG_FILE)
        try:
            with open(path, encoding='utf-8', errors='replace') as handle:
                lines = handle.read().splitlines(keepends=True)
        except FileNotFoundError:
            return ''
        if length is not None:
            lines = lines[-int(length):] if int(length) > 0 else []
        return ''.join(lines)

    def delete(self, server_id):
        """Stop the agent and every process of the server's directory
        (the datastore the agent started outlives it on purpose), then
        remove the directory.

        :raises: OSError when a process would not exit.
        """
        server_dir = self.server_dir(server_id)
        self.launcher.stop(server_id)
        pids = set(processes.pids_from_files(os.path.join(server_dir,
                                                          'run')))
        pids.update(processes.pids_naming(server_dir))
        left = processes.terminate(pids, self.stop_timeout)
        if left:
            raise OSError('processes %s of %s would not exit'
                          % (left, server_dir))
        shutil.rmtree(server_dir, ignore_errors=True)


def _injected_path(server_dir, path):
    """Where a file for ``path`` on the server lands: under
    ``injected/``, never outside it.

    :raises: SimError 400 for a relative path or one that climbs out.
    """
    normal = posixpath.normpath(path)
    if not posixpath.isabs(path) or normal.startswith('/..'):
        raise state.SimError(400, 'Invalid file path %r: it must be '
                             'absolute.' % path)
    return os.path.join(server_dir, INJECTED_DIR, normal.lstrip('/'))


def _write(path, content):
    """Write ``path`` (mode 0600: it may hold a key)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as handle:
        handle.write(content)
