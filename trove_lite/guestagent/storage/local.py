"""The ``local`` storage plugin: one file per backup in a directory.

The embedded default: the directory (``[backup] local_storage_path``,
sent as ``path`` in the storage description) is on the host that runs
both the agents and the taskmanager. A backup is written to a hidden
temporary file beside its final name and renamed when complete, so a
failed or interrupted save leaves nothing a restore could mistake for a
backup. A location is the file's absolute path; it comes back from the
database, so every operation refuses one outside the directory.
"""

import os
import tempfile

from trove_lite.common import exception
from trove_lite.guestagent.storage import base

CHUNK_SIZE = 1024 * 1024


class LocalStorage(base.Storage):
    """Backups as files in ``options['path']``.

    :raises: exception.BackupStorageError when no path is given.
    """

    name = 'local'

    def __init__(self, options):
        super().__init__(options)
        path = self.options.get('path')
        if not path:
            raise exception.BackupStorageError(
                storage=self.name, reason='no directory ("path") is set; '
                'set [backup] local_storage_path.')
        self.path = os.path.realpath(path)

    def _error(self, reason):
        return exception.BackupStorageError(
            storage='%s (%s)' % (self.name, self.path), reason=reason)

    def _file(self, location):
        """The file of ``location``, which must lie in the directory."""
        if not isinstance(location, str) or not location:
            raise self._error('invalid location %r' % (location,))
        real = os.path.realpath(location)
        if os.path.dirname(real) != self.path:
            raise self._error('location %s is outside the backup directory'
                              % location)
        return real

    def save(self, name, reader):
        if not name or os.sep in name or name.startswith('.'):
            raise self._error('invalid object name %r' % (name,))
        try:
            os.makedirs(self.path, mode=0o700, exist_ok=True)
            fd, temporary = tempfile.mkstemp(prefix='.%s.' % name,
                                             suffix='.part', dir=self.path)
        except OSError as err:
            raise self._error('cannot write in the directory: %s' % err)
        size = 0
        try:
            with os.fdopen(fd, 'wb') as handle:
                while True:
                    data = reader.read(CHUNK_SIZE)
                    if not data:
                        break
                    handle.write(data)
                    size += len(data)
                handle.flush()
                os.fsync(handle.fileno())
            target = os.path.join(self.path, name)
            os.replace(temporary, target)
        except OSError as err:
            _remove(temporary)
            raise self._error('cannot write %s: %s' % (name, err))
        except BaseException:
            _remove(temporary)
            raise
        return {'location': target, 'size': size}

    def open(self, location):
        path = self._file(location)
        try:
            return open(path, 'rb')
        except FileNotFoundError:
            raise exception.BackupFileNotFound(location=location)
        except OSError as err:
            raise self._error('cannot read %s: %s' % (location, err))

    def exists(self, location):
        return os.path.isfile(self._file(location))

    def delete(self, location):
        path = self._file(location)
        try:
            os.remove(path)
        except FileNotFoundError:
            pass
        except OSError as err:
            raise self._error('cannot delete %s: %s' % (location, err))


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass
