"""The ``fake`` backup strategy, through the strategy interface."""

import pytest

from tests.unit.guestagent.strategies.backup import streams
from trove_lite.common import exception
from trove_lite.common import plugins
from trove_lite.conf import datastores as datastore_opts
from trove_lite.guestagent.datastores import fake
from trove_lite.guestagent import info as guest_info
from trove_lite.guestagent.strategies.backup import base
from trove_lite.guestagent.strategies.backup import fake as fake_strategy


def _manager(guest_id='a'):
    manager = fake.Manager(guest_info.GuestInfo(guest_id=guest_id,
                                                datastore_manager='fake'))
    manager.prepare(512, [{'name': 'app', 'character_set': 'utf8'}],
                    [{'name': 'u', 'host': '10.0.0.%', 'password': 'p',
                      'databases': [{'name': 'app'}]}])
    return manager


def _take(strategy, parent=None):
    # Small reads: the runner's reads need not match the stream's size.
    return streams.take_bytes(strategy, parent, chunk=7)


def _chain(*backups):
    return streams.chain(*backups)


def test_fake_is_the_fake_datastores_strategy_in_the_namespace():
    strategy = plugins.load(datastore_opts.BACKUP_NAMESPACE, 'fake',
                            args=(_manager(),))
    assert isinstance(strategy, fake_strategy.FakeStrategy)
    assert strategy.name == 'fake'
    assert strategy.incremental
    assert strategy.restore_stage == base.RESTORE_REPLAY


def test_full_backup_round_trip_replaces_the_state():
    source = _manager()
    source.enable_root('rootpw')
    data, metadata = _take(fake_strategy.FakeStrategy(source))
    assert metadata == {'sequence': 1}

    target = _manager('b')
    target.create_databases([{'name': 'stale'}])
    fake_strategy.FakeStrategy(target).restore(_chain((data, metadata)))
    assert target.list_databases() == [{'name': 'app',
                                        'character_set': 'utf8'}]
    assert target.list_users() == [{'name': 'u', 'host': '10.0.0.%',
                                    'databases': [{'name': 'app'}]}]
    assert target.users[('u', '10.0.0.%')]['password'] == 'p'
    assert target.is_root_enabled()
    assert target.export_state() == source.export_state()


def test_incremental_chain_is_applied_in_order_to_the_newest_state():
    source = _manager()
    strategy = fake_strategy.FakeStrategy(source)
    full = _take(strategy)
    source.create_databases([{'name': 'second'}])
    first = _take(strategy, full[1])
    source.delete_database('app')
    source.grant_access('u', '10.0.0.%', ['second'])
    second = _take(strategy, first[1])
    assert [m['sequence'] for _, m in (full, first, second)] == [1, 2, 3]

    target = _manager('b')
    fake_strategy.FakeStrategy(target).restore(_chain(full, first, second))
    assert [db['name'] for db in target.list_databases()] == ['second']
    assert target.list_access('u', '10.0.0.%') == [{'name': 'second'}]
    assert target.export_state() == source.export_state()


def test_a_chain_out_of_order_is_refused_before_anything_changes():
    source = _manager()
    strategy = fake_strategy.FakeStrategy(source)
    full = _take(strategy)
    incremental = _take(strategy, full[1])
    target = _manager('b')
    target.create_databases([{'name': 'mine'}])
    before = target.export_state()
    with pytest.raises(exception.GuestError, match='out of order'):
        fake_strategy.FakeStrategy(target).restore(
            _chain(incremental, full))
    assert target.export_state() == before


def test_a_stream_that_contradicts_its_metadata_is_refused():
    data, _ = _take(fake_strategy.FakeStrategy(_manager()))
    target = _manager('b')
    with pytest.raises(exception.GuestError, match='recorded as sequence 4'):
        fake_strategy.FakeStrategy(target).restore(
            _chain((data, {'sequence': 4})))


@pytest.mark.parametrize('data', [b'not json', b'{"format": "other"}',
                                  b'[]'])
def test_a_stream_of_something_else_is_refused(data):
    target = _manager('b')
    with pytest.raises(exception.GuestError, match='not a fake datastore'):
        fake_strategy.FakeStrategy(target).restore(_chain((data, {})))


def test_an_empty_chain_is_refused():
    with pytest.raises(exception.GuestError, match='no backup'):
        fake_strategy.FakeStrategy(_manager()).restore([])


def test_incremental_needs_a_parent_sequence():
    strategy = fake_strategy.FakeStrategy(_manager())
    with pytest.raises(exception.GuestError, match='no fake sequence'):
        strategy.backup({'to_lsn': '12'})


def test_a_stopped_fake_takes_no_backup():
    manager = _manager()
    manager.stop_db()
    with pytest.raises(exception.GuestError, match='not running'):
        fake_strategy.FakeStrategy(manager).backup()


def test_abort_closes_the_stream():
    stream = fake_strategy.FakeStrategy(_manager()).backup()
    stream.abort()
    with pytest.raises(ValueError):
        stream.reader.read(1)
