"""Running strategies as the backup runner will: what the strategy tests
share.

``take`` drains a backup's reader into a binary file (the runner
compresses and stores it instead) and returns ``finish()``'s metadata;
``chain`` turns ``(data or path, metadata)`` pairs into a restore's
``[(open_stream, metadata)]``.
"""

import contextlib
import io

from trove_lite.guestagent.strategies.backup import base

CHUNK = 64 * 1024


def take(strategy, sink, parent=None, chunk=CHUNK):
    """Back up through ``strategy`` into ``sink`` (a binary file);
    the backup's metadata.
    """
    stream = strategy.backup(parent)
    try:
        while True:
            data = stream.reader.read(chunk)
            if not data:
                break
            sink.write(data)
    except BaseException:
        stream.abort()
        raise
    return stream.finish()


def take_bytes(strategy, parent=None, chunk=CHUNK):
    """``take`` into memory: ``(bytes, metadata)``."""
    sink = io.BytesIO()
    metadata = take(strategy, sink, parent, chunk)
    return sink.getvalue(), metadata


def _opener(source):
    @contextlib.contextmanager
    def open_stream():
        if isinstance(source, bytes):
            reader = io.BytesIO(source)
        else:
            reader = open(source, 'rb')
        with reader:
            yield reader
    return open_stream


def chain(*backups):
    """``[(open_stream, metadata)]`` of ``(bytes or file path,
    metadata)`` pairs, oldest first.
    """
    return [(_opener(source), metadata) for source, metadata in backups]


def prepare_from_backup(manager, strategy, chain, memory_mb=256):
    """Prepare a ``ServerManager``'s new instance from a backup as the
    runner does for a RESTORE_FILES strategy: the steps of
    ``ServerManager.prepare``, with the restore in place of initialising
    the data, then the start, the agent's own objects and the record.
    """
    assert strategy.restore_stage == base.RESTORE_FILES
    manager._check_host()
    run_as = manager._run_as()
    manager._make_dirs(run_as)
    manager._write_config(memory_mb, run_as)
    strategy.restore(chain)
    manager.start_db()
    manager._create_tenant_objects([], [], None)
    manager.mark_prepared(None)
