"""The ``local`` storage plugin: one file per backup in a directory.

The embedded default: the directory (``[backup] local_storage_path``,
sent as ``path`` in the storage description) is on the host that runs
both the agents and the taskmanager. A backup is written to a hidden
temporary file beside its final name and renamed when complete, so a
failed or interrupted save leaves nothing a restore could mistake for a
backup. A location is the file's absolute path; it comes back from the
database, so every operation refuses one outside the directory.
"""

import json
import os
import tempfile

from trove_lite.common import exception
from trove_lite.guestagent.storage import base

CHUNK_SIZE = 1024 * 1024
# Beside an object of a container, its metadata (``put_object``).
META_SUFFIX = '.meta.json'


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

    # -- small named objects (published guest logs) -------------------------
    #
    # Objects live in ``<path>/<container>/<name>``; ``name`` may hold
    # directories (a log's prefix). Expiry is not enforced here: a local
    # directory has no reaper, and discarding the log removes them.
    def _object_file(self, name):
        container = self.options.get('container') or ''
        root = os.path.realpath(os.path.join(self.path, container))
        if (not isinstance(name, str) or not name or name.startswith('/')
                or '..' in name.split('/') or name.endswith(META_SUFFIX)):
            raise self._error('invalid object name %r' % (name,))
        target = os.path.realpath(os.path.join(root, name))
        if not target.startswith(root + os.sep):
            raise self._error('object %s is outside the container' % name)
        return root, target

    def put_object(self, name, data, metadata=None, delete_after=None):
        _root, target = self._object_file(name)
        try:
            os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
            for path, content in ((target + META_SUFFIX,
                                   json.dumps(metadata or {}).encode()),
                                  (target, data)):
                temporary = path + '.part'
                with open(temporary, 'wb') as handle:
                    handle.write(content)
                os.replace(temporary, path)
        except OSError as err:
            raise self._error('cannot write %s: %s' % (name, err))

    def list_objects(self, prefix):
        container = self.options.get('container') or ''
        root = os.path.realpath(os.path.join(self.path, container))
        names = []
        for directory, _dirs, files in os.walk(root):
            for filename in files:
                if filename.endswith((META_SUFFIX, '.part')):
                    continue
                name = os.path.relpath(os.path.join(directory, filename),
                                       root)
                if name.startswith(prefix):
                    names.append(name)
        return sorted(names)

    def delete_object(self, name):
        _root, target = self._object_file(name)
        for path in (target, target + META_SUFFIX):
            try:
                os.remove(path)
            except FileNotFoundError:
                pass
            except OSError as err:
                raise self._error('cannot delete %s: %s' % (name, err))

    def object_metadata(self, name):
        """The metadata ``put_object`` kept with ``name`` (tests and the
        operator read published logs this way).
        """
        _root, target = self._object_file(name)
        with open(target + META_SUFFIX) as handle:
            return json.load(handle)


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass
