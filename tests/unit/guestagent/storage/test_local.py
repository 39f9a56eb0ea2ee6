"""The ``local`` storage plugin."""

import io
import os

import pytest

from trove_lite.common import exception
from trove_lite.common import plugins
from trove_lite.guestagent import storage
from trove_lite.guestagent.storage import local


@pytest.fixture
def store(tmp_path):
    return local.LocalStorage({'driver': 'local',
                               'path': str(tmp_path / 'backups')})


def test_save_open_exists_delete(store, tmp_path):
    data = os.urandom(3 * local.CHUNK_SIZE + 17)
    stored = store.save('b-1.mariabackup.zst', io.BytesIO(data))
    location = stored['location']
    assert stored['size'] == len(data)
    assert location == str(tmp_path / 'backups' / 'b-1.mariabackup.zst')
    assert store.exists(location)
    with store.open(location) as handle:
        assert handle.read() == data
    store.delete(location)
    assert not store.exists(location)
    # A delete can be repeated.
    store.delete(location)


def test_a_failed_save_leaves_nothing(store, tmp_path):
    class Failing(io.RawIOBase):
        calls = 0

        def readable(self):
            return True

        def read(self, size=-1):
            self.calls += 1
            if self.calls > 2:
                raise RuntimeError('the stream broke')
            return b'x' * 100

    with pytest.raises(RuntimeError):
        store.save('b-2.zst', Failing())
    assert os.listdir(tmp_path / 'backups') == []


def test_a_write_error_is_a_storage_error(tmp_path):
    # /dev/full answers every write with ENOSPC.
    target = tmp_path / 'full'
    target.mkdir()
    store = local.LocalStorage({'path': str(target)})
    real_fdopen = os.fdopen

    def full(fd, mode):
        os.close(fd)
        return real_fdopen(os.open('/dev/full', os.O_WRONLY), mode)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(local.os, 'fdopen', full)
        with pytest.raises(exception.BackupStorageError) as caught:
            store.save('b-3.zst', io.BytesIO(b'y' * 100000))
    assert 'No space left' in str(caught.value)
    assert os.listdir(target) == []


@pytest.mark.parametrize('location', [
    '/etc/passwd', '../backups-other/x', '', None])
def test_locations_outside_the_directory_are_refused(store, location):
    for operation in (store.open, store.exists, store.delete):
        with pytest.raises(exception.BackupStorageError):
            operation(location)


def test_a_symlink_out_of_the_directory_is_refused(store, tmp_path):
    os.makedirs(store.path)
    link = os.path.join(store.path, 'evil')
    os.symlink('/etc/passwd', link)
    with pytest.raises(exception.BackupStorageError):
        store.open(link)


@pytest.mark.parametrize('name', ['../x', '.hidden', '', 'a/b'])
def test_bad_object_names_are_refused(store, name):
    with pytest.raises(exception.BackupStorageError):
        store.save(name, io.BytesIO(b''))


def test_open_of_a_missing_file(store):
    with pytest.raises(exception.BackupFileNotFound):
        store.open(os.path.join(store.path, 'gone.zst'))


def test_without_a_path():
    with pytest.raises(exception.BackupStorageError) as caught:
        local.LocalStorage({'driver': 'local'})
    assert 'local_storage_path' in str(caught.value)


def test_load_builds_the_named_driver(tmp_path):
    built = storage.load({'driver': 'local', 'path': str(tmp_path)})
    assert isinstance(built, local.LocalStorage)
    assert built.path == os.path.realpath(str(tmp_path))


def test_load_of_an_unknown_driver(tmp_path):
    with pytest.raises(plugins.PluginNotFound) as caught:
        storage.load({'driver': 'tape'})
    message = str(caught.value)
    assert '[backup] storage_driver' in message and 'local' in message
    with pytest.raises(exception.BackupStorageError):
        storage.load({})
