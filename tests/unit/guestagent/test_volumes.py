"""Growing the filesystem of a volume (fake commands, a written
mount table)."""

import pytest

from trove_lite.common import exception
from trove_lite.guestagent import volumes

MOUNTINFO = (
    '22 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n'
    '45 22 7:0 / %(path)s rw,relatime - ext4 /dev/loop3 rw\n'
    '46 22 7:1 / /srv/with\\040space rw - ext4 /dev/loop4 rw\n')


class Commands:
    def __init__(self, codes=None):
        self.codes = codes or {}
        self.ran = []

    def __call__(self, argv):
        self.ran.append(argv)
        return self.codes.get(argv[0], 0), '%s said something' % argv[0]


@pytest.fixture
def mountinfo(tmp_path):
    data = tmp_path / 'data'
    data.mkdir()
    path = tmp_path / 'mountinfo'
    path.write_text(MOUNTINFO % {'path': data})
    return str(path), str(data)


def test_the_device_comes_from_the_mount_table(mountinfo, tmp_path):
    table, data = mountinfo
    assert volumes.mounted_device(data, table) == '/dev/loop3'
    assert volumes.mounted_device('/srv/with space', table) == '/dev/loop4'
    assert volumes.mounted_device(str(tmp_path), table) is None
    assert volumes.mounted_device(data, str(tmp_path / 'none')) is None


def test_online_first(mountinfo):
    table, data = mountinfo
    commands = Commands()
    filesystem = volumes.Filesystem(data, commands, table)
    assert filesystem.grow_online(filesystem.device())
    assert commands.ran == [['resize2fs', '/dev/loop3']]


def test_offline_unmounts_checks_grows_and_mounts(mountinfo):
    table, data = mountinfo
    commands = Commands({'e2fsck': 1})
    filesystem = volumes.Filesystem(data, commands, table)
    filesystem.grow_offline('/dev/loop3')
    assert commands.ran == [['umount', data],
                            ['e2fsck', '-f', '-p', '/dev/loop3'],
                            ['resize2fs', '/dev/loop3'],
                            ['mount', '/dev/loop3', data]]


def test_a_failed_offline_grow_mounts_again(mountinfo):
    table, data = mountinfo
    commands = Commands({'resize2fs': 1})
    filesystem = volumes.Filesystem(data, commands, table)
    assert not filesystem.grow_online('/dev/loop3')
    with pytest.raises(exception.GuestError) as caught:
        filesystem.grow_offline('/dev/loop3')
    assert 'resize2fs /dev/loop3 failed (1)' in str(caught.value)
    assert commands.ran[-1] == ['mount', '/dev/loop3', data]


def test_a_busy_mount_is_tried_again(mountinfo, monkeypatch):
    table, data = mountinfo
    monkeypatch.setattr(volumes, 'UMOUNT_RETRY_DELAY', 0)
    answers = iter([(32, 'target is busy'), (0, '')])
    ran = []

    def runner(argv):
        ran.append(argv[0])
        return next(answers) if argv[0] == 'umount' else (0, '')

    volumes.Filesystem(data, runner, table).grow_offline('/dev/loop3')
    assert ran == ['umount', 'umount', 'e2fsck', 'resize2fs', 'mount']
