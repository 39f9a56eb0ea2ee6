"""Backups in OpenStack Swift, with a token handed over for one operation.

The plugin is built from the ``storage`` description the taskmanager
writes (``common/backup_storage.describe``)::

    {'driver': 'swift', 'container': 'database_backups',
     'storage_url': 'http://…/v1/AUTH_…', 'auth_token': '…'}

and talks to Swift with python-swiftclient, preauthenticated: the guest
holds no credentials, and a token that expires ends the operation with a
``BackupStorageError`` saying so.

How a stream is stored
----------------------
A stream is uploaded as it is read, in objects of at most ``[backup]
segment_max_size`` bytes, each sent with chunked transfer encoding (its
length is not known in advance), so nothing is held whole in memory or on
disk; only one chunk (``[backup] chunk_size``) is.

- A stream that fits in one segment is one object, ``<container>/<name>``.
- A longer one is a Static Large Object: its segments are
  ``<container>_segments/<name>/00000001``, ``…/00000002``, … (a container
  of their own, as the swift CLI keeps them, so that listing the backups'
  container shows one object per backup) and the manifest is
  ``<container>/<name>``. Swift checks each segment's MD5 against the
  manifest and serves the concatenation on GET.

The first segment is always uploaded to ``<container>/<name>``, as if
the stream were short: when more follows, Swift copies it (server side)
to the first segment's name and the upload goes on in the segments
container. So the common case, a backup smaller than a segment, costs no
copy, and a larger one costs the server-side copy of one segment.

A failure removes every object that the save had uploaded. The location
(the API's ``locationRef``, as upstream shows it) is the object's URL,
``<storage_url>/<container>/<name>``.
"""

import hashlib
import io
import json
import socket

from oslo_log import log as logging
import requests
from swiftclient import client as swift_client

from trove_lite.common import exception
from trove_lite import conf
from trove_lite.guestagent.storage import base

LOG = logging.getLogger(__name__)
CONF = conf.CONF

NAME = 'swift'
SEGMENTS_SUFFIX = '_segments'
SEGMENT_FORMAT = '%s/%08d'
# NOTE(swift): Swift's own default; a cluster that publishes
# ``slo.max_manifest_segments`` in /info overrides it.
DEFAULT_MAX_SEGMENTS = 1000
# Retries of one request (not of a streamed upload, which cannot be
# rewound), with their backoff in seconds.
RETRIES = 2
STARTING_BACKOFF = 0.5
# Seconds without a byte from Swift before a request fails.
TIMEOUT = 120

# What swiftclient raises when Swift refuses or cannot be reached.
SWIFT_ERRORS = (swift_client.ClientException,
                requests.exceptions.RequestException, OSError)


def _is_refused(err):
    while err is not None:
        if isinstance(err, ConnectionRefusedError):
            return True
        if 'Connection refused' in str(err):
            return True
        err = err.__cause__ or err.__context__
    return False


def explain(err, storage_url):
    """A sentence saying why a request to Swift at ``storage_url`` failed."""
    if isinstance(err, swift_client.ClientException) and err.http_status:
        status = err.http_status
        if status == 401:
            return ('Swift refused the token (HTTP 401): it expired or does '
                    'not belong to the account %s' % storage_url)
        if status == 403:
            return ('Swift forbids this token the request (HTTP 403) in the '
                    'account %s' % storage_url)
        if status == 507:
            return 'Swift is out of space (HTTP 507 Insufficient Storage)'
        return 'Swift answered HTTP %s %s: %s' % (
            status, err.http_reason or '', err.msg)
    if _is_refused(err):
        return ('cannot connect to Swift at %s: connection refused (is the '
                'proxy running and the storage URL right?)' % storage_url)
    if isinstance(err, (requests.exceptions.Timeout, socket.timeout)):
        return 'Swift at %s did not answer within %s s' % (storage_url,
                                                           TIMEOUT)
    if isinstance(err, requests.exceptions.ConnectionError):
        return 'cannot connect to Swift at %s: %s' % (storage_url, err)
    return '%s: %s' % (type(err).__name__, err)


