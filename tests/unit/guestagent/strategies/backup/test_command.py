"""``CommandStream``: a tool's stdout as a backup stream, with real
processes (``sh``).
"""

import io
import sys

import pytest

from trove_lite.common import exception
from trove_lite.guestagent.strategies.backup import command
from trove_lite.guestagent.strategies.backup import files


def _drain(stream):
    data = b''
    while True:
        chunk = stream.reader.read(4096)
        if not chunk:
            return data
        data += chunk


def test_stdout_is_the_stream_and_stderr_stays_out_of_it():
    stream = command.CommandStream(
        ['sh', '-c', 'echo progress >&2; head -c 100000 /dev/zero'], 'zero')
    assert _drain(stream) == b'\0' * 100000
    assert stream.finish() == {}


def test_a_failed_tool_is_a_guest_error_with_its_stderr():
    stream = command.CommandStream(
        ['sh', '-c', 'echo partial; echo "connection refused" >&2; exit 3'],
        'mytool')
    assert _drain(stream) == b'partial\n'
    with pytest.raises(exception.GuestError) as raised:
        stream.finish()
    assert 'mytool failed with exit code 3' in str(raised.value)
    assert 'connection refused' in str(raised.value)


def test_a_chatty_tool_never_blocks_on_stderr():
    # More on stderr than a pipe holds, before any stdout.
    stream = command.CommandStream(
        [sys.executable, '-c',
         'import sys; sys.stderr.write("x" * 300000); print("done")'],
        'chatty')
    assert _drain(stream) == b'done\n'
    assert stream.finish() == {}


def test_abort_stops_the_tool():
    stream = command.CommandStream(['sh', '-c', 'exec cat /dev/zero'],
                                   'endless')
    assert stream.reader.read(10) == b'\0' * 10
    stream.abort()
    assert stream.wait() != 0


def test_a_missing_tool_is_a_guest_error():
    with pytest.raises(exception.GuestError, match='could not be started'):
        command.CommandStream(['/nonexistent/tool'], 'tool')
    with pytest.raises(exception.GuestError, match='install pkg'):
        command.require_binary(lambda name: None, 'tool', 'pkg')


def test_drain_reads_to_the_end():
    reader = io.BytesIO(b'x' * (files.DRAIN_CHUNK + 5))
    reader.read(3)
    assert files.drain(reader) == files.DRAIN_CHUNK + 2
    assert reader.read(1) == b''


def test_single_full_refuses_chains():
    assert files.single_full([('open', {})], 's') == ('open', {})
    for chain in ([], [('a', {}), ('b', {})]):
        with pytest.raises(exception.GuestError, match='one full backup'):
            files.single_full(chain, 's')
