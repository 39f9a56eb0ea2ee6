"""The pure parts of the ``redis_rdb`` strategy: its command line, the
diskless transfer's EOF marker, and where a restore puts the RDB.
"""

import io

import pytest

from trove_lite.guestagent.datastores.redis import config as redis_config
from trove_lite.guestagent.datastores.redis import manager as redis_manager
from trove_lite.guestagent.strategies.backup import redis_rdb

MARKER = b'4e0367cbc2c3a44ed03a8bbb470d46c381a8236b'
# An RDB's end: the EOF opcode and an 8-byte checksum.
RDB = b'REDIS0010' + b'\x00payload' * 20 + b'\xff' + b'\x01' * 8


def test_backup_command_keeps_the_password_off_the_command_line():
    command = redis_rdb.backup_command('/usr/bin/redis-cli', '/i/run/sock')
    assert command == ['/usr/bin/redis-cli', '-s', '/i/run/sock', '--user',
                       'os_admin', '--no-auth-warning', '--rdb', '-']


def test_an_rdb_never_ends_like_a_marker():
    assert redis_rdb.is_eof_marker(MARKER)
    assert not redis_rdb.is_eof_marker(RDB[-40:])
    assert not redis_rdb.is_eof_marker(MARKER.upper())


def _read(data, size):
    reader = redis_rdb.TrailerTrimmingReader(
        io.BytesIO(data), redis_rdb.EOF_MARKER_SIZE, redis_rdb.is_eof_marker)
    out = b''
    while True:
        chunk = reader.read(size)
        assert size <= 0 or len(chunk) <= size
        if not chunk:
            assert reader.read(size) == b''
            return out, reader.trimmed
        out += chunk


@pytest.mark.parametrize('size', [1, 7, 39, 40, 41, 4096, -1])
def test_the_marker_after_the_rdb_is_dropped(size):
    assert _read(RDB + MARKER, size) == (RDB, MARKER)


@pytest.mark.parametrize('size', [1, 40, 4096, -1])
def test_an_rdb_with_a_length_is_passed_whole(size):
    assert _read(RDB, size) == (RDB, None)


def test_reading_nothing_reads_nothing():
    reader = redis_rdb.TrailerTrimmingReader(
        io.BytesIO(RDB + MARKER), redis_rdb.EOF_MARKER_SIZE,
        redis_rdb.is_eof_marker)
    assert reader.read(0) == b''
    assert reader.read() == RDB


def test_a_stream_shorter_than_a_marker_is_passed_whole():
    assert _read(b'REDIS', 3) == (b'REDIS', None)
    assert _read(b'', 3) == (b'', None)


def _directives(tmp_path, overrides=None):
    paths = redis_manager.Paths(str(tmp_path))
    text = redis_config.render(redis_config.settings(
        paths, '127.0.0.2', 6380, 256, overrides=overrides))
    (tmp_path / 'redis.conf').write_text(text)
    return redis_rdb.read_config(str(tmp_path / 'redis.conf'))


def test_read_config_reads_what_the_manager_renders(tmp_path):
    directives = _directives(tmp_path, {'dbfilename': 'my dump.rdb'})
    assert directives['dir'] == str(tmp_path / 'data')
    assert directives['appendonly'] == 'yes'
    assert directives['dbfilename'] == 'my dump.rdb'
    assert directives['port'] == '6380'


def test_redis_7_loads_the_rdb_as_the_aofs_base(tmp_path):
    directives = _directives(tmp_path)
    directory, extra, base = redis_rdb.aof_links(directives, (7, 0, 15))
    assert directory == 'appendonlydir'
    assert base == 'appendonly.aof.1.base.rdb'
    assert extra == [('appendonly.aof.manifest',
                      'file appendonly.aof.1.base.rdb seq 1 type b\n')]


def test_custom_aof_names_are_followed(tmp_path):
    directives = _directives(tmp_path, {'appendfilename': 'x.aof',
                                        'appenddirname': 'aofs'})
    directory, extra, base = redis_rdb.aof_links(directives, (7, 2, 0))
    assert (directory, base) == ('aofs', 'x.aof.1.base.rdb')
    assert extra[0][0] == 'x.aof.manifest'


def test_redis_6_loads_the_rdb_as_an_aof_preamble(tmp_path):
    assert redis_rdb.aof_links(_directives(tmp_path), (6, 2, 14)) == (
        None, [], 'appendonly.aof')


def test_without_aof_the_dump_file_is_enough(tmp_path):
    directives = _directives(tmp_path, {'appendonly': 'no'})
    assert redis_rdb.aof_links(directives, (7, 0, 15)) is None
