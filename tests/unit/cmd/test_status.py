"""``trove-lite-status upgrade check`` run in-process."""

from oslo_upgradecheck import upgradecheck
import pytest

from tests.unit import db_utils
from trove_lite.cmd import manage
from trove_lite.cmd import status


@pytest.fixture
def check(config_file, capsys):
    def run(*args):
        db_utils.reset_cli()
        code = status.main(['--config-file', config_file, 'upgrade',
                            'check'] + list(args))
        return code, capsys.readouterr().out
    return run


def _manage(config_file, *args):
    db_utils.reset_cli()
    assert manage.main(['--config-file', config_file] + list(args)) == 0


def test_empty_database_fails_and_says_db_sync(check):
    code, out = check()
    assert code == upgradecheck.Code.FAILURE
    assert 'Database schema is current' in out
    assert 'db_sync' in out


def test_synced_without_datastores_warns(check, config_file):
    _manage(config_file, 'db_sync')
    code, out = check()
    assert code == upgradecheck.Code.WARNING
    assert 'No datastore with an active version' in out


def test_inactive_version_still_warns(check, config_file):
    _manage(config_file, 'db_sync')
    _manage(config_file, 'datastore_update', 'mysql', '')
    _manage(config_file, 'datastore_version_update', 'mysql', '8.0',
            'mysql', '', '', '0')
    assert check()[0] == upgradecheck.Code.WARNING


def test_all_good(check, config_file):
    _manage(config_file, 'db_sync')
    _manage(config_file, 'datastore_update', 'mysql', '')
    _manage(config_file, 'datastore_version_update', 'mysql', '8.0',
            'mysql', '', '', '1')
    code, out = check('--json')
    assert code == upgradecheck.Code.SUCCESS
    assert 'Datastores with an active version: mysql' in out


def test_unreadable_database_fails_cleanly(tmp_path, capsys):
    (tmp_path / 'dir.sqlite').mkdir()
    path = tmp_path / 'bad.conf'
    path.write_text('[database]\nconnection = sqlite:///%s\n'
                    % (tmp_path / 'dir.sqlite'))
    code = status.main(['--config-file', str(path), 'upgrade', 'check'])
    out = capsys.readouterr().out
    assert code == upgradecheck.Code.FAILURE
    assert 'Cannot read the infrastructure database' in out
    assert 'Traceback' not in out
