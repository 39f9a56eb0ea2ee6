"""Shapes of instances (upstream's InstanceView and InstanceDetailView).

The controller gathers what a view needs (the row, its datastore version,
the service status as it stands, the last heartbeat, the fault) into an
``InstanceFacts``; views only shape it, so a page of instances costs a
fixed number of queries.
"""

import collections
import json

from trove_lite.api.views import common
from trove_lite.common import replication_reports
from trove_lite.common import states

InstanceFacts = collections.namedtuple(
    'InstanceFacts',
    'row version datastore_name service_status status_updated heartbeat '
    'fault addresses backing_up replicas configuration_name',
    defaults=(False, (), None))


def _addresses(facts):
    return [{'address': entry['address'],
             'type': entry.get('type', 'private')}
            for entry in facts.addresses]


def _access(row):
    if row.access:
        return json.loads(row.access)
    return {'is_public': False}


def instance(req, facts, is_admin):
    """The list view of one instance."""
    row = facts.row
    view = {
        'id': row.id,
        'name': row.name,
        'status': states.api_status(row.task_id, row.server_status,
                                    facts.backing_up, facts.service_status),
        'operating_status': states.operating_status(
            row.task_id, row.server_status, facts.service_status),
        'links': common.links(req, 'instances', row.id),
        'flavor': {'id': row.flavor_id,
                   'links': common.links(req, 'flavors', row.flavor_id)},
        'datastore': {'type': facts.datastore_name,
                      'version': facts.version.name if facts.version
                      else None},
        'region': row.region_id,
        'access': _access(row),
        'volume': {'size': row.volume_size},
    }
    addresses = _addresses(facts)
    if addresses:
        view['ip'] = [entry['address'] for entry in addresses]
        view['addresses'] = addresses
    if row.slave_of_id:
        view['replica_of'] = {
            'id': row.slave_of_id,
            'links': common.links(req, 'instances', row.slave_of_id)}
    if facts.replicas:
        view['replicas'] = [
            {'id': replica_id,
             'links': common.links(req, 'instances', replica_id)}
            for replica_id in facts.replicas]
    if is_admin:
        view['tenant_id'] = row.tenant_id
    return view


def _replication(facts):
    """trove_lite's extension: what the guest last said of its
    replication (role, whether its stream runs, its lag in seconds), for
    an instance that is a source or a replica.
    """
    row = facts.row
    if not row.slave_of_id and not facts.replicas:
        return None
    report = replication_reports.load(
        facts.heartbeat.replication if facts.heartbeat is not None
        else None) or {}
    view = {'role': 'replica' if row.slave_of_id else 'source',
            'reported_role': report.get('role')}
    if row.slave_of_id:
        view.update(running=report.get('running', False),
                    lag=report.get('lag'), error=report.get('error'))
    return view


def _fault_is_note(row, fault):
    """Whether ``fault`` is the note of how the row's last operation
    ended: stored with the task change that ended it
    (``resource_locks.finish`` stamps it with that change's time), so no
    task change has happened since.
    """
    return (row.task_start_time is not None
            and fault.created == row.task_start_time)


def instance_detail(req, facts, is_admin):
    """The detail view: the list view plus times, fault and usage."""
    row = facts.row
    view = instance(req, facts, is_admin)
    view.update(
        created=common.timestamp(row.created),
        updated=common.timestamp(row.updated),
        service_status_updated=common.timestamp(facts.status_updated))
    if facts.version is not None:
        view['datastore']['version_number'] = facts.version.version
    if facts.heartbeat is not None and facts.heartbeat.volume_used is not None:
        view['volume']['used'] = round(facts.heartbeat.volume_used, 2)
        if facts.heartbeat.volume_total:
            view['volume']['used_percent'] = round(
                100.0 * facts.heartbeat.volume_used /
                facts.heartbeat.volume_total, 1)
    replication = _replication(facts)
    if replication is not None:
        view['replication'] = replication
    # NOTE(faults): an old fault is not news once the instance is well
    # again; one stored as the note of its last operation (a resize put
    # back) is, until its next task change.
    if facts.fault is not None and (
            view['status'] == 'ERROR'
            or _fault_is_note(row, facts.fault)):
        view['fault'] = {
            'message': facts.fault.message,
            'created': common.timestamp(facts.fault.created),
            'details': facts.fault.details if is_admin else None,
        }
    if row.locality:
        view['locality'] = row.locality
    if row.configuration_id:
        view['configuration'] = {
            'id': row.configuration_id, 'name': facts.configuration_name,
            'links': common.links(req, 'configurations',
                                  row.configuration_id)}
    if is_admin:
        view['server_id'] = row.compute_instance_id
        view['volume_id'] = row.volume_id
    return view


def instance_created(req, facts, is_admin, password=None):
    """The create response: the detail view, plus the root password when
    root was enabled at create (``root_on_create``); the only time it is
    shown.
    """
    view = instance_detail(req, facts, is_admin)
    if password:
        view['password'] = password
    return view


def mgmt_instance(req, facts):
    """The management view (``/mgmt/instances``)."""
    row = facts.row
    view = instance_detail(req, facts, True)
    view.update(
        tenant_id=row.tenant_id,
        deleted=bool(row.deleted),
        deleted_at=common.timestamp(row.deleted_at),
        task_description=row.task_description,
        service_status=facts.service_status.api_name,
        server={'id': row.compute_instance_id, 'status': row.server_status,
                'tenant_id': row.tenant_id} if row.compute_instance_id
        else None)
    return view


def mgmt_instance_detail(req, facts, host=None, root=None):
    """The management show (upstream's MgmtInstanceDetailView): the
    management view with its server's name, host and addresses, its
    volume (size, use, status), who enabled root, the guest's status and
    the last fault, whatever the status.

    :param host: the host that runs the instance's server, when known
        (the local driver's server row says).
    :param root: the instance's root history row, or None.
    """
    row = facts.row
    view = mgmt_instance(req, facts)
    if view['server'] is not None:
        view['server'].update(name=row.name, host=host,
                              addresses=_addresses(facts))
    heartbeat = facts.heartbeat
    view['volume'] = {
        'id': row.volume_id, 'size': row.volume_size,
        'status': 'in-use' if row.volume_id else None,
        'used': (round(heartbeat.volume_used, 2)
                 if heartbeat is not None and
                 heartbeat.volume_used is not None else None),
        'total': (round(heartbeat.volume_total, 2)
                  if heartbeat is not None and heartbeat.volume_total
                  else None),
    }
    view['root_enabled'] = common.timestamp(root.created) if root else None
    view['root_enabled_by'] = root.user if root else None
    view['guest_status'] = {
        'state_description': facts.service_status.description}
    if facts.fault is not None and 'fault' not in view:
        # NOTE(upgrade): an administrator sees the last fault note of a
        # running instance too (an undone upgrade, a failover), which
        # the tenant's view shows only in ERROR.
        view['fault'] = {'message': facts.fault.message,
                         'created': common.timestamp(facts.fault.created),
                         'details': facts.fault.details}
    return view
