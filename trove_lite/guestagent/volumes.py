"""Growing the filesystem of an instance's volume after a resize.

The data directory is either a plain directory (nothing to grow: its size
is only what usage is reported against) or the mount point of a block
device holding an ext4 filesystem: a Cinder volume under Nova, a loop
device over an image file on the local driver. The compute driver grows
the device (``extend_volume``); the filesystem does not follow by itself.
``Filesystem.grow_online`` makes it span the device while it stays
mounted (``resize2fs`` on a mounted ext4), which some kernels or
containers refuse; ``grow_offline`` then does it the long way: unmounted,
checked (``e2fsck -f``), grown, mounted again, with the datastore's
server stopped by the caller.
"""

import os
import time

from oslo_log import log as logging

from trove_lite.common import exception
from trove_lite.common import utils

LOG = logging.getLogger(__name__)

MOUNTINFO = '/proc/self/mountinfo'
# ``umount`` of a directory that a scan (a heartbeat's usage count) has
# open for a moment says busy; it is tried again this many times.
UMOUNT_ATTEMPTS = 10
UMOUNT_RETRY_DELAY = 0.5


def _unescape(field):
    # mountinfo escapes spaces, tabs, newlines and backslashes as \ooo.
    return field.encode('latin-1').decode('unicode_escape')


def mounted_device(path, mountinfo=MOUNTINFO):
    """The source of the filesystem mounted on ``path`` (the last one, when
    mounts are stacked), or None when ``path`` is no mount point.
    """
    target = os.path.realpath(path)
    try:
        with open(mountinfo) as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    device = None
    for line in lines:
        fields = line.split()
        if len(fields) < 5 or '-' not in fields[5:]:
            continue
        separator = fields.index('-', 5)
        if _unescape(fields[4]) == target and len(fields) > separator + 2:
            device = _unescape(fields[separator + 2])
    return device


class Filesystem:
    """The filesystem mounted on a data directory.

    :param path: the data directory.
    :param runner: ``runner(argv) -> (code, output)``
        (``utils.run_command`` when None; tests give a fake).
    :param mountinfo: the mount table to read.
    """

    def __init__(self, path, runner=None, mountinfo=MOUNTINFO):
        self.path = path
        self.runner = runner or utils.run_command
        self.mountinfo = mountinfo

    def device(self):
        """The device mounted on the data directory; None for a plain
        directory (nothing to grow).
        """
        return mounted_device(self.path, self.mountinfo)

    def grow_online(self, device):
        """Make the mounted filesystem span ``device``; whether it could
        (False: the kernel refused an online resize; ``grow_offline``).
        """
        code, output = self.runner(['resize2fs', device])
        if code == 0:
            LOG.info('The filesystem on %s spans its device %s: %s',
                     self.path, device, output.splitlines()[-1:])
            return True
        LOG.info('Online resize of %s on %s refused (%s): %s; growing it '
                 'unmounted', device, self.path, code, output)
        return False

    def grow_offline(self, device):
        """Unmount, check, grow and mount again the filesystem of
        ``device`` (its server must be stopped).

        :raises: exception.GuestError when a step fails; the filesystem
            is mounted again whenever it can be.
        """
        self._unmount()
        try:
            code, output = self.runner(['e2fsck', '-f', '-p', device])
            # NOTE(volumes): 1 means errors were found and corrected.
            if code not in (0, 1):
                raise self._failed('e2fsck -f -p %s' % device, code, output)
            code, output = self.runner(['resize2fs', device])
            if code != 0:
                raise self._failed('resize2fs %s' % device, code, output)
        finally:
            self._mount(device)
        LOG.info('Grew the filesystem of %s on %s unmounted', device,
                 self.path)

    def _unmount(self):
        for attempt in range(UMOUNT_ATTEMPTS):
            code, output = self.runner(['umount', self.path])
            if code == 0:
                return
            if attempt + 1 < UMOUNT_ATTEMPTS:
                time.sleep(UMOUNT_RETRY_DELAY)
        raise self._failed('umount %s' % self.path, code, output)

    def _mount(self, device):
        code, output = self.runner(['mount', device, self.path])
        if code != 0:
            raise self._failed('mount %s %s' % (device, self.path), code,
                               output)

    @staticmethod
    def _failed(command, code, output):
        return exception.GuestError(
            message='%s failed (%s): %s' % (command, code, output))
