"""The ``swift`` storage plugin and ``backup_storage.describe`` against a
real Swift (``swift_service``: proxy with tempauth and SLO, account,
container and object servers started by the tests).

``[backup] segment_max_size`` is set to its minimum, 1 MiB, so that a few
MiB make a segmented (SLO) object.
"""

import hashlib
import random
import uuid

import pytest

from tests.functional import fixtures
from trove_lite.common import backup_storage
from trove_lite.common import exception
from trove_lite import conf
from trove_lite.guestagent import storage as storage_plugins

CONF = conf.CONF
MIB = 1024 * 1024
SEGMENTS = '_segments'


class Generated:
    """A stream of ``size`` pseudo-random bytes, made as it is read.

    :ivar largest_read: the most bytes one ``read`` asked for.
    :ivar fail_after: raise ``OSError`` once this many bytes were read.
    """

    def __init__(self, size, seed=0, fail_after=None):
        self._random = random.Random(seed)
        self._left = size
        self._read = 0
        self.fail_after = fail_after
        self.largest_read = 0
        self.md5 = hashlib.md5(usedforsecurity=False)

    def read(self, size=-1):
        self.largest_read = max(self.largest_read, size)
        if self.fail_after is not None and self._read >= self.fail_after:
            raise OSError('the backup program died')
        size = min(size, self._left)
        data = self._random.randbytes(size)
        self._left -= size
        self._read += size
        self.md5.update(data)
        return data


@pytest.fixture(autouse=True)
def small_segments():
    CONF.set_override('segment_max_size', MIB, group='backup')
    CONF.set_override('chunk_size', 64 * 1024, group='backup')
    yield
    CONF.clear_override('segment_max_size', group='backup')
    CONF.clear_override('chunk_size', group='backup')


@pytest.fixture
def container():
    return 'backups-%s' % uuid.uuid4().hex[:8]


@pytest.fixture
def description(swift_service, container):
    storage_url, token = swift_service.token()
    return {'driver': 'swift', 'container': container,
            'storage_url': storage_url, 'auth_token': token}


@pytest.fixture
def storage(description):
    return storage_plugins.load(description)


def names(swift_service, container):
    """Object names in ``container`` ([] when it does not exist)."""
    conn = swift_service.connection()
    try:
        return [entry['name'] for entry in
                conn.get_container(container, full_listing=True)[1]]
    except Exception as err:
        if getattr(err, 'http_status', None) == 404:
            return []
        raise


def read_all(reader):
    digest = hashlib.md5(usedforsecurity=False)
    size = 0
    with reader:
        while True:
            data = reader.read(100 * 1000)
            if not data:
                return digest.hexdigest(), size
            digest.update(data)
            size += len(data)


def test_large_stream_is_segmented_and_reads_back(swift_service, storage,
                                                  container):
    size = 3 * MIB + 12345
    stream = Generated(size, seed=1)

    saved = storage.save('b1.xbstream.zst', stream)

    assert saved == {'size': size, 'location': '%s/%s/b1.xbstream.zst' % (
        swift_service.storage_url, container)}
    assert names(swift_service, container) == ['b1.xbstream.zst']
    segments = swift_service.connection().get_container(
        container + SEGMENTS)[1]
    assert [(s['name'], s['bytes']) for s in segments] == [
        ('b1.xbstream.zst/00000001', MIB), ('b1.xbstream.zst/00000002', MIB),
        ('b1.xbstream.zst/00000003', MIB),
        ('b1.xbstream.zst/00000004', 12345)]
    conn = swift_service.connection()
    headers = conn.head_object(container, 'b1.xbstream.zst')
    assert headers.get('x-static-large-object') == 'True'
    # Streamed: the stream was never asked for more than one chunk.
    assert stream.largest_read <= CONF.backup.chunk_size
    assert read_all(storage.open(saved['location'])) == (
        stream.md5.hexdigest(), size)
    assert storage.exists(saved['location'])


@pytest.mark.parametrize('size', [0, 1000, MIB])
def test_stream_of_one_segment_is_one_object(swift_service, storage,
                                             container, size):
    stream = Generated(size, seed=2)

    saved = storage.save('b2.sql.gz', stream)

    assert saved['size'] == size
    assert names(swift_service, container) == ['b2.sql.gz']
    assert names(swift_service, container + SEGMENTS) == []
    headers = swift_service.connection().head_object(container, 'b2.sql.gz')
    assert 'x-static-large-object' not in headers
    assert int(headers['content-length']) == size
    assert read_all(storage.open(saved['location'])) == (
        stream.md5.hexdigest(), size)


