"""The interface of a backup strategy plugin.

A strategy knows one way of turning a datastore into a byte stream and
back: ``mariabackup --stream``, ``mysqldump``, ``pg_basebackup``,
``redis-cli --rdb``. It is a stevedore plugin of ``[<manager>]
backup_namespace`` (default ``trove_lite.guestagent.backup``),
named by ``[<manager>] backup_strategy``; a strategy someone else installs
under that namespace is picked by configuration alone. A backup is
restored by the strategy of the name recorded with it.

The strategy only produces and consumes the raw stream. Compression,
checksums, sizes, storage and progress are the runner's
(``guestagent/backups.py``), so every strategy gets them the same way and
none stages a stream on local disk.
"""

import abc

from trove_lite.common import exception

FULL = 'full'
INCREMENTAL = 'incremental'

# When a restore happens, relative to the server's first start:
#: the stream becomes the data directory, before the server starts
#: (physical backups: mariabackup, pg_basebackup, an RDB file).
RESTORE_FILES = 'files'
#: the stream is replayed into the started, freshly initialised server
#: (logical backups: mysqldump).
RESTORE_REPLAY = 'replay'


class BackupStrategy(metaclass=abc.ABCMeta):
    """One way of backing up and restoring one datastore.

    :param manager: the instance's datastore manager
        (``datastores.server.ServerManager`` for the real ones): its
        ``paths``, ``port``, ``info`` and helpers.
    """

    #: The plugin's name, recorded with each backup it writes.
    name = None
    #: Whether it can take an incremental backup from a parent's metadata.
    incremental = False
    #: RESTORE_FILES or RESTORE_REPLAY.
    restore_stage = RESTORE_FILES

    def __init__(self, manager):
        self.manager = manager

    def refuse_parent(self, parent_metadata):
        """What ``backup`` of a strategy without incrementals does first.

        :raises: exception.DatastoreOperationNotSupported when it was
            given a parent (the runner refuses such a backup before, this
            keeps a direct call from taking a full one instead).
        """
        if parent_metadata is not None:
            raise exception.DatastoreOperationNotSupported(
                operation='incremental backup (by %s)' % self.name,
                datastore=self.manager.info.datastore_manager)

    @abc.abstractmethod
    def backup(self, parent_metadata=None):
        """Start streaming a backup of the running datastore.

        :param parent_metadata: the parent's ``metadata`` for an
            incremental backup (the strategy's own keys, e.g. ``to_lsn``);
            None for a full one.
        :returns: a ``BackupStream``.
        :raises: exception.DatastoreOperationNotSupported for an
            incremental backup the strategy cannot take;
            exception.GuestError when the tool cannot start.
        """

    @abc.abstractmethod
    def restore(self, chain):
        """Restore the datastore from a chain of backups.

        Called with the server stopped and the data directory empty for
        RESTORE_FILES strategies, with the server running on freshly
        initialised data for RESTORE_REPLAY ones.

        :param chain: ``[(open_stream, metadata)]``, the full backup first
            and each incremental after its parent; ``open_stream()`` is a
            context manager yielding a binary reader of the raw
            (decompressed, checksum-verified as it is read) stream.
        :raises: exception.GuestError naming the tool and the tail of its
            output when it fails; exception.BackupChecksumMismatch from the
            reader.
        """


class BackupStream(metaclass=abc.ABCMeta):
    """A running backup: a reader of its raw bytes, then its outcome."""

    @property
    @abc.abstractmethod
    def reader(self):
        """Binary file-like object of the raw stream (``read(n)``)."""

    @abc.abstractmethod
    def finish(self):
        """Wait for the tool once the reader is drained.

        :returns: the metadata to record with the backup (JSON-able dict
            of the strategy's own keys, e.g. ``{'to_lsn': '1234'}``).
        :raises: exception.GuestError when the tool failed (its exit code
            and the tail of its output).
        """

    @abc.abstractmethod
    def abort(self):
        """Stop the tool (the stream could not be stored)."""
