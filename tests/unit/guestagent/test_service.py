"""The guest agent's endpoint: tenant errors are expected, not ERRORs.

An agent on the in-memory bus with the ``fake`` datastore manager, called
through the real guest client, so the reply crosses the same sealing and
exception paths as in production.
"""

import logging

import pytest

from tests.unit.rpc_fixtures import conf_overrides  # noqa: F401
from tests.unit.rpc_fixtures import memory_bus  # noqa: F401
from tests.unit.rpc_fixtures import start_service  # noqa: F401
from trove_lite.common import exception
from trove_lite.common import sealing
from trove_lite.guestagent.datastores import fake
from trove_lite.guestagent import info as guest_info
from trove_lite.guestagent import rpcapi as guest_rpcapi
from trove_lite.guestagent import service as guest_service

# Public methods of the endpoint that are not calls a tenant's request
# leads to (a cast, a ping, and a helper for the agent's own shutdown).
# Casts whose outcome goes to the conductor, and helpers.
NOT_TENANT_CALLS = {'rpc_ping', 'prepare', 'wait_for_prepare', 'create_backup'}


def test_every_call_declares_tenant_errors_expected():
    calls = [name for name in dir(guest_service.GuestAgentEndpoint)
             if not name.startswith('_') and name != 'target'
             and name not in NOT_TENANT_CALLS]
    assert len(calls) >= 18
    undeclared = [name for name in calls if not hasattr(
        getattr(guest_service.GuestAgentEndpoint, name), '__wrapped__')]
    assert undeclared == []


@pytest.fixture
def guest(memory_bus, start_service, ctx):  # noqa: F811
    """A guest client of a running agent whose fake datastore has a
    database ``app`` and a user ``u``.
    """
    instance_id = 'guest-service-test'
    key = sealing.generate_key()
    datastore = fake.Manager(guest_info.GuestInfo(
        guest_id=instance_id, datastore_manager='fake'))
    datastore.prepare(512, [{'name': 'app'}],
                      [{'name': 'u', 'password': 'p'}])
    endpoint = guest_service.GuestAgentEndpoint(instance_id, datastore)
    start_service(guest_rpcapi.topic_for(instance_id), instance_id,
                  endpoint, serializer=sealing.GuestSerializer(
                      instance_id, key))
    return guest_rpcapi.GuestAgentAPI(ctx, instance_id, key)


def _errors(caplog):
    return ['%s: %s' % (record.name, record.getMessage())
            for record in caplog.records if record.levelno >= logging.ERROR]


@pytest.mark.parametrize('call,args,error', [
    ('delete_database', ('nosuch',), exception.DatabaseNotFound),
    ('create_users', ([{'name': 'u', 'password': 'p'}],),
     exception.UserAlreadyExists),
    ('revoke_access', ('u', '%', 'nosuch'), exception.DatabaseNotFound),
    ('delete_user', ('nobody', '%'), exception.UserNotFound),
    ('create_databases', ([{'name': 'bad name'}],), exception.BadValue),
])
def test_a_tenant_error_reaches_the_caller_and_is_no_error(
        guest, caplog, call, args, error):
    # NOTE(issue13): 33 such requests made 1,866 ERROR lines in an agent.
    with pytest.raises(error) as caught:
        getattr(guest, call)(*args)
    assert type(caught.value) is error
    assert 'Traceback' not in str(caught.value)
    assert _errors(caplog) == []
