"""What the strategies that restore files (RESTORE_FILES) share.

Such a strategy writes the instance's data directory while its server is
stopped, from a single full backup, and must read its stream to the end:
the runner checks the stream's checksum and size when the reader reaches
its end, so a restore that stops at the format's own end marker (a tar's
zero blocks) would never be checked.
"""

from trove_lite.common import exception

DRAIN_CHUNK = 1024 * 1024


def single_full(chain, strategy):
    """The ``(open_stream, metadata)`` of a chain that must hold one full
    backup.

    :raises: exception.GuestError for an empty chain or one with
        incrementals, which ``strategy`` never writes.
    """
    if len(chain) != 1:
        raise exception.GuestError(
            message='The %s strategy restores one full backup; it was given '
                    'a chain of %d.' % (strategy, len(chain)))
    return chain[0]


def require_stopped(manager, strategy):
    """:raises: exception.GuestError when the instance's server runs (a
    restore of files would write under it).
    """
    pid = manager._live_pid()
    if pid is not None:
        raise exception.GuestError(
            message='%s of instance %s runs (pid %s); the %s strategy '
                    'restores its files only while it is stopped.' % (
                        manager.SERVER_NAME, manager.info.guest_id, pid,
                        strategy))


def drain(reader):
    """Read ``reader`` to its end; how many bytes were left."""
    left = 0
    while True:
        chunk = reader.read(DRAIN_CHUNK)
        if not chunk:
            return left
        left += len(chunk)
