"""Publishing guest logs from files: objects, line counts, rotation."""

import os
import types

import pytest

from trove_lite.common import exception
from trove_lite.guestagent import guest_logs
from trove_lite.guestagent.storage import local


class Manager:
    """What ``GuestLogs`` needs of a datastore manager: its logs, and
    applying the enabled ones (recorded).
    """

    def __init__(self, directory):
        self.info = types.SimpleNamespace(guest_id='i-1')
        self.general = os.path.join(directory, 'general.log')
        self.error = os.path.join(directory, 'error.log')
        self.agent_log = None
        self.applied = []

    def guest_log_definitions(self):
        return {
            'general': guest_logs.LogDefinition(
                'general', 'USER', guest_logs.FileSource(self.general)),
            'error': guest_logs.LogDefinition(
                'error', 'SYS', guest_logs.FileSource(self.error)),
        }

    def apply_guest_logs(self, enabled, long_query_time_ms=None):
        self.applied.append((sorted(enabled), long_query_time_ms))

    def agent_log_path(self):
        return self.agent_log


@pytest.fixture
def manager(tmp_path):
    return Manager(str(tmp_path))


@pytest.fixture
def logs(manager, tmp_path):
    return guest_logs.GuestLogs(manager, str(tmp_path / 'state.json'))


@pytest.fixture
def store_path(tmp_path):
    return tmp_path / 'store'


def publication(store_path, limit=1000000, log='general'):
    return {'storage': {'driver': 'local', 'path': str(store_path),
                        'container': 'logs'},
            'prefix': 'i-1/mysql-%s/' % log,
            'metafile': 'i-1/mysql-%s_metafile' % log,
            'limit': limit, 'expiry': 60}


def objects(store_path, log='general'):
    store = local.LocalStorage({'path': str(store_path),
                                'container': 'logs'})
    names = store.list_objects('i-1/mysql-%s/' % log)
    return [((store_path / 'logs' / name).read_bytes(),
             store.object_metadata(name)['lines']) for name in names]


def write(path, text, mode='a'):
    with open(path, mode) as handle:
        handle.write(text)


def test_statuses_follow_the_file(manager, logs, store_path):
    shown = {log['name']: log for log in logs.list()}
    assert shown['general']['status'] == 'Disabled'
    assert shown['error']['status'] == 'Unavailable'
    assert logs.action('general', enable=True,
                       long_query_time=1500)['status'] == 'Enabled'
    assert manager.applied == [(['general'], 1500)]
    write(manager.general, 'one\ntwo\n')
    assert logs.action('general')['status'] == 'Ready'
    shown = logs.action('general', publish=True,
                        publication=publication(store_path))
    assert shown == {'name': 'general', 'type': 'USER',
                     'status': 'Published', 'published': 8, 'pending': 0}
    write(manager.general, 'three\n')
    assert logs.action('general')['status'] == 'Partial'
    # Only a change reaches the server.
    logs.action('general', publish=True, enable=True, long_query_time=1500,
                publication=publication(store_path))
    assert manager.applied == [(['general'], 1500)]
    logs.action('general', enable=True, long_query_time=200)
    logs.action('general', disable=True)
    assert manager.applied == [(['general'], 1500), (['general'], 200),
                               ([], 200)]


def test_publish_sends_only_what_is_new_in_whole_lines(manager, logs,
                                                       store_path):
    write(manager.general, 'a\nbb\nccc\nunfinished')
    logs.action('general', publish=True,
                publication=publication(store_path, limit=1024))
    assert objects(store_path) == [(b'a\nbb\nccc\n', 3)]
    # The line being written waits for its end.
    assert logs.action('general')['pending'] == len('unfinished')
    write(manager.general, ' line\n')
    logs.action('general', publish=True,
                publication=publication(store_path, limit=1024))
    assert [data for data, _lines in objects(store_path)] == [
        b'a\nbb\nccc\n', b'unfinished line\n']


def test_a_long_log_is_cut_into_objects_at_line_ends(manager, logs,
                                                     store_path):
    lines = ''.join('line %04d\n' % number for number in range(300))
    write(manager.general, lines)
    shown = logs.action('general', publish=True,
                        publication=publication(store_path, limit=1024))
    parts = objects(store_path)
    assert len(parts) == 3
    assert b''.join(data for data, _ in parts) == lines.encode()
    assert all(len(data) <= 1024 and data.endswith(b'\n')
               for data, _ in parts)
    assert sum(count for _, count in parts) == 300
    assert shown['published'] == len(lines)


def test_publishing_enables_a_user_log(manager, logs, store_path):
    # Nothing written yet: enabled, nothing sent, no error.
    shown = logs.action('general', publish=True,
                        publication=publication(store_path))
    assert (shown['status'], shown['published']) == ('Enabled', 0)
    assert manager.applied == [(['general'], None)]
    assert objects(store_path) == []


def test_a_rotated_log_is_published_afresh(manager, logs, store_path):
    write(manager.general, 'old 1\nold 2\n')
    logs.action('general', publish=True,
                publication=publication(store_path))
    os.remove(manager.general)
    write(manager.general, 'new\n')
    assert logs.action('general')['status'] == 'Rotated'
    logs.action('general', publish=True,
                publication=publication(store_path))
    assert objects(store_path) == [(b'new\n', 1)]


def test_state_survives_a_new_agent(manager, logs, store_path, tmp_path):
    write(manager.general, 'x\n')
    logs.action('general', publish=True,
                publication=publication(store_path))
    again = guest_logs.GuestLogs(manager, str(tmp_path / 'state.json'))
    assert again.action('general')['status'] == 'Published'
    assert again.enabled_names() == {'general'}


def test_system_logs_are_always_on(manager, logs, store_path):
    with pytest.raises(exception.BadValue, match='system log'):
        logs.action('error', disable=True)
    with pytest.raises(exception.BadValue, match='system log'):
        logs.action('error', enable=True)
    write(manager.error, 'boom\n')
    assert logs.action('error')['status'] == 'Ready'
    shown = logs.action('error', publish=True,
                        publication=publication(store_path, log='error'))
    assert shown['status'] == 'Published'
    assert manager.applied == []


def test_refusals(logs, store_path):
    with pytest.raises(exception.LogNotFound):
        logs.action('slow_query')
    with pytest.raises(exception.BadValue, match='at once'):
        logs.action('general', enable=True, disable=True)
    with pytest.raises(exception.BadValue):
        logs.action('general', discard=True, publication={'prefix': 'x'})


def test_local_storage_refuses_names_outside_its_container(store_path):
    store = local.LocalStorage({'path': str(store_path),
                                'container': 'logs'})
    for name in ('../escape', '/abs', 'a/../../b', ''):
        with pytest.raises(exception.BackupStorageError):
            store.put_object(name, b'x')


def test_the_agents_own_log_is_a_system_log(manager, logs, tmp_path,
                                            store_path):
    assert 'guest' not in {log['name'] for log in logs.list()}
    manager.agent_log = str(tmp_path / 'agent.log')
    write(manager.agent_log, 'prepare failed: the disk is full\n')
    shown = {log['name']: log for log in logs.list()}
    assert (shown['guest']['type'], shown['guest']['status']) == (
        'SYS', 'Ready')
    logs.action('guest', publish=True,
                publication=publication(store_path, log='guest'))
    assert objects(store_path, log='guest') == [
        (b'prepare failed: the disk is full\n', 1)]
