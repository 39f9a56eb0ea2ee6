"""Instances with a guest agent on the in-memory bus, for the database,
user and root routes; a fake taskmanager that records the API's casts.

``guest_instance(...)`` creates an ACTIVE, HEALTHY instance row of the
caller's project and starts a real ``GuestAgentEndpoint`` for it, backed
by the in-memory ``fake`` datastore manager and sealed with the
instance's key, so requests cross the same RPC, sealing and exception
paths as in production.
"""

import collections
import threading

import oslo_messaging
import pytest

from tests.unit import db_utils
from tests.unit import rpc_fixtures
from tests.unit.rpc_fixtures import conf_overrides  # noqa: F401
from tests.unit.rpc_fixtures import memory_bus  # noqa: F401
from tests.unit.rpc_fixtures import start_service  # noqa: F401
from trove_lite.common import sealing
from trove_lite.db.repositories import instances as instance_repo
from trove_lite.guestagent.datastores import fake
from trove_lite.guestagent import info as guest_info
from trove_lite.guestagent import rpcapi as guest_rpcapi
from trove_lite.guestagent import service as guest_service
from trove_lite.taskmanager import rpcapi as taskmanager_rpcapi


class FakeTaskManager:
    """Records what the API casts to the taskmanager."""

    target = oslo_messaging.Target(
        version=taskmanager_rpcapi.TaskManagerAPI.RPC_API_VERSION)

    def __init__(self):
        self.calls = []
        self.arrived = threading.Event()

    def _record(self, method, **kwargs):
        self.calls.append((method, kwargs))
        self.arrived.set()

    def create_instance(self, context, **kwargs):
        self._record('create_instance', **kwargs)

    def delete_instance(self, context, **kwargs):
        self._record('delete_instance', **kwargs)

    def restart(self, context, **kwargs):
        self._record('restart', **kwargs)

    def create_backup(self, context, **kwargs):
        self._record('create_backup', **kwargs)

    def delete_backup(self, context, **kwargs):
        self._record('delete_backup', **kwargs)

    def promote_to_replica_source(self, context, **kwargs):
        self._record('promote_to_replica_source', **kwargs)

    def eject_replica_source(self, context, **kwargs):
        self._record('eject_replica_source', **kwargs)

    def detach_replica(self, context, **kwargs):
        self._record('detach_replica', **kwargs)

    def resize_volume(self, context, **kwargs):
        self._record('resize_volume', **kwargs)

    def resize_flavor(self, context, **kwargs):
        self._record('resize_flavor', **kwargs)

    def update_access(self, context, **kwargs):
        self._record('update_access', **kwargs)

    def upgrade(self, context, **kwargs):
        self._record('upgrade', **kwargs)

    def wait(self):
        assert self.arrived.wait(10), 'no cast reached the taskmanager'
        self.arrived.clear()
        return self.calls[-1]


@pytest.fixture
def taskmanager(memory_bus, start_service):  # noqa: F811
    topic = rpc_fixtures.unique_topic('tm')
    memory_bus.set('taskmanager_queue', topic)
    fake = FakeTaskManager()
    start_service(topic, 'tm-host', fake)
    return fake


GuestInstance = collections.namedtuple('GuestInstance', 'id datastore path')


@pytest.fixture
def guest_instance(ctx, memory_bus, start_service):  # noqa: F811
    """``guest_instance(manager='fake', project='p1', guest=True)``.

    :returns: a ``GuestInstance``; ``datastore`` is the guest's fake
        manager (None without a guest), ``path`` the instance's URL path
        relative to the project.
    """

    def _make(manager='fake', project='p1', guest=True):
        row = db_utils.add_active_instance(ctx, manager, project)
        key = sealing.generate_key()
        instance_repo.set_key(ctx, row.id, key)
        datastore = None
        if guest:
            datastore = fake.Manager(guest_info.GuestInfo(
                guest_id=row.id, datastore_manager='fake'))
            datastore.prepare(512, [], [])
            endpoint = guest_service.GuestAgentEndpoint(row.id, datastore)
            start_service(guest_rpcapi.topic_for(row.id), row.id, endpoint,
                          serializer=sealing.GuestSerializer(row.id, key))
        return GuestInstance(row.id, datastore, '/instances/%s' % row.id)

    return _make
