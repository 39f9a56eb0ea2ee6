"""The rules a resize request must pass, as upstream refuses them.

``{"resize": {"volume": {"size": N}}}`` grows the volume of an instance
(and of its replicas, as upstream); ``{"resize": {"flavorRef": F}}``
changes its flavor. Everything here only reads; the controller then
starts the resize of each instance (task RESIZING, its lock, its recorded
workflow) in the transaction that checks the quota, so a refused request
changes nothing.
"""

import collections

from trove_lite.api import guest_requests
from trove_lite.api import instance_requests
from trove_lite.api.schemas import common as schema
from trove_lite.api.schemas import instances as schemas
from trove_lite.common import exception
from trove_lite.db.repositories import datastores as datastore_repo
from trove_lite.db.repositories import flavors as flavor_repo
from trove_lite.db.repositories import replication as topology

VOLUME = 'volume'
FLAVOR = 'flavorRef'

# One instance's part of a resize: its row, the workflow's operation and
# arguments, and what it adds to the quota.
Change = collections.namedtuple('Change', 'row operation arguments deltas')

VOLUME_OPERATION = 'resize_volume'
FLAVOR_OPERATION = 'resize_flavor'


def kind_of(body):
    """Which resize ``body`` asks for (``VOLUME`` or ``FLAVOR``), its
    body validated against that one's schema.

    :raises BadRequest: both, or neither, or a body the schema refuses.
    """
    resize = body['resize']
    kinds = [key for key in (VOLUME, FLAVOR) if key in resize]
    if len(kinds) > 1:
        raise exception.BadRequest(
            'Not allowed to resize volume and flavor at the same time.')
    if not kinds:
        raise exception.BadRequest('Missing resize arguments.')
    schema.validate(schemas.resize_volume if kinds[0] == VOLUME
                    else schemas.resize_flavor, body)
    return kinds[0]


def _not_clustered(row):
    if row.cluster_id:
        raise exception.NotImplementedYet(
            'Operation not supported for instances that are part of a '
            'cluster.')


def volume_changes(ctx, row, size):
    """The changes of a volume resize to ``size`` GB: the instance's and
    its replicas' whose volume is smaller (upstream resizes them too).

    :raises NotImplementedYet: a cluster's member (501).
    :raises BadRequest: no volume, or ``size`` is not larger (400).
    :raises VolumeSizeTooLarge: over ``max_accepted_volume_size`` (413).
    :raises InstanceNotReady: the instance or a replica cannot act now
        (422).
    """
    _not_clustered(row)
    if not row.volume_size:
        raise exception.BadRequest('Instance %s has no volume.' % row.id)
    new_size = instance_requests.volume_size({'size': size})
    if new_size <= row.volume_size:
        raise exception.BadRequest(
            "The new volume 'size' must be larger than the current volume "
            "size of '%s'." % row.volume_size)
    changes = []
    for member in [row] + topology.replicas_of(ctx, row.id):
        guest_requests.check_ready(ctx, member)
        if member.volume_size and member.volume_size < new_size:
            changes.append(Change(
                member, VOLUME_OPERATION,
                {'new_size': new_size, 'old_size': member.volume_size},
                {'volumes': new_size - member.volume_size}))
    return changes


def flavor_change(ctx, row, flavor_ref):
    """The change of a flavor resize to ``flavor_ref`` (an id or a link).

    :raises InstanceNotReady: the instance cannot act now (422).
    :raises NotImplementedYet: a cluster's member (501).
    :raises BadRequest: it is the instance's flavor (400).
    :raises InvalidFlavor: no such flavor (400, as upstream's
        FlavorNotFound here).
    :raises FlavorNotAllowed: the datastore version is restricted to
        other flavors (400).
    """
    guest_requests.check_ready(ctx, row)
    _not_clustered(row)
    new_id = str(flavor_ref).rstrip('/').split('/')[-1]
    if new_id == row.flavor_id:
        raise exception.BadRequest(
            "The new flavor id must be different than the current flavor "
            "id of '%s'." % row.flavor_id)
    version = datastore_repo.get_version_by_id(ctx, row.datastore_version_id)
    new = instance_requests.resolve_flavor(ctx, new_id, version)
    try:
        old_ram = flavor_repo.get_flavor(ctx, row.flavor_id).ram
    except exception.FlavorNotFound:
        old_ram = 0
    return Change(row, FLAVOR_OPERATION,
                  {'new_flavor_id': new.id, 'old_flavor_id': row.flavor_id},
                  {'ram': new.ram - old_ram})
