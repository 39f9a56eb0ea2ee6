"""The pure parts of the ``mariabackup`` strategy: the GTID position its
``xtrabackup_info`` records.
"""

import pytest

from trove_lite.guestagent.strategies.backup import mariabackup

INFO = """uuid = 100e361b-f015-11f1-9d1d-02fc00000001
tool_name = mariadb-backup
binlog_pos = filename 'mysql-bin.000001', position '1107', GTID of the \
last change '%s'
innodb_from_lsn = 0
innodb_to_lsn = 44404
"""


@pytest.mark.parametrize('gtid, expected', [
    ('0-4060235173-5', '0-4060235173-5'),
    ('0-1-5,1-2-9', '0-1-5,1-2-9'),
    ('0-1-5, 1-2-9', '0-1-5,1-2-9'),
    ('', '')])
def test_read_gtid(tmp_path, gtid, expected):
    path = tmp_path / mariabackup.INFO
    path.write_text(INFO % gtid)
    assert mariabackup.read_gtid(str(path)) == expected


def test_no_gtid_without_a_binary_log_or_a_file(tmp_path):
    path = tmp_path / mariabackup.INFO
    path.write_text('uuid = x\ninnodb_to_lsn = 1\n')
    assert mariabackup.read_gtid(str(path)) is None
    assert mariabackup.read_gtid(str(tmp_path / 'missing')) is None
