"""The ``fake`` replication strategy: fake datastores of one process
follow each other in memory.
"""

import uuid

import pytest

from trove_lite.common import exception
from trove_lite.common import plugins
from trove_lite.conf import datastores as datastores_conf
from trove_lite.guestagent.datastores import fake as fake_datastore
from trove_lite.guestagent import info as guest_info
from trove_lite.guestagent.strategies.replication import base
from trove_lite.guestagent.strategies.replication import fake


def _manager(databases=()):
    manager = fake_datastore.Manager(guest_info.GuestInfo(
        guest_id=str(uuid.uuid4()), datastore_manager='fake'))
    manager.prepare(512, [{'name': name} for name in databases], [])
    return manager


def _state(role, source=None, running=False, lag=None):
    return {'role': role, 'source': source, 'running': running, 'lag': lag,
            'position': 0, 'error': None}


def test_it_is_the_fake_datastore_s_configured_plugin():
    manager = _manager()
    strategy = manager.replication()
    assert isinstance(strategy, fake.FakeReplication)
    assert strategy.manager is manager
    assert plugins.load(datastores_conf.REPLICATION_NAMESPACE, 'fake',
                        args=(manager,)).name == 'fake'


def test_a_source_is_found_by_its_instance_id():
    manager = _manager()
    strategy = fake.FakeReplication(manager)
    info = strategy.enable_as_source()
    assert info == {'host': 'fake', 'port': 0, 'user': 'fake-replication',
                    'password': 'fake',
                    'instance_id': manager.info.guest_id}
    assert fake.source(manager.info.guest_id) is manager
    assert strategy.state() == _state('source')
    assert not strategy.read_only()
    # A repeat is harmless.
    assert strategy.enable_as_source() == info
    assert strategy.snapshot(info, None) == {'backup': None}


def test_a_replica_copies_its_source_and_refuses_writes():
    source = _manager(databases=['app'])
    source.create_users([{'name': 'u', 'password': 'p',
                          'databases': [{'name': 'app'}]}])
    replica = _manager()
    info = fake.FakeReplication(source).enable_as_source()
    strategy = fake.FakeReplication(replica)
    strategy.attach(info, {'backup': None})
    assert replica.list_databases() == [{'name': 'app'}]
    assert [user['name'] for user in replica.list_users()] == ['u']
    assert strategy.read_only()
    assert strategy.state() == _state(
        'replica', source={'host': 'fake', 'port': 0}, running=True,
        lag=0.0)
    # No password in what it remembers of its source.
    assert 'password' not in strategy.recorded()['source']
    with pytest.raises(exception.BadRequest) as caught:
        replica.create_databases([{'name': 'other'}])
    assert 'read-only' in str(caught.value)
    # The tenant's error (the agent logs no ERROR for it), 400.
    assert caught.value.tenant_error and caught.value.code == 400
    for refused in (lambda: replica.delete_database('app'),
                    lambda: replica.create_users([{'name': 'v',
                                                   'password': 'p'}]),
                    lambda: replica.delete_user('u', '%')):
        with pytest.raises(exception.BadRequest):
            refused()
    # Its source stays writable.
    source.create_databases([{'name': 'more'}])


def test_attaching_a_source_unregisters_it():
    old = _manager(databases=['old'])
    new = _manager(databases=['new'])
    fake.FakeReplication(old).enable_as_source()
    info = fake.FakeReplication(new).enable_as_source()
    fake.FakeReplication(old).attach(info)
    assert fake.source(old.info.guest_id) is None
    assert old.list_databases() == [{'name': 'new'}]


def test_a_source_this_process_does_not_know_is_a_guest_error():
    with pytest.raises(exception.GuestError) as caught:
        fake.FakeReplication(_manager()).attach(
            {'host': 'h', 'port': 1, 'instance_id': 'nobody'})
    assert 'No fake source nobody' in str(caught.value)


def test_fence_refuses_writes_until_attach_or_promote():
    source = _manager()
    strategy = fake.FakeReplication(source)
    strategy.enable_as_source()
    strategy.fence()
    assert strategy.read_only()
    assert strategy.state()['role'] == 'source'
    with pytest.raises(exception.BadRequest):
        source.create_databases([{'name': 'late'}])
    strategy.promote()
    assert not strategy.read_only()
    strategy.fence()
    new = fake.FakeReplication(_manager()).enable_as_source()
    strategy.attach(new)
    assert strategy.recorded().get('fenced') is None
    assert strategy.state()['role'] == 'replica'


def test_promote_and_detach_make_it_writable():
    source = _manager()
    info = fake.FakeReplication(source).enable_as_source()
    replica = _manager()
    strategy = fake.FakeReplication(replica)
    strategy.attach(info)
    assert strategy.promote()['instance_id'] == replica.info.guest_id
    assert strategy.state() == _state('source')
    assert fake.source(replica.info.guest_id) is replica
    other = _manager()
    detached = fake.FakeReplication(other)
    detached.attach(info)
    detached.detach()
    assert detached.recorded() == {}
    assert detached.state() == _state(None)
    other.create_databases([{'name': 'mine'}])
    # Detached, it reports no replication at all.
    assert other.replication_state() is None


def test_the_record_merges_and_drops_none():
    strategy = fake.FakeReplication(_manager())
    assert strategy.recorded() == {}
    strategy.record(role=base.SOURCE, fenced=True)
    strategy.record(fenced=None, extra=1)
    assert strategy.recorded() == {'role': base.SOURCE, 'extra': 1}
    # A copy: changing it changes nothing.
    strategy.recorded()['role'] = 'x'
    assert strategy.recorded()['role'] == base.SOURCE
    strategy.remove_replica({'id': 'r'})
    assert strategy.recorded() == {'role': base.SOURCE, 'extra': 1}


def test_a_manager_reports_replication_once_it_took_part():
    manager = _manager()
    assert manager.replication_state() is None
    fake.FakeReplication(manager).enable_as_source()
    assert manager.replication_state() == _state('source')


def test_prepare_as_a_replica_takes_nothing_of_the_tenant_s():
    source = _manager(databases=['app'])
    source.enable_root('rootpw')
    info = fake.FakeReplication(source).enable_as_source()
    replica = fake_datastore.Manager(guest_info.GuestInfo(
        guest_id=str(uuid.uuid4()), datastore_manager='fake'))
    replica.prepare(512, [{'name': 'asked'}],
                    [{'name': 'asked', 'password': 'p'}],
                    root_password='other',
                    replica_info={'source': info,
                                  'snapshot': {'backup': None}})
    assert replica.list_databases() == [{'name': 'app'}]
    assert replica.list_users() == []
    assert replica.root_password == 'rootpw'
    assert replica.replication_state()['role'] == 'replica'
