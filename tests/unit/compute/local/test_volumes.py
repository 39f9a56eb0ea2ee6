"""The local driver's volumes: loop volumes' commands (a fake host that
answers them), directories, and how the driver uses them."""

import os

import pytest

from trove_lite.compute import base
from trove_lite.compute.local import driver as local_driver
from trove_lite.compute.local import volumes


class FakeHost:
    """What ``losetup``, ``mkfs.ext4``, ``mount`` and ``umount`` would do,
    kept in dicts; ``fail`` names a command (its first two words) that
    fails.
    """

    def __init__(self):
        self.commands = []
        self.attached = {}
        self.mounted = {}
        self.fail = None

    def run(self, argv):
        self.commands.append(argv)
        if self.fail and ' '.join(argv).startswith(self.fail):
            return 32, '%s: failed' % argv[0]
        name = argv[0]
        if argv[:2] == ['losetup', '-j']:
            return 0, '\n'.join('%s: []: (%s)' % (device, image)
                                for device, image in self.attached.items()
                                if image == argv[2])
        if argv[:3] == ['losetup', '-f', '--show']:
            device = '/dev/loop%d' % len(self.attached)
            self.attached[device] = argv[3]
            return 0, device + '\n'
        if argv[:2] == ['losetup', '-d']:
            del self.attached[argv[2]]
        elif name == 'mount':
            self.mounted[argv[2]] = argv[1]
        elif name == 'umount':
            del self.mounted[argv[1]]
        return 0, ''

    def is_mount(self, path):
        return path in self.mounted


@pytest.fixture
def host():
    return FakeHost()


@pytest.fixture
def loop(host):
    return volumes.LoopVolumes(runner=host.run, is_mount=host.is_mount)


def test_a_loop_volume_is_an_image_of_its_size_mounted(tmp_path, host,
                                                       loop):
    image, data = str(tmp_path / 'v' / 'i1.img'), str(tmp_path / 'data')
    loop.create(image, data, 2)
    assert os.path.getsize(image) == 2 * volumes.GB
    # Sparse: nothing written but the filesystem would be.
    assert os.stat(image).st_blocks * 512 < volumes.GB
    assert ['mkfs.ext4', '-q', '-F', '-m', '0', image] in host.commands
    assert host.mounted == {data: '/dev/loop0'}
    assert host.attached == {'/dev/loop0': image}
    assert os.stat(data).st_mode & 0o777 == 0o700


def test_extending_grows_the_image_and_tells_its_device(tmp_path, host,
                                                        loop):
    image, data = str(tmp_path / 'i1.img'), str(tmp_path / 'data')
    loop.create(image, data, 1)
    loop.extend(image, 3)
    assert os.path.getsize(image) == 3 * volumes.GB
    assert host.commands[-1] == ['losetup', '-c', '/dev/loop0']


def test_removing_unmounts_detaches_and_deletes(tmp_path, host, loop):
    image, data = str(tmp_path / 'i1.img'), str(tmp_path / 'data')
    loop.create(image, data, 1)
    loop.remove(image, data)
    assert host.mounted == {} and host.attached == {}
    assert not os.path.exists(image) and not os.path.exists(data)
    # Gone already is fine.
    loop.remove(image, data)


def test_a_create_that_fails_leaves_nothing_attached(tmp_path, host, loop):
    image, data = str(tmp_path / 'i1.img'), str(tmp_path / 'data')
    host.fail = 'mount'
    with pytest.raises(base.ComputeError) as caught:
        loop.create(image, data, 1)
    assert 'mount /dev/loop0' in str(caught.value)
    assert host.mounted == {} and host.attached == {}
    assert not os.path.exists(image)


def test_mounting_again_after_a_reboot(tmp_path, host, loop):
    image, data = str(tmp_path / 'i1.img'), str(tmp_path / 'data')
    loop.create(image, data, 1)
    assert not loop.mount(image, data)
    # A reboot: nothing attached, nothing mounted.
    host.attached.clear()
    host.mounted.clear()
    assert loop.mount(image, data)
    assert host.mounted == {data: '/dev/loop0'}


def test_directories_enforce_nothing(tmp_path):
    directories = volumes.DirectoryVolumes()
    data = str(tmp_path / 'data')
    directories.create('unused.img', data, 5)
    assert os.path.isdir(data)
    directories.extend('unused.img', 6)
    assert not directories.mount('unused.img', data)
    directories.remove('unused.img', data)
    assert not os.path.exists(data)