def storage_error(err, storage_url, container):
    """The ``BackupStorageError`` for ``err`` on ``container``."""
    return exception.BackupStorageError(
        storage=NAME, reason='container %s: %s' % (
            container, explain(err, storage_url)))


class _Stream:
    """The stream being saved, handed out one segment at a time.

    Remembers an error the reader itself raised, so that a failing backup
    program is reported as what it is and not as a Swift failure (requests
    turns an ``OSError`` raised while sending a body into a connection
    error).
    """

    def __init__(self, reader, segment_size, chunk_size):
        self._reader = reader
        self.segment_size = segment_size
        self.chunk_size = chunk_size
        self._pending = b''
        self._eof = False
        self.error = None

    def take(self, size):
        """Up to ``size`` bytes; ``b''`` at the end of the stream."""
        if self._pending:
            data, self._pending = (self._pending[:size],
                                   self._pending[size:])
            return data
        if self._eof:
            return b''
        try:
            data = self._reader.read(size)
        except BaseException as err:
            self.error = err
            raise
        if not data:
            self._eof = True
        return data

    def at_end(self):
        """Whether nothing follows (reads ahead one chunk to tell)."""
        if self._pending:
            return False
        if not self._eof:
            self._pending = self.take(self.chunk_size)
        return not self._pending

    def segment(self):
        return _Segment(self)


class _Segment:
    """A file-like view of the next ``segment_size`` bytes of a stream,
    hashing what it hands out (Swift's ETag is the MD5 of the content).
    """

    def __init__(self, stream):
        self._stream = stream
        self.size = 0
        self._md5 = hashlib.md5(usedforsecurity=False)

    def read(self, size=-1):
        if size is None or size < 0:
            size = self._stream.chunk_size
        size = min(size, self._stream.segment_size - self.size)
        if size <= 0:
            return b''
        data = self._stream.take(size)
        self.size += len(data)
        self._md5.update(data)
        return data

    @property
    def etag(self):
        return self._md5.hexdigest()


