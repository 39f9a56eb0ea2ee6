"""``CommandStream``: a tool's stdout as a backup stream, and ``run``,
with real processes (``sh``).
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
    assert str(raised.value) == 'mytool exited with code 3: connection refused'


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
    assert stream.tool.process.returncode is not None
    assert stream.tool.process.returncode != 0
    assert stream.reader.closed


class _Leftovers(command.CommandStream):
    """Records what the hooks were called for."""

    def __init__(self, args, calls):
        self.calls = calls
        super().__init__(args, 'leftovers')

    def metadata(self):
        self.calls.append('metadata')
        return {'key': 'value'}

    def cleanup(self):
        self.calls.append('cleanup')


def test_metadata_comes_from_a_successful_tool_then_cleanup():
    calls = []
    stream = _Leftovers(['sh', '-c', 'echo data'], calls)
    assert _drain(stream) == b'data\n'
    assert stream.finish() == {'key': 'value'}
    assert calls == ['metadata', 'cleanup']


def test_a_failed_tool_has_no_metadata_but_is_cleaned_up():
    calls = []
    stream = _Leftovers(['sh', '-c', 'exit 1'], calls)
    _drain(stream)
    with pytest.raises(exception.GuestError, match='exited with code 1'):
        stream.finish()
    assert calls == ['cleanup']


def test_abort_and_a_failed_start_clean_up():
    calls = []
    _Leftovers(['sh', '-c', 'exec cat /dev/zero'], calls).abort()
    assert calls == ['cleanup']
    calls = []
    with pytest.raises(exception.GuestError, match='Cannot run leftovers'):
        _Leftovers(['/nonexistent/tool'], calls)
    assert calls == ['cleanup']


def test_run_waits_for_the_tool_and_names_its_failure():
    command.run(['sh', '-c', 'echo ignored'], 'quiet')
    with pytest.raises(exception.GuestError) as raised:
        command.run(['sh', '-c', 'echo "bad input" >&2; exit 4'], 'replay')
    assert str(raised.value) == 'replay exited with code 4: bad input'


def test_a_missing_tool_is_a_guest_error():
    with pytest.raises(exception.GuestError, match='Cannot run tool'):
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
