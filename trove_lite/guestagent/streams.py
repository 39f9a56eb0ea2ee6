"""Backup streams on the fly: compression, checksums and sizes.

A backup is never staged whole on local disk. On the way out::

    strategy's raw reader -> compressor process -> Hashing reader -> storage

the storage plugin reads the compressed stream through ``HashingReader``,
which counts its bytes and computes their md5 as they pass; the md5 (hex)
and the size are what the backup records. On the way back::

    storage reader -> md5/size check -> decompressor process -> strategy

a pump thread copies the stored object into the decompressor, checking it
as it goes, and the strategy reads the decompressor's output. At the end
of the object a mismatch of either the md5 or the size raises
``exception.BackupChecksumMismatch``; it is what ``verified_stream``
raises when its block ends, whatever the strategy's tool made of the bad
bytes (a broken pipe, a truncated archive), since it is the cause.

Compressors are programs (``zstd``, ``gzip``), not Python libraries: they
run on another core, and a backup records which one wrote it, so changing
``[backup] compressor`` never breaks the restore of an older backup.
Processes are pumped by plain threads; every error path kills and reaps
them.
"""

import contextlib
import fcntl
import hashlib
import io
import os
import subprocess
import tempfile
import threading

from oslo_log import log as logging

from trove_lite.common import exception

LOG = logging.getLogger(__name__)

STDERR_TAIL_BYTES = 4096
DEFAULT_CHUNK_SIZE = 65536
# Kernel buffer of the pipes between us and a compressor (Linux's default
# is 64 KiB; 1 MiB is what an unprivileged process may ask for).
PIPE_SIZE = 1024 * 1024

# name: (compress command, decompress command, object name extension)
COMPRESSORS = {
    'zstd': (['zstd', '-q', '-1', '-T0', '-c'], ['zstd', '-q', '-d', '-c'],
             'zst'),
    'gzip': (['gzip', '-1', '-c'], ['gzip', '-d', '-c'], 'gz'),
}


def _compressor(name):
    try:
        return COMPRESSORS[name]
    except KeyError:
        raise exception.GuestError(
            message='Unknown backup compressor %r; known: %s.'
                    % (name, ', '.join(sorted(COMPRESSORS))))


def extension(compressor):
    """The object name extension of streams ``compressor`` writes."""
    return _compressor(compressor)[2]


class Tool:
    """A child process whose stderr is kept (in an unlinked temporary
    file, so a chatty tool never blocks on it) for the error message.

    :param command: the argument list.
    :param what: how messages name it (``'mariabackup'``).
    :param popen_args: more ``subprocess.Popen`` arguments (stdin,
        stdout, cwd, user...).
    :raises: exception.GuestError when it cannot be started.
    """

    def __init__(self, command, what=None, **popen_args):
        self.what = what or os.path.basename(command[0])
        self._stderr = tempfile.TemporaryFile()
        try:
            self.process = subprocess.Popen(
                command, stderr=self._stderr, close_fds=True, **popen_args)
        except OSError as err:
            self._stderr.close()
            raise exception.GuestError(
                message='Cannot run %s: %s' % (self.what, err))

    @property
    def stdin(self):
        return self.process.stdin

    @property
    def stdout(self):
        return self.process.stdout

    def tail(self, size=STDERR_TAIL_BYTES):
        """The last ``size`` bytes of its stderr, as text."""
        try:
            end = self._stderr.seek(0, os.SEEK_END)
            self._stderr.seek(max(0, end - size))
            return self._stderr.read().decode('utf-8', 'replace').strip()
        except (OSError, ValueError):
            return ''

    def wait(self, timeout=None):
        """Its exit code (closing our ends of its pipes first).

        :raises: subprocess.TimeoutExpired after ``timeout`` seconds.
        """
        for pipe in (self.process.stdin, self.process.stdout):
            _close(pipe)
        return self.process.wait(timeout)

    def error(self, code=None, reason=None):
        """A GuestError saying how it failed, with its stderr's tail."""
        if code is None:
            code = self.process.returncode
        how = reason or 'exited with code %s' % code
        tail = self.tail()
        return exception.GuestError(
            message='%s %s%s' % (self.what, how,
                                 (': %s' % tail) if tail else ''))

    def check(self):
        """Wait for it; :raises: exception.GuestError unless it
        succeeded.
        """
        code = self.wait()
        if code != 0:
            raise self.error(code)

    def kill(self):
        """Signal it to end if it still runs; never raises. Its pipes
        stay open (another thread may be using them).
        """
        try:
            if self.process.poll() is None:
                self.process.kill()
        except OSError:
            LOG.debug('Cannot kill %s', self.what, exc_info=True)

    def close(self, timeout=None):
        """Kill it if it still runs, reap it, release its pipes and its
        stderr file. Call once nothing else uses its pipes.

        :param timeout: how long to wait for it to go after the kill
            (None: as long as it takes); a process still there then is
            left unreaped and logged.
        """
        self.kill()
        try:
            self.wait(timeout)
        except subprocess.TimeoutExpired:
            LOG.warning('%s (pid %s) did not exit after SIGKILL', self.what,
                        self.process.pid)
        except OSError:
            LOG.debug('Cannot reap %s', self.what, exc_info=True)
        _close(self._stderr)


