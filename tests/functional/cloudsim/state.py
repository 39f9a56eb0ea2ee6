"""The simulator's resource store, injected faults and call log.

Every API of the simulator reads and changes one ``Store``: plain dicts
under one lock, so that the four APIs see one cloud (a port bound by a
server, a volume attached to it) and a test sees what the driver left
behind (``resources()``). Seeded things (flavors, images, networks,
volume types, the management security group) are the operator's, not a
tenant's, and are never listed by ``resources()``.

A fault armed with ``inject(operation, ...)`` makes the next ``count``
calls of that operation fail with its status; ``called(operation)``
records the call and raises the fault, so every operation the driver may
call is a place a test can break.
"""

import datetime
import itertools
import threading
import uuid

#: The operations a fault may be injected into (and the call log names).
OPERATIONS = (
    'volume.create', 'volume.extend', 'volume.delete', 'port.create',
    'port.delete', 'security_group.create', 'security_group_rule.create',
    'security_group.delete', 'floatingip.create', 'server_group.create',
    'server.create', 'server.boot', 'server.delete', 'server.resize',
    'volume.attach', 'image.list')

#: What ``resources()`` lists: the tenant-made kinds.
TENANT_KINDS = ('servers', 'volumes', 'ports', 'security_groups',
                'security_group_rules', 'floatingips', 'server_groups')
SEEDED_KINDS = ('flavors', 'images', 'networks', 'subnets', 'volume_types')

DEFAULT_VOLUME_TYPE = 'lvmdriver-1'
DEFAULT_AZ = 'nova'


class SimError(Exception):
    """An API error: each API renders it in its upstream shape.

    :param status: the HTTP status.
    :param message: what the user reads.
    :param kind: the upstream error type (neutron's ``type``, e.g.
        ``PortNotFound``); nova and cinder derive theirs from the status.
    """

    def __init__(self, status, message, kind=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind


def not_found(what, ident, kind=None):
    return SimError(404, '%s %s could not be found.' % (what, ident), kind)


def new_id():
    return str(uuid.uuid4())


class Store:
    """Everything the simulated cloud holds; one lock for all of it.

    ``lock`` is re-entrant and public: an API takes it around a read and
    the changes that depend on it (test-and-set), as a real service's
    database transaction would.
    """

    def __init__(self):
        self.lock = threading.RLock()
        self.kinds = {kind: {} for kind in TENANT_KINDS + SEEDED_KINDS}
        self._faults = {}
        self._calls = []
        # NOTE(ordering): creation times a sort can rely on, even for
        # things made within one clock tick.
        self._clock = itertools.count()
        self._epoch = datetime.datetime.now(datetime.timezone.utc)

    def __getitem__(self, kind):
        return self.kinds[kind]

    def timestamp(self):
        """A creation time, strictly later than every earlier one."""
        moment = self._epoch + datetime.timedelta(
            milliseconds=next(self._clock))
        return moment.strftime('%Y-%m-%dT%H:%M:%S.%fZ')

    def add(self, kind, record):
        """Store ``record`` (given an id and ``created_at`` when it has
        none); returns it.
        """
        with self.lock:
            record.setdefault('id', new_id())
            record.setdefault('created_at', self.timestamp())
            self.kinds[kind][record['id']] = record
            return record

    def get(self, kind, ident, project_id=None, what=None, error_kind=None):
        """The record ``ident`` of ``kind``, visible to ``project_id``
        (None: to anyone).

        :raises: SimError 404 when there is none, or it is another
            project's.
        """
        with self.lock:
            record = self.kinds[kind].get(ident)
            if record is None or not visible(record, project_id):
                raise not_found(what or kind[:-1], ident, error_kind)
            return record

    def find(self, kind, project_id=None, **match):
        """The records of ``kind`` visible to ``project_id`` whose fields
        equal ``match`` (a list or tuple value: any of them).
        """
        with self.lock:
            return [record for record in self.kinds[kind].values()
                    if visible(record, project_id)
                    and all(_matches(record.get(key), value)
                            for key, value in match.items())]

    def remove(self, kind, ident):
        with self.lock:
            return self.kinds[kind].pop(ident, None)

    # Faults and the call log.

    def inject(self, operation, status=500, count=1, message=None):
        """Make the next ``count`` calls of ``operation`` fail.

        :raises: ValueError for an operation the simulator does not know.
        """
        if operation not in OPERATIONS:
            raise ValueError('unknown operation %r; known: %s'
                             % (operation, ', '.join(OPERATIONS)))
        with self.lock:
            self._faults[operation] = {
                'status': int(status), 'count': int(count),
                'message': message or 'Injected fault in %s' % operation}

    def clear_faults(self):
        with self.lock:
            self._faults.clear()

    def take_fault(self, operation):
        """The fault armed for ``operation`` (one of its counts used up),
        or None.
        """
        with self.lock:
            fault = self._faults.get(operation)
            if fault is None:
                return None
            fault['count'] -= 1
            if fault['count'] <= 0:
                del self._faults[operation]
            return dict(fault)

    def called(self, operation):
        """Record a call of ``operation``.

        :raises: SimError with the injected status when a fault is armed.
        """
        with self.lock:
            self._calls.append(operation)
            fault = self.take_fault(operation)
        if fault is not None:
            raise SimError(fault['status'], fault['message'])

    def calls(self):
        with self.lock:
            return list(self._calls)

    def resources(self):
        """What the tenants made and that still exists, by kind (the
        pre-existing management security groups and their rules left
        out).
        """
        with self.lock:
            return {kind: [dict(record) for record in
                           self.kinds[kind].values()
                           if not record.get('seeded')]
                    for kind in TENANT_KINDS}


def visible(record, project_id):
    """Whether ``project_id`` (None: anyone) may see ``record``; a record
    without a project (seeded) is everyone's.
    """
    owner = record.get('project_id')
    return project_id is None or owner is None or owner == project_id


def _matches(actual, wanted):
    if isinstance(wanted, (list, tuple)):
        return actual in wanted
    return actual == wanted
