"""Tests for the process helpers shared by the datastore managers."""

import os

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


def test_remove(tmp_path):
    target = tmp_path / 'f'
    target.write_text('x')
    process.remove(str(target))
    assert not target.exists()
    process.remove(str(target))
