"""The local driver's data volumes: a filesystem of its own, or a directory.

A cloud instance's data lives on a Cinder volume of the size the tenant
asked for: the datastore cannot write past it, and ``df`` on the guest
shows it. The local driver does the same with what a host has (``[local]
volume_backend``):

``loop``
    a sparse image file of the volume's size under ``[local]
    volumes_path`` (``<instance id>.img``), formatted ext4, attached to a
    loop device and mounted on the instance's ``data/``. Extending it
    grows the file and tells the loop device (``losetup -c``); the guest
    then grows the filesystem, as it does on a Cinder volume. Needs root
    and loop devices.
``directory``
    ``data/`` is a plain directory: the size is only what usage is
    reported against, nothing enforces it.
``auto`` (the default)
    ``loop`` when this process is root and the tools are installed, and
    a directory otherwise, or for a volume whose filesystem cannot be
    made or mounted (a container without loop devices): the log says
    which, and why.

Which one a volume is comes from what exists: a volume with an image file
is a loop volume, whatever the option says now, so that changing it does
not strand existing instances.
"""

import os
import shutil

from oslo_log import log as logging

from trove_lite.common import utils
from trove_lite.compute import base

LOG = logging.getLogger(__name__)

GB = 1024 ** 3
AUTO = 'auto'
LOOP = 'loop'
DIRECTORY = 'directory'
LOOP_TOOLS = ('mkfs.ext4', 'losetup', 'mount', 'umount')
SBIN_DIRS = ('/usr/sbin', '/sbin', '/usr/bin', '/bin')


def remove_tree(path):
    """Remove ``path`` and what is below it; gone already is fine."""
    try:
        shutil.rmtree(path)
    except FileNotFoundError:
        pass


def tools_installed():
    """Whether every tool of loop volumes is on this host."""
    return all(shutil.which(tool) or any(
        os.access(os.path.join(directory, tool), os.X_OK)
        for directory in SBIN_DIRS) for tool in LOOP_TOOLS)


def loop_usable():
    """``(usable, why not)`` of loop volumes on this host."""
    if os.geteuid() != 0:
        return False, 'this process is not root'
    if not tools_installed():
        return False, 'one of %s is not installed' % ', '.join(LOOP_TOOLS)
    if not os.path.exists('/dev/loop-control'):
        return False, 'there is no /dev/loop-control'
    return True, None


class DirectoryVolumes:
    """Volumes that are plain directories (nothing enforces their size)."""

    name = DIRECTORY

    def create(self, image, mount_point, size_gb):
        os.makedirs(mount_point, mode=0o700, exist_ok=True)

    def extend(self, image, size_gb):
        pass

    def mount(self, image, mount_point):
        return False

    def unmount(self, mount_point):
        pass

    def remove(self, image, mount_point):
        remove_tree(mount_point)


class LoopVolumes:
    """Volumes that are ext4 images on loop devices.

    :param runner: ``runner(argv) -> (code, output)``
        (``utils.run_command`` when None; tests give a fake).
    :param is_mount: ``is_mount(path)`` (``os.path.ismount``).
    """

    name = LOOP

    def __init__(self, runner=None, is_mount=None):
        self.runner = runner or utils.run_command
        self.is_mount = is_mount or os.path.ismount

    def create(self, image, mount_point, size_gb):
        """Make the image, its filesystem, and mount it on
        ``mount_point``; what an interrupted create left of it is removed
        first. On failure nothing of it is left attached or mounted.

        :raises: ComputeError.
        """
        os.makedirs(mount_point, mode=0o700, exist_ok=True)
        self.remove(image, mount_point, keep_mount_point=True)
        os.makedirs(os.path.dirname(image), mode=0o700, exist_ok=True)
        try:
            with open(image, 'wb') as handle:
                handle.truncate(size_gb * GB)
            # NOTE(volumes): no blocks reserved for root: the tenant's
            # datastore gets the whole volume, as on a cloud.
            self._run(image, 'mkfs.ext4', '-q', '-F', '-m', '0', image)
            self.mount(image, mount_point)
        except Exception:
            self.remove(image, mount_point, keep_mount_point=True)
            raise
        os.chmod(mount_point, 0o700)
        LOG.info('Volume %s: %s GB ext4 on %s', mount_point, size_gb,
                 image)

    def extend(self, image, size_gb):
        """Grow the image to ``size_gb`` and tell its loop device; the
        filesystem on it is the guest's to grow.

        :raises: ComputeError.
        """
        try:
            with open(image, 'r+b') as handle:
                handle.truncate(size_gb * GB)
        except OSError as err:
            raise base.ComputeError(reason='%s: %s' % (image, err))
        for device in self.devices(image):
            self._run(image, 'losetup', '-c', device)

    def mount(self, image, mount_point):
        """Mount the image on ``mount_point`` unless it is mounted (after
        a reboot of the host, nothing is); whether it mounted it.

        :raises: ComputeError.
        """
        if self.is_mount(mount_point):
            return False
        devices = self.devices(image)
        device = devices[0] if devices else self._run(
            image, 'losetup', '-f', '--show', image).strip()
        try:
            self._run(image, 'mount', device, mount_point)
        except base.ComputeError:
            if not devices:
                self._run(image, 'losetup', '-d', device)
            raise
        return True

    def unmount(self, mount_point):
        """Unmount ``mount_point`` if something is mounted there.

        :raises: ComputeError.
        """
        if self.is_mount(mount_point):
            self._run(mount_point, 'umount', mount_point)

    def remove(self, image, mount_point, keep_mount_point=False):
        """Unmount, detach and delete the volume; gone already is fine.

        :raises: ComputeError.
        """
        self.unmount(mount_point)
        if os.path.exists(image):
            for device in self.devices(image):
                self._run(image, 'losetup', '-d', device)
            os.remove(image)
        if not keep_mount_point:
            remove_tree(mount_point)

    def devices(self, image):
        """The loop devices the image is attached to."""
        output = self._run(image, 'losetup', '-j', image)
        return [line.split(':', 1)[0] for line in output.splitlines()
                if line.startswith('/dev/')]

    def _run(self, path, *argv):
        code, output = self.runner(list(argv))
        if code != 0:
            raise base.ComputeError(reason='%s: %s failed (%s): %s' % (
                path, ' '.join(argv), code, output))
        return output


def choose(backend, runner=None):
    """The backend new volumes get for ``[local] volume_backend``, and
    the loop backend (for existing loop volumes, whatever new ones get).

    :returns: ``(new volumes' backend, LoopVolumes)``.
    """
    loop = LoopVolumes(runner)
    if backend == DIRECTORY:
        LOG.info('Local volumes are plain directories ([local] '
                 'volume_backend = directory): their size is not enforced')
        return DirectoryVolumes(), loop
    usable, why = loop_usable()
    if backend == LOOP or usable:
        LOG.info('Local volumes are ext4 images on loop devices, of the '
                 'size asked for')
        return loop, loop
    LOG.warning('Local volumes are plain directories, their size not '
                'enforced: %s ([local] volume_backend = auto)', why)
    return DirectoryVolumes(), loop
