"""Tests for the helpers of datastore servers run as host processes."""

import os

import pytest

from trove_lite.guestagent.datastores import process


def test_untraversable_parent(open_dir):
    closed = os.path.join(open_dir, 'closed')
    inner = os.path.join(closed, 'inner')
    os.makedirs(inner)
    os.chmod(closed, 0o700)
    nobody = 65534
    assert process.untraversable_parent(inner, nobody, [nobody]) == closed
    os.chmod(closed, 0o701)
    assert process.untraversable_parent(inner, nobody, [nobody]) is None
    owner = os.stat(closed).st_uid
    os.chmod(closed, 0o710)
    assert process.untraversable_parent(
        inner, nobody, [os.stat(closed).st_gid]) is None
    assert process.untraversable_parent(inner, owner, []) is None


def test_tail(tmp_path):
    log = tmp_path / 'log'
    log.write_text('\n'.join('line %d' % n for n in range(100)))
    assert process.tail(str(log), 3) == 'line 97\nline 98\nline 99'
    assert process.tail(str(tmp_path / 'missing')) == ''


def test_process_state():
    alive, cmdline = process.process_state(os.getpid())
    assert alive
    assert 'python' in cmdline or 'pytest' in cmdline
    assert process.process_state(2 ** 22 + 12345) == (False, '')


def test_find_binary():
    assert process.find_binary(['sh']) is not None
    assert process.find_binary(['no-such-binary-xyz'], extra_dirs=()) is None


@pytest.mark.parametrize('text, expected', [
    ('1234\n/srv/data\n', 1234), ('77', 77), ('', None), ('0\n', None),
    ('x\n', None)])
def test_read_pid(tmp_path, text, expected):
    path = tmp_path / 'pid'
    path.write_text(text)
    assert process.read_pid(str(path)) == expected


def test_read_pid_missing(tmp_path):
    assert process.read_pid(str(tmp_path / 'none')) is None


def test_remove_and_empty_directory(tmp_path):
    process.remove(str(tmp_path / 'none'))
    (tmp_path / 'sub').mkdir()
    (tmp_path / 'sub' / 'f').write_text('x')
    (tmp_path / 'g').write_text('y')
    os.symlink(str(tmp_path / 'sub'), str(tmp_path / 'link'))
    process.empty_directory(str(tmp_path))
    assert os.listdir(str(tmp_path)) == []


def test_run_to_end_returns_the_exit_code_and_passes_popen_arguments(
        tmp_path):
    out = tmp_path / 'out'
    with open(out, 'wb') as handle:
        code = process.run_to_end(
            ['sh', '-c', 'pwd; echo "$GREETING"; exit 3'], 30,
            stdout=handle, cwd=str(tmp_path),
            env={'GREETING': 'hello', 'PATH': os.environ['PATH']})
    assert code == 3
    assert out.read_text().split() == [str(tmp_path), 'hello']


def test_run_to_end_kills_a_command_past_its_timeout(tmp_path):
    pid_file = tmp_path / 'pid'
    code = process.run_to_end(
        ['sh', '-c', 'echo $$ > %s; exec sleep 60' % pid_file], 0.3)
    assert code == process.TIMED_OUT
    pid = int(pid_file.read_text())
    assert process.process_state(pid)[0] is False