def _close(handle):
    if handle is None:
        return
    try:
        handle.close()
    except OSError:
        pass


def grow_pipe(handle, size=PIPE_SIZE):
    """Ask for a ``size`` byte kernel buffer on the pipe ``handle``
    (where the system allows it; else nothing changes).
    """
    setter = getattr(fcntl, 'F_SETPIPE_SZ', None)
    if setter is None or handle is None:
        return
    try:
        fcntl.fcntl(handle.fileno(), setter, size)
    except (OSError, ValueError):
        LOG.debug('Cannot grow a pipe to %s bytes', size, exc_info=True)


def _fileno(reader):
    """The descriptor behind ``reader`` when it is an unbuffered OS file
    or pipe (``io.FileIO``: a ``Popen(bufsize=0)`` stdout), else None.

    A buffered reader may hold bytes already taken from its descriptor,
    so it is always copied through Python.
    """
    if isinstance(reader, io.FileIO) and not reader.closed:
        return reader.fileno()
    return None


class HashingReader:
    """Reads ``reader``, counting the bytes and hashing them (md5).

    :param reader: a binary file-like object.
    :param on_read: called with the total byte count after each read.
    """

    def __init__(self, reader, on_read=None):
        self._reader = reader
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._on_read = on_read
        self.size = 0
        self.eof = False

    def read(self, size=-1):
        data = self._reader.read(size)
        if data:
            self._md5.update(data)
            self.size += len(data)
            if self._on_read is not None:
                self._on_read(self.size)
        if not data and size != 0 or size is None or size < 0:
            # An empty read, or one of everything, reached the end.
            self.eof = True
        return data

    @property
    def checksum(self):
        return self._md5.hexdigest()


def write_all(writer, data):
    """Write all of ``data`` to ``writer``, an unbuffered pipe or file
    too (whose ``write`` may take less than it was given).
    """
    view = memoryview(data)
    while view:
        view = view[writer.write(view):]


def _pump(reader, writer, chunk_size):
    """Copy ``reader`` to ``writer`` until EOF, then close ``writer``."""
    try:
        while True:
            data = reader.read(chunk_size)
            if not data:
                break
            write_all(writer, data)
    finally:
        _close(writer)


class _Pump(threading.Thread):
    """A thread running ``target``; keeps what it raised."""

    def __init__(self, name, target, *args):
        super().__init__(name=name, daemon=True)
        self._target_call = (target, args)
        self.error = None

    def run(self):
        target, args = self._target_call
        try:
            target(*args)
        except BaseException as err:
            self.error = err


class CompressedStream:
    """A raw stream compressed by ``compressor``, to be read by storage.

    Storage reads ``reader`` (a ``HashingReader``) until EOF; ``finish``
    then says whether everything went right and returns the checksum and
    size of what was read.

    :param raw: binary reader of the raw stream; when it is a plain pipe
        or file it becomes the compressor's stdin (no copy through
        Python) and is closed here.
    :param compressor: a name of ``COMPRESSORS``.
    :param on_read: ``HashingReader``'s callback (progress).
    :raises: exception.GuestError when the compressor cannot start.
    """

    def __init__(self, raw, compressor, chunk_size=DEFAULT_CHUNK_SIZE,
                 on_read=None):
        self.compressor = compressor
        command = _compressor(compressor)[0]
        fd = _fileno(raw)
        self._pump = None
        # NOTE(throughput): our ends of the compressor's pipes are
        # unbuffered (a buffered read gathers a whole chunk in 64 KiB reads
        # into a new buffer each time) and the kernel's buffers large, so
        # that the compressor goes on while storage writes or hashes.
        if fd is not None:
            self._tool = Tool(command, stdin=fd, stdout=subprocess.PIPE,
                              bufsize=0)
            # NOTE(pipes): the compressor holds the pipe now; were ours
            # kept open, a producer whose compressor died would block on
            # a full pipe instead of failing with EPIPE.
            _close(raw)
        else:
            self._tool = Tool(command, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, bufsize=0)
            grow_pipe(self._tool.stdin)
            self._pump = _Pump('compress-%s' % compressor, _pump, raw,
                               self._tool.stdin, chunk_size)
            self._pump.start()
        grow_pipe(self._tool.stdout)
        self.reader = HashingReader(self._tool.stdout, on_read)

    def finish(self):
        """Wait for the compressor once storage has read everything.

        :returns: ``{'checksum': md5 hex, 'size': bytes}`` of the
            compressed stream.
        :raises: exception.GuestError when the compressor or the copy
            into it failed, or storage stopped reading before the end.
        """
        try:
            if not self.reader.eof:
                self.abort()
                raise exception.GuestError(
                    message='Backup storage stopped reading the stream '
                            'after %s bytes.' % self.reader.size)
            if self._pump is not None:
                self._pump.join()
            self._tool.check()
            if self._pump is not None and self._pump.error is not None:
                raise exception.GuestError(
                    message='Copying the backup stream to %s failed: %s'
                            % (self.compressor, self._pump.error))
        finally:
            self._tool.close()
        return {'checksum': self.reader.checksum, 'size': self.reader.size}

    def abort(self):
        """Kill the compressor (and so end the copy into it). The raw
        stream's producer must be stopped too (``BackupStream.abort``),
        or a copy waiting for its next bytes waits on.
        """
        self._tool.kill()
        if self._pump is not None:
            self._pump.join()
        self._tool.close()