def test_the_option_chooses_and_auto_looks_at_the_host(monkeypatch):
    new, loop = volumes.choose(volumes.DIRECTORY)
    assert isinstance(new, volumes.DirectoryVolumes)
    assert isinstance(loop, volumes.LoopVolumes)
    assert isinstance(volumes.choose(volumes.LOOP)[0], volumes.LoopVolumes)
    monkeypatch.setattr(volumes, 'loop_usable',
                        lambda: (False, 'this process is not root'))
    assert isinstance(volumes.choose(volumes.AUTO)[0],
                      volumes.DirectoryVolumes)
    monkeypatch.setattr(volumes, 'loop_usable', lambda: (True, None))
    assert isinstance(volumes.choose(volumes.AUTO)[0], volumes.LoopVolumes)


# -- the driver with loop volumes -------------------------------------------

class Launcher:
    separate_process = False

    def __init__(self):
        self.started = {}

    def start(self, instance_id, path):
        self.started[instance_id] = path

    def stop(self, instance_id):
        self.started.pop(instance_id, None)

    def running(self, instance_id):
        return instance_id in self.started


@pytest.fixture
def loop_driver(tmp_path, override, loop):
    override('instances_path', str(tmp_path / 'instances'), group='local')
    override('volumes_path', str(tmp_path / 'volumes'), group='local')
    override('address_range', '127.77.0.0/29', group='local')
    override('volume_backend', volumes.LOOP, group='local')
    return local_driver.LocalDriver(launcher=Launcher(),
                                    volumes=(loop, loop))


def _spec(row, flavor):
    return base.ServerSpec(
        name='db', flavor=base.flavor_of(flavor),
        files={base.GUEST_INFO_PATH: '[DEFAULT]\nguest_id = %s\n' % row.id})


def test_the_driver_mounts_extends_and_removes_loop_volumes(
        ctx, tmp_path, host, loop_driver, new_instance, flavor):
    row = new_instance()
    loop_driver.create_volume(ctx, row, base.VolumeSpec(1))
    data = str(tmp_path / 'instances' / row.id / 'data')
    image = str(tmp_path / 'volumes' / ('%s.img' % row.id))
    assert host.mounted == {data: '/dev/loop0'}
    loop_driver.create_server(ctx, row, _spec(row, flavor))
    assert loop_driver.extend_volume(ctx, row, row.id, 2).size == 2
    assert os.path.getsize(image) == 2 * volumes.GB
    # The server goes first: its directory cannot while mounted.
    loop_driver.delete_server(ctx, row)
    assert host.mounted == {} and host.attached == {'/dev/loop0': image}
    assert not os.path.exists(tmp_path / 'instances' / row.id)
    loop_driver.delete_volume(ctx, row, row.id)
    assert host.attached == {} and not os.path.exists(image)


def test_adopting_mounts_the_volume_first(ctx, tmp_path, host, loop_driver,
                                          new_instance, flavor):
    row = new_instance()
    loop_driver.create_volume(ctx, row, base.VolumeSpec(1))
    loop_driver.create_server(ctx, row, _spec(row, flavor))
    loop_driver.launcher.stop(row.id)
    host.attached.clear()
    host.mounted.clear()
    instances_data = str(tmp_path / 'instances' / row.id / 'data')
    assert loop_driver.adopt_server(ctx, row)
    assert host.mounted == {instances_data: '/dev/loop0'}
    # A volume that cannot be mounted: its agent is not started.
    loop_driver.launcher.stop(row.id)
    host.mounted.clear()
    host.fail = 'mount'
    assert not loop_driver.adopt_server(ctx, row)
    assert not loop_driver.launcher.running(row.id)


def test_auto_falls_back_to_a_directory_when_a_loop_volume_fails(
        ctx, tmp_path, host, loop, override, new_instance):
    override('instances_path', str(tmp_path / 'instances'), group='local')
    override('volumes_path', str(tmp_path / 'volumes'), group='local')
    override('volume_backend', volumes.AUTO, group='local')
    driver = local_driver.LocalDriver(launcher=Launcher(),
                                      volumes=(loop, loop))
    host.fail = 'mkfs.ext4'
    row = new_instance()
    driver.create_volume(ctx, row, base.VolumeSpec(1))
    data = tmp_path / 'instances' / row.id / 'data'
    assert data.is_dir() and host.mounted == {}
    # ``loop`` says so instead.
    override('volume_backend', volumes.LOOP, group='local')
    with pytest.raises(base.ComputeError):
        driver.create_volume(ctx, new_instance(), base.VolumeSpec(1))
