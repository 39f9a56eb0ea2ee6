"""Tasks on the broker driver: the guest's own identity."""

from trove_lite.broker import base as broker_base
from trove_lite.broker import fake
from trove_lite.taskmanager.tasks import broker


def test_grant_names_the_agents_topic_and_the_conductors(ctx, override):
    override('conductor_queue', 'conductor-cell2')
    grant = broker.grant_for('a1')
    assert grant == broker_base.Grant(
        instance_id='a1', topic='guestagent.a1', server='a1',
        report_topic='conductor-cell2',
        exchange=broker_base.option('control_exchange') or 'openstack')


def test_create_provides_the_guests_options_and_revert_removes(ctx):
    driver = fake.FakeDriver()
    task = broker.CreateGuestIdentity(driver)
    assert task.provides == {'guest_transport'}
    transport = task.execute(ctx, 'a1')
    assert transport['transport_url'].startswith('rabbit://fake-a1:')
    assert driver.identities['a1'].topic == 'guestagent.a1'
    task.revert(ctx, 'a1')
    assert driver.identities == {} and driver.deleted == ['a1']


def test_revert_logs_and_goes_on_when_the_broker_fails(ctx, caplog):
    class Failing(fake.FakeDriver):
        def delete_identity(self, context, instance_id):
            raise broker_base.BrokerError(reason='broker down')

    broker.CreateGuestIdentity(Failing()).revert(ctx, 'a1')
    assert 'Could not remove the broker identity of instance a1' in \
        caplog.text


def test_delete_removes_the_identity(ctx):
    driver = fake.FakeDriver()
    driver.create_identity(ctx, broker.grant_for('a1'))
    broker.DeleteGuestIdentity(driver).execute(ctx, 'a1')
    assert driver.identities == {} and driver.deleted == ['a1']
    # The queues its agent declared go too (they outlive its user).
    assert driver.deleted_queues == ['guestagent.a1', 'guestagent.a1.a1']
