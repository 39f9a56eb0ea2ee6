"""Taking a backup and restoring a chain of them, on the guest.

The runner between a datastore's strategy plugin (which only makes and
consumes a raw stream, ``strategies/backup/base.py``), the compressing
and checksumming pipeline (``streams.py``) and a storage plugin
(``storage/``). Every strategy gets the same treatment from it:

* a backup streams from the strategy's tool through the compressor into
  storage; its md5, size, compressor and the strategy's own metadata are
  what the control plane records. Any failure stops the tool, removes
  what was stored and raises an error that says what failed;
* a restore opens each backup of the chain (full first) as a stream that
  is checked against the recorded md5 and size as it is read, and hands
  them to the strategy whose name the full backup recorded.

The descriptions come from the taskmanager (plain dicts, as they travel
over RPC)::

    backup_info = {'id', 'instance_id', 'backup_type': 'full' |
                   'incremental', 'storage': {'driver', ...},
                   'parent': None | {'id', 'location', 'checksum',
                                     'size', 'metadata'}}
    restore_info = {'chain': [{'id', 'location', 'checksum', 'size',
                               'backup_type', 'metadata', 'storage'}]}
"""

import threading

from oslo_config import cfg
from oslo_log import log as logging

from trove_lite.common import exception
from trove_lite.common import plugins
from trove_lite.conf import datastores as datastores_conf
from trove_lite.guestagent import storage as backup_storage
from trove_lite.guestagent.strategies.backup import base as strategy_base
from trove_lite.guestagent import streams

LOG = logging.getLogger(__name__)

STEP_BACKUP = 'backup'
STEP_STORE = 'store'
STEP_RESTORE = 'restore'


def _options(manager):
    name = manager.info.datastore_manager
    options = datastores_conf.options_for(cfg.CONF, name)
    if options is None:
        raise exception.DatastoreOperationNotSupported(
            operation='backup', datastore=name)
    return name, options


def _unsupported(manager, operation):
    return exception.DatastoreOperationNotSupported(
        operation=operation, datastore=manager.info.datastore_manager)


def backup_strategy(manager, backup_type=strategy_base.FULL, parent=None):
    """The strategy that takes a ``backup_type`` backup on ``manager``.

    :raises: exception.DatastoreOperationNotSupported when the datastore
        has no such strategy configured, the strategy takes no
        incremental backups, or the parent was written by another
        strategy; plugins.PluginNotFound when it is not installed.
    """
    datastore, options = _options(manager)
    incremental = backup_type == strategy_base.INCREMENTAL
    option = ('backup_incremental_strategy' if incremental
              else 'backup_strategy')
    name = getattr(options, option)
    if not name:
        raise _unsupported(manager, '%s backup' % backup_type)
    if incremental:
        recorded = ((parent or {}).get('metadata') or {}).get('strategy')
        if recorded != name:
            raise _unsupported(
                manager, 'incremental backup (by %s) on a parent written by '
                '%s' % (name, recorded))
    strategy = plugins.load(options.backup_namespace, name,
                            option='[%s] %s' % (datastore, option),
                            args=(manager,))
    if incremental and not strategy.incremental:
        raise _unsupported(manager, 'incremental backup (by %s)' % name)
    return name, strategy


def restore_strategy(manager, chain):
    """The strategy that restores ``chain``: the one the full backup
    recorded, from ``[<manager>] restore_namespace``.

    :raises: exception.BackupCreationError for an empty chain or one
        without a recorded strategy; plugins.PluginNotFound.
    """
    datastore, options = _options(manager)
    if not chain:
        raise exception.BackupCreationError(reason='nothing to restore.')
    name = (chain[0].get('metadata') or {}).get('strategy')
    return plugins.load(options.restore_namespace, name,
                        option='the strategy recorded with backup %s '
                               '([%s] restore_namespace)'
                               % (chain[0].get('id'), datastore),
                        args=(manager,))


def _object_name(backup_info, strategy_name, compressor):
    return '%s.%s.%s' % (backup_info['id'], strategy_name,
                         streams.extension(compressor))


def _reporter(progress, step, total=None):
    if progress is None:
        return None

    def on_read(done):
        progress.update(step=step, bytes_done=done, bytes_total=total)
    return on_read


