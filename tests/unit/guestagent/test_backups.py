"""The backup runner: a strategy's stream, compressed, checked and stored
(real compressors and the real ``local`` storage; the strategy streams a
file through ``sh``)."""

import hashlib
import os
import subprocess
import sys
import threading

import pytest

from tests.unit.guestagent import fakes
from trove_lite.common import exception
from trove_lite.common import plugins
from trove_lite.guestagent import backups
from trove_lite.guestagent.datastores import fake
from trove_lite.guestagent import info as guest_info
from trove_lite.guestagent import progress as guest_progress

PAYLOAD = os.urandom(512 * 1024)


class Reporter:
    """What a ``status.StatusReporter`` is to a ProgressReporter."""

    def __init__(self):
        self.reports = []

    def report_progress(self, kind, resource_id, operation, progress):
        self.reports.append(progress)
        return True


@pytest.fixture
def manager():
    return fake.Manager(guest_info.GuestInfo(guest_id='i-1',
                                             datastore_manager='fake'))


@pytest.fixture
def strategies(backup_plugins, manager):
    """The backup namespace, holding a ``file`` strategy."""
    backup_plugins['file'] = fakes.FileStrategy(manager, PAYLOAD)
    return backup_plugins


@pytest.fixture
def storage(tmp_path):
    return {'driver': 'local', 'path': str(tmp_path / 'backups')}


def _info(storage, backup_id='b-1', parent=None):
    return {'id': backup_id, 'instance_id': 'i-1',
            'backup_type': 'incremental' if parent else 'full',
            'storage': storage, 'parent': parent}


def _element(result, storage, backup_id):
    return dict(result, id=backup_id, storage=storage)


def test_full_backup(manager, strategies, storage, override):
    override('compressor', 'gzip', group='backup')
    result = backups.take_backup(manager, _info(storage))
    location = result['location']
    assert location == os.path.join(storage['path'], 'b-1.file.gz')
    with open(location, 'rb') as handle:
        stored = handle.read()
    assert result == {'location': location,
                      'checksum': hashlib.md5(stored).hexdigest(),
                      'size': len(stored), 'backup_type': 'full',
                      'metadata': {'strategy': 'file', 'compressor': 'gzip',
                                   'to_lsn': str(len(PAYLOAD))}}
    assert subprocess.run(['gzip', '-d', '-c'], input=stored,
                          capture_output=True).stdout == PAYLOAD
    assert strategies['file'].parents == [None]


def test_incremental_backup_gets_its_parents_metadata(manager, strategies,
                                                      storage):
    full = backups.take_backup(manager, _info(storage))
    parent = _element(full, storage, 'b-1')
    result = backups.take_backup(manager, _info(storage, 'b-2', parent))
    assert result['backup_type'] == 'incremental'
    assert strategies['file'].parents == [None, full['metadata']]
    assert result['location'].endswith('b-2.file.zst')


def test_incremental_refusals(manager, strategies, storage, override):
    full = backups.take_backup(manager, _info(storage))
    parent = _element(full, storage, 'b-1')
    other = dict(parent, metadata=dict(parent['metadata'],
                                       strategy='mysqldump'))
    with pytest.raises(exception.DatastoreOperationNotSupported) as caught:
        backups.take_backup(manager, _info(storage, 'b-2', other))
    assert 'written by mysqldump' in str(caught.value)
    strategies['file'].incremental = False
    with pytest.raises(exception.DatastoreOperationNotSupported):
        backups.take_backup(manager, _info(storage, 'b-2', parent))
    override('backup_incremental_strategy', None, group='fake')
    with pytest.raises(exception.DatastoreOperationNotSupported):
        backups.take_backup(manager, _info(storage, 'b-2', parent))
    assert os.listdir(storage['path']) == ['b-1.file.zst']


def test_no_strategy_configured(manager, storage, override):
    override('backup_strategy', None, group='fake')
    with pytest.raises(exception.DatastoreOperationNotSupported):
        backups.take_backup(manager, _info(storage))


def test_a_failing_tool_leaves_nothing_stored(manager, strategies, storage):
    strategy = strategies['file']
    strategy.exit_code = 2
    strategy.stderr = 'table t is corrupt'
    with pytest.raises(exception.GuestError) as caught:
        backups.take_backup(manager, _info(storage))
    assert str(caught.value) == \
        'file-dump exited with code 2: table t is corrupt'
    assert os.listdir(storage['path']) == []
    assert strategy.tools[0].process.returncode == 2


def test_a_storage_failure_stops_the_tool(manager, strategies, tmp_path):
    # A file where the directory should be: the storage cannot write.
    storage = {'driver': 'local', 'path': str(tmp_path / 'file')}
    (tmp_path / 'file').write_text('')
    with pytest.raises(exception.BackupStorageError) as caught:
        backups.take_backup(manager, _info(storage))
    assert 'local' in str(caught.value)
    assert strategies['file'].tools[0].process.poll() is not None


def test_a_cancelled_backup_stops_its_tool_and_keeps_nothing(
        manager, strategies, storage):
    strategy = strategies['file']
    strategy.delay = 30
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    with pytest.raises(exception.BackupCancelled):
        backups.take_backup(manager, _info(storage), cancel=cancel)
    assert os.listdir(storage['path']) == []
    # Stopped, not waited out.
    assert strategy.tools[0].process.poll() is not None


def test_a_backup_cancelled_as_it_ends_is_removed(manager, strategies,
                                                  storage):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(exception.BackupCancelled):
        backups.take_backup(manager, _info(storage), cancel=cancel)
    assert os.listdir(storage['path']) == []