class _ObjectReader(io.RawIOBase):
    """A stored object's body, as a binary file-like object.

    Swift's errors while reading (the connection dropped, a segment went
    missing) are ``BackupStorageError``.
    """

    def __init__(self, body, storage_url, container):
        super().__init__()
        self._body = body
        self._chunks = iter(body)
        self._buffer = b''
        self._storage_url = storage_url
        self._container = container

    def readable(self):
        return True

    def readinto(self, buffer):
        if not self._buffer:
            try:
                self._buffer = next(self._chunks, b'')
            except SWIFT_ERRORS as err:
                raise storage_error(err, self._storage_url,
                                    self._container) from err
        size = min(len(buffer), len(self._buffer))
        buffer[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size

    def close(self):
        if not self.closed:
            try:
                self._body.close()
            except SWIFT_ERRORS:
                LOG.debug('Closing a Swift response failed', exc_info=True)
        super().close()


class SwiftStorage(base.Storage):
    """Backups as objects (large ones as SLOs) in one Swift container.

    :param options: ``container``, ``storage_url`` and ``auth_token``.
    :raises: exception.BackupStorageError when one of them is missing.
    """

    name = NAME

    def __init__(self, options):
        super().__init__(options)
        missing = [key for key in ('container', 'storage_url', 'auth_token')
                   if not self.options.get(key)]
        if missing:
            raise exception.BackupStorageError(
                storage=NAME, reason='the storage description lacks %s' %
                ', '.join(missing))
        self.container = self.options['container']
        self.storage_url = self.options['storage_url'].rstrip('/')
        self._connections = {}

    def _connection(self, storage_url, retries=RETRIES):
        key = (storage_url, retries)
        if key not in self._connections:
            self._connections[key] = swift_client.Connection(
                preauthurl=storage_url,
                preauthtoken=self.options['auth_token'],
                retries=retries, starting_backoff=STARTING_BACKOFF,
                timeout=TIMEOUT)
        return self._connections[key]

    def _location(self, container, name):
        return '%s/%s/%s' % (self.storage_url, container, name)

    def _split(self, location):
        """``(storage_url, container, name)`` of a location."""
        prefix = self.storage_url + '/'
        if location.startswith(prefix):
            container, _sep, name = location[len(prefix):].partition('/')
            return self.storage_url, container, name
        # NOTE(swift): a location written under another storage URL (the
        # endpoint moved); backup names hold no slash.
        storage_url, container, name = location.rsplit('/', 2)
        return storage_url, container, name

    # -- save ---------------------------------------------------------------

    def save(self, name, reader):
        stream = _Stream(reader, CONF.backup.segment_max_size,
                         CONF.backup.chunk_size)
        uploaded = []
        try:
            size = self._upload(name, stream, uploaded)
        except BaseException as err:
            self._remove(uploaded)
            if stream.error is not None:
                raise stream.error
            if isinstance(err, SWIFT_ERRORS):
                raise storage_error(err, self.storage_url,
                                    self.container) from err
            raise
        return {'location': self._location(self.container, name),
                'size': size}

    def _put_segment(self, container, name, segment, uploaded):
        conn = self._connection(self.storage_url, retries=0)
        etag = conn.put_object(container, name, segment,
                               chunk_size=CONF.backup.chunk_size,
                               content_type='application/octet-stream')
        uploaded.append((container, name))
        if etag and etag.strip('"') != segment.etag:
            raise exception.BackupStorageError(
                storage=NAME, reason='container %s: Swift stored %s with '
                'MD5 %s, but %s was sent' % (container, name, etag,
                                             segment.etag))

    def _upload(self, name, stream, uploaded):
        conn = self._connection(self.storage_url)
        segments_container = self.container + SEGMENTS_SUFFIX
        conn.put_container(self.container)
        first = stream.segment()
        self._put_segment(self.container, name, first, uploaded)
        if stream.at_end():
            return first.size
        # NOTE(swift): more than one segment: the first object becomes
        # the first segment (a server-side copy) and the manifest
        # replaces it at the end.
        conn.put_container(segments_container)
        first_name = SEGMENT_FORMAT % (name, 1)
        conn.copy_object(self.container, name, destination='/%s/%s' % (
            segments_container, first_name))
        uploaded.append((segments_container, first_name))
        manifest = [self._entry(segments_container, first_name, first)]
        limit = self._max_segments(conn)
        while not stream.at_end():
            if len(manifest) >= limit:
                raise exception.BackupStorageError(
                    storage=NAME, reason='container %s: the stream needs '
                    'more than %d segments of %d bytes, the most a Swift '
                    'manifest may list here; raise [backup] '
                    'segment_max_size' % (self.container, limit,
                                          stream.segment_size))
            segment = stream.segment()
            segment_name = SEGMENT_FORMAT % (name, len(manifest) + 1)
            self._put_segment(segments_container, segment_name, segment,
                              uploaded)
            manifest.append(self._entry(segments_container, segment_name,
                                        segment))
        conn.put_object(self.container, name, json.dumps(manifest),
                        content_type='application/octet-stream',
                        query_string='multipart-manifest=put')
        return sum(entry['size_bytes'] for entry in manifest)

    @staticmethod
    def _entry(container, name, segment):
        return {'path': '/%s/%s' % (container, name), 'etag': segment.etag,
                'size_bytes': segment.size}

    @staticmethod
    def _max_segments(conn):
        try:
            info = conn.get_capabilities()
        except SWIFT_ERRORS:
            LOG.debug('Swift publishes no /info; assuming at most %d '
                      'segments', DEFAULT_MAX_SEGMENTS, exc_info=True)
            return DEFAULT_MAX_SEGMENTS
        return int(info.get('slo', {}).get('max_manifest_segments',
                                           DEFAULT_MAX_SEGMENTS))

    def _remove(self, uploaded):
        """Delete what a failed save uploaded; best effort (Swift may be
        what failed).
        """
        conn = self._connection(self.storage_url)
        for container, name in reversed(uploaded):
            try:
                conn.delete_object(container, name)
            except swift_client.ClientException as err:
                if err.http_status != 404:
                    LOG.warning('Could not remove %s/%s after a failed '
                                'backup upload: %s', container, name, err)
            except SWIFT_ERRORS as err:
                LOG.warning('Could not remove %s/%s after a failed backup '
                            'upload: %s', container, name, err)

    # -- open, exists, delete ----------------------------------------------

    def open(self, location):
        storage_url, container, name = self._split(location)
        conn = self._connection(storage_url)
        try:
            _headers, body = conn.get_object(
                container, name, resp_chunk_size=CONF.backup.chunk_size)
        except SWIFT_ERRORS as err:
            if getattr(err, 'http_status', None) == 404:
                raise exception.BackupFileNotFound(location=location)
            raise storage_error(err, storage_url, container) from err
        return _ObjectReader(body, storage_url, container)

    def exists(self, location):
        storage_url, container, name = self._split(location)
        try:
            self._connection(storage_url).head_object(container, name)
        except SWIFT_ERRORS as err:
            if getattr(err, 'http_status', None) == 404:
                return False
            raise storage_error(err, storage_url, container) from err
        return True

    def delete(self, location):
        storage_url, container, name = self._split(location)
        conn = self._connection(storage_url)
        segments_container = container + SEGMENTS_SUFFIX
        try:
            self._delete_object(conn, container, name)
            # NOTE(swift): the segments are deleted by listing them, not
            # by the manifest: a failed save or delete may have left some
            # that no manifest lists.
            for entry in self._segments(conn, segments_container, name):
                self._delete_object(conn, segments_container,
                                    entry['name'])
        except SWIFT_ERRORS as err:
            raise storage_error(err, storage_url, container) from err

    @staticmethod
    def _delete_object(conn, container, name):
        try:
            conn.delete_object(container, name)
        except swift_client.ClientException as err:
            if err.http_status != 404:
                raise

    @staticmethod
    def _segments(conn, container, name):
        try:
            _headers, listing = conn.get_container(
                container, prefix=name + '/', full_listing=True)
        except swift_client.ClientException as err:
            if err.http_status == 404:
                return []
            raise
        return listing

    # -- small named objects (published guest logs) -------------------------

    def put_object(self, name, data, metadata=None, delete_after=None):
        headers = {'X-Object-Meta-%s' % key: str(value)
                   for key, value in (metadata or {}).items()}
        if delete_after:
            headers['X-Delete-After'] = str(int(delete_after))
        conn = self._connection(self.storage_url)
        try:
            conn.put_container(self.container)
            conn.put_object(self.container, name, data, headers=headers,
                            content_type='text/plain')
        except SWIFT_ERRORS as err:
            raise storage_error(err, self.storage_url,
                                self.container) from err

    def list_objects(self, prefix):
        conn = self._connection(self.storage_url)
        try:
            _headers, listing = conn.get_container(
                self.container, prefix=prefix, full_listing=True)
        except swift_client.ClientException as err:
            if err.http_status == 404:
                return []
            raise storage_error(err, self.storage_url,
                                self.container) from err
        except SWIFT_ERRORS as err:
            raise storage_error(err, self.storage_url,
                                self.container) from err
        return [entry['name'] for entry in listing]

    def delete_object(self, name):
        conn = self._connection(self.storage_url)
        try:
            self._delete_object(conn, self.container, name)
        except SWIFT_ERRORS as err:
            raise storage_error(err, self.storage_url,
                                self.container) from err