def take_backup(manager, backup_info, progress=None, cancel=None):
    """Stream a backup of ``manager``'s datastore into storage.

    :param manager: the instance's datastore manager.
    :param backup_info: see the module's docstring.
    :param progress: a ``progress.ProgressReporter``, or None.
    :param cancel: a ``threading.Event``; once set, the tool and the
        compressor are stopped, and what was stored is removed
        (exception.BackupCancelled).
    :returns: ``{'location', 'checksum' (md5 hex of what is stored),
        'size' (bytes stored), 'backup_type', 'metadata': {'strategy',
        'compressor', the strategy's own keys}}``.
    :raises: exception.DatastoreOperationNotSupported (see
        ``backup_strategy``); exception.GuestError naming the tool that
        failed, its exit code and the tail of its output;
        exception.BackupStorageError from storage. Nothing stays stored
        after a failure.
    """
    backup_type = backup_info.get('backup_type') or strategy_base.FULL
    parent = backup_info.get('parent')
    if backup_type == strategy_base.INCREMENTAL and not parent:
        raise exception.BackupCreationError(
            reason='an incremental backup needs a parent.')
    name, strategy = backup_strategy(manager, backup_type, parent)
    store = backup_storage.load(backup_info['storage'])
    compressor = cfg.CONF.backup.compressor
    object_name = _object_name(backup_info, name, compressor)
    if progress is not None:
        progress.update(step=STEP_BACKUP, bytes_done=0, force=True)
    stream = strategy.backup(
        parent['metadata'] if backup_type == strategy_base.INCREMENTAL
        else None)
    try:
        compressed = streams.CompressedStream(
            stream.reader, compressor, cfg.CONF.backup.chunk_size,
            on_read=_reporter(progress, STEP_BACKUP))
    except Exception:
        stream.abort()
        raise
    watcher = _Canceller(cancel, stream, compressed)
    try:
        stored = store.save(object_name, compressed.reader)
    except BaseException:
        stream.abort()
        compressed.abort()
        watcher.stop()
        _raise_if_cancelled(cancel, backup_info)
        raise
    watcher.stop()
    try:
        metadata = _finish(stream, compressed, stored)
        _raise_if_cancelled(cancel, backup_info)
    except BaseException:
        _delete(store, stored['location'])
        _raise_if_cancelled(cancel, backup_info)
        raise
    if progress is not None:
        progress.done(step=STEP_STORE)
    LOG.info('Backup %s (%s) of instance %s stored at %s: %s bytes',
             backup_info['id'], backup_type, manager.info.guest_id,
             stored['location'], metadata['size'])
    return {'location': stored['location'],
            'checksum': metadata['checksum'], 'size': metadata['size'],
            'backup_type': backup_type,
            'metadata': dict(metadata['strategy_metadata'], strategy=name,
                             compressor=compressor)}


class _Canceller:
    """Stops a backup's tool and compressor when ``cancel`` is set, from
    a thread of its own (storage is blocked reading their output).
    """

    def __init__(self, cancel, *ends):
        self._cancel = cancel
        self._done = threading.Event()
        self._ends = ends
        self._thread = None
        if cancel is not None:
            self._thread = threading.Thread(target=self._watch, daemon=True,
                                            name='backup-cancel')
            self._thread.start()

    def _watch(self):
        while not self._done.is_set():
            if self._cancel.wait(0.2):
                for end in self._ends:
                    try:
                        end.abort()
                    except Exception:
                        LOG.exception('Cannot stop a cancelled backup')
                return

    def stop(self):
        self._done.set()
        if self._thread is not None:
            self._thread.join()


def _raise_if_cancelled(cancel, backup_info):
    if cancel is not None and cancel.is_set():
        raise exception.BackupCancelled(backup_id=backup_info['id'])


def _finish(stream, compressed, stored):
    """Both ends' outcome once storage has read the whole stream.

    :raises: exception.GuestError saying what failed (the tool, the
        compressor, or both).
    """
    errors = []
    strategy_metadata = {}
    try:
        strategy_metadata = stream.finish() or {}
    except exception.TroveLiteError as err:
        errors.append(err)
    except Exception as err:
        errors.append(exception.GuestError(message=str(err)))
    result = {}
    try:
        result = compressed.finish()
    except exception.TroveLiteError as err:
        errors.append(err)
    if errors:
        if len(errors) == 1:
            raise errors[0]
        raise exception.GuestError(
            message='; '.join(str(err) for err in errors))
    if stored.get('size') not in (None, result['size']):
        raise exception.BackupStorageError(
            storage=stored.get('location'),
            reason='it stored %s bytes of a %s byte stream'
                   % (stored['size'], result['size']))
    result['strategy_metadata'] = strategy_metadata
    return result


def _delete(store, location):
    try:
        store.delete(location)
    except Exception as err:
        LOG.error('Cannot remove the failed backup at %s: %s', location, err)


def stream_opener(element, progress=None, step=STEP_RESTORE):
    """A callable opening the raw, checked stream of one stored backup.

    :param element: a chain element (module docstring).
    :returns: ``open_stream()``, a context manager yielding the raw
        stream (``streams.verified_stream``).
    :raises: exception.BackupFileNotFound and
        exception.BackupStorageError from storage (when opened);
        exception.BackupChecksumMismatch when the block ends.
    """
    def open_stream():
        store = backup_storage.load(element['storage'])
        metadata = element.get('metadata') or {}
        stored = store.open(element['location'])
        return streams.verified_stream(
            stored, metadata.get('compressor', 'zstd'), element['checksum'],
            element['size'], backup_id=element.get('id', ''),
            chunk_size=cfg.CONF.backup.chunk_size,
            on_read=_reporter(progress, step, element['size']))
    return open_stream


def restore(manager, restore_info, progress=None, strategy=None):
    """Restore ``manager``'s datastore from a chain of backups.

    Called by the datastore's ``prepare`` at the strategy's
    ``restore_stage`` (``strategy`` is then the one it already loaded
    with ``restore_strategy``).

    :param restore_info: ``{'chain': [...]}``, the full backup first.
    :raises: what ``restore_strategy`` and the strategy's ``restore``
        raise; exception.BackupChecksumMismatch for a damaged object.
    """
    chain = restore_info.get('chain') or []
    if strategy is None:
        strategy = restore_strategy(manager, chain)
    elements = [(stream_opener(element, progress), element.get('metadata')
                 or {}) for element in chain]
    LOG.info('Restoring instance %s from backup %s (%s in the chain)',
             manager.info.guest_id, chain[-1].get('id'), len(chain))
    strategy.restore(elements)
    if progress is not None:
        progress.done(step=STEP_RESTORE)