class _VerifyingPump:
    """Copies a stored object into the decompressor, checking it.

    At EOF the object must have the recorded md5 and size; when it has
    not, the decompressor is killed instead of seeing a clean end, so the
    consumer never takes bad data for a complete stream. When the
    decompressor goes away early the rest of the object is still read,
    so that a damaged object is always told as such.
    """

    def __init__(self, stored, tool, expected, chunk_size, on_read):
        self.hasher = HashingReader(stored, on_read)
        self.tool = tool
        self.expected = expected
        self.chunk_size = chunk_size
        self.broken = None
        self.thread = _Pump('restore-pump', self._run)
        self.thread.start()

    def _run(self):
        writer = self.tool.stdin
        try:
            while True:
                data = self.hasher.read(self.chunk_size)
                if not data:
                    break
                write_all(writer, data)
        except (BrokenPipeError, ConnectionResetError) as err:
            self.broken = err
            while self.hasher.read(self.chunk_size):
                pass
        if not self.matches():
            self.tool.kill()
        _close(writer)

    def matches(self):
        """Whether the object, read to its end, is what was recorded."""
        checksum, size = self.expected
        return (self.hasher.eof and self.hasher.checksum == checksum
                and self.hasher.size == size)


@contextlib.contextmanager
def verified_stream(stored, compressor, checksum, size, backup_id='',
                    chunk_size=DEFAULT_CHUNK_SIZE, on_read=None):
    """The raw stream of a stored backup, for a strategy to read.

    Yields the decompressor's stdout, unbuffered (``io.FileIO``: a
    strategy may hand it to its tool as stdin). When the block ends every
    process is reaped and the whole stored object has been checked.

    :param stored: binary reader of the stored object (closed here).
    :param compressor: the name the backup recorded.
    :param checksum: the md5 (hex) recorded; ``size`` its byte count.
    :param on_read: called with the stored bytes read so far.
    :raises: exception.BackupChecksumMismatch when the object differs
        from what was recorded, instead of whatever the body raised (the
        damage is the cause); exception.GuestError when reading the
        object or the decompressor failed, or the body stopped reading
        before the end of the stream.
    """
    try:
        tool = Tool(_compressor(compressor)[1], stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE, bufsize=0)
    except exception.GuestError:
        _close(stored)
        raise
    grow_pipe(tool.stdin)
    grow_pipe(tool.stdout)
    pump = _VerifyingPump(stored, tool, (checksum, int(size)), chunk_size,
                          on_read)
    failed = None
    try:
        yield tool.stdout
    except BaseException as err:
        failed = err
    # NOTE(pipes): our read end goes first: a consumer that stopped early
    # leaves the decompressor blocked on a full pipe otherwise.
    _close(tool.stdout)
    code = tool.process.wait()
    pump.thread.join()
    _close(stored)
    tool.close()
    if pump.hasher.eof and not pump.matches():
        raise exception.BackupChecksumMismatch(
            backup_id=backup_id, expected='%s (%s bytes)' % (checksum, size),
            actual=pump.hasher.checksum, size=pump.hasher.size)
    if failed is not None:
        raise failed
    if pump.thread.error is not None:
        raise exception.GuestError(
            message='Reading backup %s from storage failed: %s'
                    % (backup_id, pump.thread.error))
    if code != 0:
        if pump.broken is not None:
            raise tool.error(code, reason='stopped (code %s) before the end '
                             'of backup %s: it was not read to its end'
                             % (code, backup_id))
        raise tool.error(code)
