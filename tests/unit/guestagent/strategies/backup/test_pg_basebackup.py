"""The pure parts of the ``pg_basebackup`` strategy: its command line and
what it lets out of a tar.
"""

import io
import os
import pwd
import tarfile

import pytest

from trove_lite.guestagent.strategies.backup import pg_basebackup


def test_backup_command_streams_one_tar_with_the_wal_over_the_socket():
    command = pg_basebackup.backup_command('/bin/pg_basebackup', '/i/run',
                                           5433, 'trove_lite x')
    assert command[0] == '/bin/pg_basebackup'
    # One tar on stdout: the only WAL method that stdout allows is fetch.
    for option in ('--pgdata=-', '--format=tar', '--wal-method=fetch',
                   '--checkpoint=fast', '--no-password', '--host=/i/run',
                   '--port=5433', '--username=postgres',
                   '--label=trove_lite x'):
        assert option in command


def _tar(members):
    """A tar of ``{name: bytes or None (a directory) or ('sym', target)}``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode='w') as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.uid = info.gid = 12345
            if content is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o700
                tar.addfile(info)
            elif isinstance(content, tuple):
                info.type, info.linkname = tarfile.SYMTYPE, content[1]
                tar.addfile(info)
            else:
                info.size, info.mode = len(content), 0o600
                tar.addfile(info, io.BytesIO(content))
    buffer.seek(0)
    return buffer


def test_extract_drops_the_source_servers_state(tmp_path):
    stream = _tar({'PG_VERSION': b'15\n', 'base': None,
                   'base/1': None, 'base/1/1259': b'rows',
                   'postmaster.pid': b'123', 'standby.signal': b'',
                   'recovery.signal': b'', 'postgresql.auto.conf': b'x=1',
                   'backup_manifest': b'{}', 'backup_label': b'label',
                   'base/1/postmaster.pid': b'kept: not the top level'})
    pg_basebackup.extract(stream, str(tmp_path))
    found = sorted(os.path.relpath(os.path.join(root, name), tmp_path)
                   for root, dirs, files in os.walk(tmp_path)
                   for name in files)
    assert found == ['PG_VERSION', 'backup_label', 'base/1/1259',
                     'base/1/postmaster.pid']
    assert (tmp_path / 'base' / '1' / '1259').read_bytes() == b'rows'
    # Directories keep PostgreSQL's private mode, not the umask's.
    assert os.stat(tmp_path / 'base').st_mode & 0o777 == 0o700


@pytest.mark.parametrize('members', [
    {'../escape': b'x'},
    {'pg_tblspc': None, 'pg_tblspc/16384': ('sym', '/srv/elsewhere')},
])
def test_extract_refuses_what_leaves_the_data_directory(tmp_path, members):
    target = tmp_path / 'data'
    target.mkdir()
    with pytest.raises(tarfile.TarError):
        pg_basebackup.extract(_tar(members), str(target))
    assert not (tmp_path / 'escape').exists()


def test_extract_keeps_absolute_names_inside(tmp_path):
    pg_basebackup.extract(_tar({'/outside': b'x'}), str(tmp_path))
    assert (tmp_path / 'outside').read_bytes() == b'x'


def test_filter_gives_members_to_the_servers_user(tmp_path):
    run_as = pwd.getpwuid(os.getuid())
    keep = pg_basebackup.tar_filter(run_as)
    member = tarfile.TarInfo('base/1/1259')
    member.uid = member.gid = 12345
    member.uname = member.gname = 'someone'
    kept = keep(member, str(tmp_path))
    assert (kept.uid, kept.gid) == (run_as.pw_uid, run_as.pw_gid)
    assert kept.uname is None and kept.gname is None
    assert keep(tarfile.TarInfo('postmaster.pid'), str(tmp_path)) is None
    assert keep(tarfile.TarInfo('./standby.signal'), str(tmp_path)) is None


def test_server_major_version_reads_postgres_version(tmp_path):
    fake = tmp_path / 'postgres'
    fake.write_text('#!/bin/sh\necho "postgres (PostgreSQL) 15.20"\n')
    fake.chmod(0o755)
    assert pg_basebackup.server_major_version(str(fake)) == '15'
    assert pg_basebackup.server_major_version(str(tmp_path / 'none')) is None