def test_delete_removes_manifest_and_segments(swift_service, storage,
                                              container):
    saved = storage.save('b3.xbstream.zst', Generated(2 * MIB + 1, seed=3))
    other = storage.save('b30.xbstream.zst', Generated(MIB + 1, seed=4))
    assert len(names(swift_service, container + SEGMENTS)) == 5

    storage.delete(saved['location'])

    assert names(swift_service, container) == ['b30.xbstream.zst']
    assert names(swift_service, container + SEGMENTS) == [
        'b30.xbstream.zst/00000001', 'b30.xbstream.zst/00000002']
    assert not storage.exists(saved['location'])
    assert storage.exists(other['location'])
    # Nothing stored there is not an error.
    storage.delete(saved['location'])


def test_missing_object(storage, swift_service, container):
    location = '%s/%s/nothing.zst' % (swift_service.storage_url, container)

    with pytest.raises(exception.BackupFileNotFound) as caught:
        storage.open(location)

    assert location in str(caught.value)
    assert not storage.exists(location)
    storage.delete(location)


def test_unreachable_swift(swift_service, container):
    port = fixtures.free_port()
    storage = storage_plugins.load({
        'driver': 'swift', 'container': container,
        'storage_url': 'http://127.0.0.1:%d/v1/AUTH_test' % port,
        'auth_token': swift_service.token()[1]})

    with pytest.raises(exception.BackupStorageError) as caught:
        storage.save('b4.zst', Generated(10, seed=5))

    message = str(caught.value)
    assert 'Backup storage swift failed' in message
    assert container in message
    assert 'connection refused' in message
    assert '127.0.0.1:%d' % port in message
    with pytest.raises(exception.BackupStorageError):
        storage.exists('http://127.0.0.1:%d/v1/AUTH_test/%s/b4.zst' % (
            port, container))


def test_swift_refusing_mid_stream_leaves_nothing(swift_service):
    # NOTE(swift): a container name of 250 characters is valid, but its
    # segments container's (259) is not: Swift refuses it after the first
    # segment is stored, and that segment must go.
    container = 'c' * 250
    storage = storage_plugins.load({
        'driver': 'swift', 'container': container,
        'storage_url': swift_service.storage_url,
        'auth_token': swift_service.token()[1]})

    with pytest.raises(exception.BackupStorageError) as caught:
        storage.save('b5.zst', Generated(MIB + 10, seed=6))

    assert 'HTTP 400' in str(caught.value)
    assert container in str(caught.value)
    assert names(swift_service, container) == []
    swift_service.connection().delete_container(container)


def test_reader_failure_is_raised_as_is_and_leaves_nothing(
        swift_service, storage, container):
    stream = Generated(5 * MIB, seed=7, fail_after=2 * MIB + 64 * 1024)

    with pytest.raises(OSError, match='the backup program died'):
        storage.save('b6.zst', stream)

    assert names(swift_service, container) == []
    assert names(swift_service, container + SEGMENTS) == []


def test_refused_token(swift_service, container):
    storage = storage_plugins.load({
        'driver': 'swift', 'container': container,
        'storage_url': swift_service.storage_url,
        # NOTE(swift): a fernet token (the fixture's tempauth has no
        # memcached to look a legacy ``AUTH_tk`` token up in).
        'auth_token': 'AUTH_ftk' + uuid.uuid4().hex})

    with pytest.raises(exception.BackupStorageError) as caught:
        storage.save('b7.zst', Generated(10, seed=8))

    assert 'refused the token (HTTP 401)' in str(caught.value)


@pytest.fixture
def static_auth(swift_service):
    options = {'swift_auth': 'static', 'swift_auth_url': swift_service.auth_url,
               'swift_user': swift_service.user,
               'swift_key': swift_service.key, 'storage_driver': 'swift'}
    for name, value in options.items():
        CONF.set_override(name, value, group='backup')
    yield
    for name in options:
        CONF.clear_override(name, group='backup')


def test_describe_static(static_auth, swift_service, container):
    described = backup_storage.describe(None, container=container)

    assert described['driver'] == 'swift'
    assert described['container'] == container
    assert described['storage_url'] == swift_service.storage_url
    storage = storage_plugins.load(described)
    saved = storage.save('b8.zst', Generated(100, seed=9))
    assert names(swift_service, container) == ['b8.zst']
    assert read_all(storage.open(saved['location']))[1] == 100


def test_describe_static_default_container(static_auth):
    assert backup_storage.describe(None)['container'] == 'database_backups'


def test_describe_static_wrong_key(static_auth, swift_service):
    CONF.set_override('swift_key', 'wrong', group='backup')

    with pytest.raises(exception.BackupStorageError) as caught:
        backup_storage.describe(None)

    assert 'refused the credentials' in str(caught.value)
    assert swift_service.user in str(caught.value)
