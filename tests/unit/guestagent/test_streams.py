"""The backup pipeline with the real compressors (zstd, gzip)."""

import fcntl
import hashlib
import io
import os
import subprocess
import threading

import pytest

from trove_lite.common import exception
from trove_lite.guestagent import streams

# Incompressible, and larger than a pipe's buffer many times over, so
# that every process in a pipeline blocks when nobody reads.
DATA = os.urandom(3 * 1024 * 1024) + b'tail' * 1000


def _compress(data, compressor='zstd', **kwargs):
    stream = streams.CompressedStream(io.BytesIO(data), compressor, **kwargs)
    stored = stream.reader.read()
    return stored, stream.finish()


def _restored(stored, result, compressor, **kwargs):
    """``verified_stream`` of ``stored``, which ``_compress`` returned
    with ``result``.
    """
    return streams.verified_stream(io.BytesIO(stored), compressor,
                                   result['checksum'], result['size'],
                                   **kwargs)


def _pipe_reader(data, endless=False):
    """An unbuffered pipe (``io.FileIO``) fed with ``data`` by a thread
    (again and again until the pipe breaks when ``endless``).
    """
    read_fd, write_fd = os.pipe()

    def feed():
        try:
            with open(write_fd, 'wb') as handle:
                handle.write(data)
                while endless:
                    handle.write(data)
        except BrokenPipeError as err:
            writer.error = err
    writer = threading.Thread(target=feed, daemon=True)
    writer.error = None
    writer.start()
    return io.FileIO(read_fd, 'rb'), writer


@pytest.mark.parametrize('compressor', sorted(streams.COMPRESSORS))
def test_round_trip(compressor):
    stored, result = _compress(DATA, compressor)
    assert result == {'checksum': hashlib.md5(stored).hexdigest(),
                      'size': len(stored)}
    assert len(result['checksum']) == 32
    with _restored(stored, result, compressor) as raw:
        assert isinstance(raw, io.FileIO)
        assert raw.readall() == DATA


def test_a_pipe_is_handed_to_the_compressor_itself():
    reader, writer = _pipe_reader(DATA)
    stream = streams.CompressedStream(reader, 'gzip')
    assert stream._pump is None
    assert reader.closed
    stored = stream.reader.read()
    result = stream.finish()
    writer.join()
    assert writer.error is None
    assert result['size'] == len(stored)
    assert subprocess.run(['gzip', '-d', '-c'], input=stored,
                          capture_output=True).stdout == DATA


def test_the_compressors_pipes_are_unbuffered_and_large():
    # NOTE(throughput): a buffered reader made each 1 MiB read of the
    # compressed stream a loop of 64 KiB reads into a fresh buffer; with
    # a 64 KiB pipe the compressor stopped whenever storage was busy.
    stream = streams.CompressedStream(io.BytesIO(DATA), 'zstd')
    try:
        for pipe in (stream._tool.stdin, stream._tool.stdout):
            assert isinstance(pipe, io.FileIO)
            assert fcntl.fcntl(pipe.fileno(),
                               fcntl.F_GETPIPE_SZ) == streams.PIPE_SIZE
    finally:
        stream.abort()


class _ShortWriter:
    """A writer that takes at most three bytes a call, as an unbuffered
    pipe may after a signal.
    """

    def __init__(self):
        self.written = bytearray()

    def write(self, data):
        self.written += data[:3]
        return len(data[:3])


def test_write_all_writes_what_a_short_write_left():
    writer = _ShortWriter()
    streams.write_all(writer, b'0123456789')
    assert writer.written == b'0123456789'


def test_progress_sees_the_bytes_as_they_flow():
    seen = []
    stored, result = _compress(DATA, on_read=seen.append, chunk_size=4096)
    assert seen and seen == sorted(seen)
    assert seen[-1] == result['size'] == len(stored)


def test_a_failing_compressor_names_itself_and_its_output(monkeypatch):
    monkeypatch.setitem(streams.COMPRESSORS, 'broken', (
        ['sh', '-c', 'cat >/dev/null; echo out of cheese >&2; exit 3'],
        ['cat'], 'x'))
    stream = streams.CompressedStream(io.BytesIO(DATA), 'broken')
    stream.reader.read()
    with pytest.raises(exception.GuestError) as caught:
        stream.finish()
    assert 'sh exited with code 3: out of cheese' in str(caught.value)
    assert stream._tool.process.returncode == 3


def test_an_unknown_compressor():
    with pytest.raises(exception.GuestError) as caught:
        streams.CompressedStream(io.BytesIO(b''), 'lzma')
    assert 'gzip, zstd' in str(caught.value)


