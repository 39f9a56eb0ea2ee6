"""Where backups are kept: the interface of a storage plugin.

A storage plugin (namespace ``[backup] storage_namespace``, name
``[backup] storage_driver``; ``local`` and ``swift`` ship) keeps opaque
byte streams. It neither compresses nor checksums: the stream it is handed
is compressed and hashed on the way (``guestagent/streams.py``), so every
plugin gets the same checks on restore. It never stages a stream whole on
local disk.

The guest agent and the taskmanager (which deletes backups, and checks
that a backup's object exists before a restore) both build plugins, from
the ``storage`` part of a backup's description, which the taskmanager
writes::

    {'driver': 'local', 'path': '/var/lib/trove-lite/backups'}
    {'driver': 'swift', 'container': 'database_backups',
     'storage_url': 'http://…/v1/AUTH_…', 'auth_token': '…'}

so the guest holds no credentials of its own: a Swift token for the one
operation at most.
"""

import abc

from trove_lite.common import exception


class Storage(metaclass=abc.ABCMeta):
    """One storage backend, configured for one operation.

    :param options: the ``storage`` dict above (the driver's own keys).
    """

    #: The plugin's name (``[backup] storage_driver``).
    name = None

    def __init__(self, options):
        self.options = dict(options or {})

    @abc.abstractmethod
    def save(self, name, reader):
        """Store what ``reader`` yields under ``name``.

        :param name: the object's name, unique per backup
            (``<backup id>.<extension>``).
        :param reader: a binary file-like object; ``read(n)`` until it
            returns ``b''``.
        :returns: ``{'location': <str>, 'size': <bytes stored>}``; the
            location is what ``open`` and ``delete`` take, and what the
            API shows as ``locationRef``.
        :raises: exception.BackupStorageError naming the backend and why
            (the backend is down, refused the credentials, ran out of
            space). Nothing is left under ``name`` after a failure.
        """

    @abc.abstractmethod
    def open(self, location):
        """The stored stream at ``location``, for reading.

        :returns: a binary file-like object with ``read(n)`` and
            ``close()``; a context manager.
        :raises: exception.BackupFileNotFound when nothing is stored
            there; exception.BackupStorageError otherwise.
        """

    @abc.abstractmethod
    def exists(self, location):
        """Whether something is stored at ``location``.

        :raises: exception.BackupStorageError when the backend cannot
            tell (down, credentials refused).
        """

    @abc.abstractmethod
    def delete(self, location):
        """Remove what is stored at ``location`` (every segment of it).

        Nothing stored there is not an error: a delete can be repeated.

        :raises: exception.BackupStorageError when the backend refuses.
        """

    # -- small named objects (published guest logs) -------------------------
    #
    # Not abstract: a plugin without them still stores backups, and a
    # guest log publish through it fails with this message.

    def put_object(self, name, data, metadata=None, delete_after=None):
        """Store ``data`` (bytes) as object ``name`` of the container.

        :param name: may hold ``/`` (a prefix), never ``..``.
        :param metadata: ``{key: str}`` kept with the object (Swift's
            ``X-Object-Meta-<key>``).
        :param delete_after: seconds until the backend may delete it;
            None or 0 to keep it.
        :raises: exception.BackupStorageError.
        """
        raise self._no_objects()

    def list_objects(self, prefix):
        """Names of the container's objects that start with ``prefix``.

        :raises: exception.BackupStorageError.
        """
        raise self._no_objects()

    def delete_object(self, name):
        """Remove object ``name``; a missing one is not an error.

        :raises: exception.BackupStorageError.
        """
        raise self._no_objects()

    def _no_objects(self):
        return exception.BackupStorageError(
            storage=self.name, reason='this storage plugin keeps backups '
            'only, not published logs.')