def test_progress_is_reported_as_the_stream_flows(manager, strategies,
                                                  storage):
    reporter = Reporter()
    progress = guest_progress.ProgressReporter(
        reporter, 'backup', 'b-1', 'backup', min_interval=0)
    result = backups.take_backup(manager, _info(storage), progress)
    steps = [report.get('step') for report in reporter.reports]
    assert steps[0] == backups.STEP_BACKUP
    assert steps[-1] == backups.STEP_STORE
    done = [report['bytes_done'] for report in reporter.reports
            if 'bytes_done' in report]
    assert done[-1] == result['size']


def _chain(manager, storage, override, compressors=('zstd', 'zstd')):
    chain = []
    parent = None
    for index, compressor in enumerate(compressors):
        override('compressor', compressor, group='backup')
        backup_id = 'b-%d' % index
        result = backups.take_backup(manager,
                                     _info(storage, backup_id, parent))
        parent = _element(result, storage, backup_id)
        chain.append(parent)
    return chain


def test_restore_a_chain(manager, strategies, storage, override):
    chain = _chain(manager, storage, override, ('gzip', 'zstd'))
    restoring = fakes.FileStrategy(manager)
    strategies['file'] = restoring
    reporter = Reporter()
    progress = guest_progress.ProgressReporter(
        reporter, 'instance', 'i-2', 'restore', min_interval=0)
    backups.restore(manager, {'chain': chain}, progress)
    assert restoring.restored == [PAYLOAD, PAYLOAD]
    assert [m['compressor'] for m in restoring.restored_metadata] == [
        'gzip', 'zstd']
    assert reporter.reports[-1]['step'] == backups.STEP_RESTORE


def test_restore_uses_the_recorded_strategy(manager, strategies, storage,
                                            override):
    chain = _chain(manager, storage, override, ('zstd',))
    chain[0]['metadata']['strategy'] = 'gone'
    with pytest.raises(plugins.PluginNotFound) as caught:
        backups.restore(manager, {'chain': chain})
    assert "'gone'" in str(caught.value)
    assert 'b-0' in str(caught.value)


@pytest.mark.parametrize('damage', ['flip', 'truncate'])
def test_a_damaged_backup_fails_the_restore(manager, strategies, storage,
                                            override, damage):
    chain = _chain(manager, storage, override)
    location = chain[1]['location']
    with open(location, 'r+b') as handle:
        if damage == 'flip':
            handle.seek(chain[1]['size'] // 2)
            byte = handle.read(1)
            handle.seek(-1, os.SEEK_CUR)
            handle.write(bytes([byte[0] ^ 0x01]))
        else:
            handle.truncate(chain[1]['size'] - 7)
    with pytest.raises(exception.BackupChecksumMismatch) as caught:
        backups.restore(manager, {'chain': chain})
    assert str(caught.value).startswith(
        'backup checksum mismatch: backup b-1')
    # The damaged backup stays for inspection.
    assert os.path.exists(location)


def test_a_missing_object_fails_the_restore(manager, strategies, storage,
                                            override):
    chain = _chain(manager, storage, override, ('zstd',))
    os.remove(chain[0]['location'])
    with pytest.raises(exception.BackupFileNotFound):
        backups.restore(manager, {'chain': chain})


def test_restore_strategy_needs_a_chain(manager, strategies):
    with pytest.raises(exception.BackupCreationError):
        backups.restore(manager, {'chain': []})


THIRD_PARTY = '''
import io

from trove_lite.guestagent.strategies.backup import base


class Stream(base.BackupStream):
    def __init__(self):
        self._reader = io.BytesIO(b'written by a third party')

    @property
    def reader(self):
        return self._reader

    def finish(self):
        return {'by': 'thirdparty'}

    def abort(self):
        pass


class Strategy(base.BackupStrategy):
    name = 'thirdparty'

    def backup(self, parent_metadata=None):
        return Stream()

    def restore(self, chain):
        raise NotImplementedError()
'''

PICKED = '''
import subprocess, sys
from trove_lite import conf
from trove_lite.guestagent import backups
from trove_lite.guestagent.datastores import fake
from trove_lite.guestagent import info
conf.CONF([], project='trove-lite')
conf.CONF.set_override('backup_strategy', 'thirdparty', group='fake')
manager = fake.Manager(info.GuestInfo(guest_id='i-1',
                                      datastore_manager='fake'))
result = backups.take_backup(manager, {
    'id': 'b-1', 'instance_id': 'i-1', 'backup_type': 'full',
    'storage': {'driver': 'local', 'path': sys.argv[1]}, 'parent': None})
assert result['metadata']['strategy'] == 'thirdparty', result
assert result['metadata']['by'] == 'thirdparty', result
sys.stdout.write(subprocess.run(['zstd', '-d', '-c', result['location']],
                                capture_output=True, text=True).stdout)
'''


def test_a_strategy_someone_else_installs_is_picked_by_configuration(
        tmp_path):
    # A distribution of its own, installed on the path, that registers a
    # strategy in the backup namespace; nothing of ours names it.
    site = tmp_path / 'site'
    dist = site / 'thirdparty-1.0.dist-info'
    dist.mkdir(parents=True)
    (dist / 'METADATA').write_text('Metadata-Version: 2.1\n'
                                   'Name: thirdparty\nVersion: 1.0\n')
    (dist / 'entry_points.txt').write_text(
        '[trove_lite.guestagent.backup]\n'
        'thirdparty = thirdparty_strategy:Strategy\n')
    (site / 'thirdparty_strategy.py').write_text(THIRD_PARTY)
    env = dict(os.environ, PYTHONPATH=str(site),
               XDG_CACHE_HOME=str(tmp_path / 'cache'))
    result = subprocess.run(
        [sys.executable, '-c', PICKED, str(tmp_path / 'backups')],
        capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == 'written by a third party'