def test_storage_that_stops_reading_fails_the_backup():
    stream = streams.CompressedStream(io.BytesIO(DATA), 'gzip')
    stream.reader.read(10)
    with pytest.raises(exception.GuestError) as caught:
        stream.finish()
    assert 'stopped reading the stream after 10 bytes' in str(caught.value)
    assert stream._tool.process.poll() is not None
    assert not stream._pump.is_alive()


def test_a_failing_producer_fails_the_backup():
    class Broken(io.RawIOBase):
        def readable(self):
            return True

        def read(self, size=-1):
            raise OSError('disk on fire')

    stream = streams.CompressedStream(Broken(), 'zstd')
    stream.reader.read()
    with pytest.raises(exception.GuestError) as caught:
        stream.finish()
    assert 'disk on fire' in str(caught.value)


def test_abort_ends_the_compressor():
    reader, writer = _pipe_reader(DATA, endless=True)
    stream = streams.CompressedStream(reader, 'zstd')
    stream.reader.read(100)
    stream.abort()
    assert stream._tool.process.poll() is not None
    # The producer is told (EPIPE) instead of blocking on a full pipe.
    writer.join()
    assert isinstance(writer.error, BrokenPipeError)


def _damaged(data, how):
    if how == 'flipped':
        middle = len(data) // 2
        return data[:middle] + bytes([data[middle] ^ 0xff]) + data[middle + 1:]
    return data[:len(data) - 1000]


@pytest.mark.parametrize('how', ['flipped', 'truncated'])
@pytest.mark.parametrize('compressor', sorted(streams.COMPRESSORS))
def test_a_damaged_object_is_a_checksum_mismatch(compressor, how):
    stored, result = _compress(DATA, compressor)
    damaged = io.BytesIO(_damaged(stored, how))
    with pytest.raises(exception.BackupChecksumMismatch) as caught:
        with streams.verified_stream(damaged, compressor, result['checksum'],
                                     result['size'], backup_id='b-1') as raw:
            raw.readall()
    message = str(caught.value)
    assert message.startswith('backup checksum mismatch: backup b-1')
    assert result['checksum'] in message
    assert damaged.closed


def test_the_mismatch_wins_over_the_consumers_error():
    stored, result = _compress(DATA, 'gzip')
    with pytest.raises(exception.BackupChecksumMismatch):
        with _restored(_damaged(stored, 'truncated'), result,
                       'gzip') as raw:
            # A tool that gives up half way, e.g. on a truncated archive.
            raw.read(1000)
            raise exception.GuestError(message='mbstream: broken pipe')


def test_a_consumers_error_on_a_sound_object_is_raised_as_is():
    stored, result = _compress(DATA, 'zstd')
    with pytest.raises(exception.GuestError) as caught:
        with _restored(stored, result, 'zstd') as raw:
            raw.read(1000)
            raise exception.GuestError(message='disk full')
    assert str(caught.value) == 'disk full'


def test_a_consumer_that_stops_early_fails_the_restore():
    stored, result = _compress(DATA, 'zstd')
    with pytest.raises(exception.GuestError) as caught:
        with _restored(stored, result, 'zstd') as raw:
            raw.read(1000)
    assert 'zstd' in str(caught.value)


def test_a_stream_the_decompressor_cannot_read():
    garbage = b'not zstd at all' * 100
    with pytest.raises(exception.GuestError) as caught:
        with streams.verified_stream(
                io.BytesIO(garbage), 'zstd',
                hashlib.md5(garbage).hexdigest(), len(garbage)) as raw:
            raw.readall()
    assert 'zstd exited with code 1' in str(caught.value)


def test_the_consumer_may_hand_the_stream_to_a_process():
    stored, result = _compress(DATA, 'zstd')
    with _restored(stored, result, 'zstd', chunk_size=8192) as raw:
        digest = subprocess.run(['md5sum'], stdin=raw, capture_output=True,
                                check=True).stdout.split()[0].decode()
    assert digest == hashlib.md5(DATA).hexdigest()


def test_restore_progress_counts_stored_bytes():
    stored, result = _compress(DATA, 'gzip')
    seen = []
    with _restored(stored, result, 'gzip', on_read=seen.append) as raw:
        raw.readall()
    assert seen[-1] == len(stored)


def test_tool_reports_a_missing_program():
    with pytest.raises(exception.GuestError) as caught:
        streams.Tool(['/nonexistent/tool'], 'the tool')
    assert 'Cannot run the tool' in str(caught.value)
