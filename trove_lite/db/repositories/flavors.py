"""The flavor catalogue: the flavors the API lists and the quotas count.

The API never asks a compute driver (HACKING), and the RAM quota must
count every live instance's flavor, so the flavors live in the infra
database's ``flavors`` table whichever driver provides them:

* the local and fake drivers *are* this table (``trove-lite-manage
  flavor_create``; ``ComputeDriver.flavors_in_infra_db``);
* a cloud driver's flavors (Nova's) are copied here by the taskmanager
  (``taskmanager.flavor_sync`` calls ``sync``) at start and every
  ``[taskmanager] flavor_sync_interval`` seconds.
"""

import sqlalchemy as sa

from trove_lite.common import exception
from trove_lite.db import api as db_api
from trove_lite.db import models


def _sort_key(flavor):
    # NOTE(compat): Nova lists flavors by numeric id where ids are numbers.
    return (0, int(flavor.id), '') if flavor.id.isdigit() else (
        1, 0, flavor.id)


@db_api.reader
def list_flavors(context):
    return sorted(context.session.query(models.Flavor).all(), key=_sort_key)


@db_api.reader
def get_flavor(context, flavor_id):
    """:raises FlavorNotFound: no flavor has that id."""
    flavor = context.session.get(models.Flavor, str(flavor_id))
    if flavor is None:
        raise exception.FlavorNotFound(uuid=flavor_id)
    return flavor


@db_api.writer
def create_flavor(context, flavor_id, name, ram, vcpus, disk=0, ephemeral=0):
    """:raises FlavorAlreadyExists: the id or the name is taken."""
    session = context.session
    taken = session.query(models.Flavor).filter(sa.or_(
        models.Flavor.id == str(flavor_id),
        models.Flavor.name == name)).first()
    if taken is not None:
        raise exception.FlavorAlreadyExists(flavor_id=flavor_id, name=name)
    flavor = models.Flavor(id=str(flavor_id), name=name, ram=ram,
                           vcpus=vcpus, disk=disk, ephemeral=ephemeral)
    session.add(flavor)
    session.flush()
    return flavor


@db_api.writer
def delete_flavor(context, flavor_id):
    """Delete a local-driver flavor.

    :raises FlavorNotFound: no flavor has that id.
    :raises FlavorInUse: a datastore version is restricted to it.
    """
    flavor = get_flavor(context, flavor_id)
    in_use = context.session.query(models.DatastoreVersionMetadata).filter_by(
        key='flavor', value=flavor.id, deleted=False).first()
    if in_use is not None:
        raise exception.FlavorInUse(flavor_id=flavor.id)
    context.session.delete(flavor)


@db_api.reader
def _flavors_in_use(context):
    """Ids of flavors a live instance or a datastore version refers to."""
    used = {row[0] for row in context.session.query(
        models.Instance.flavor_id).filter(
        models.Instance.deleted.is_(False)).distinct()}
    used.update(row[0] for row in context.session.query(
        models.DatastoreVersionMetadata.value).filter_by(
        key='flavor', deleted=False))
    return used


@db_api.writer
def sync(context, flavors):
    """Make the catalogue what a compute driver lists.

    A flavor the driver no longer lists stays while a live instance uses
    it (its RAM still counts against the quota) or a datastore version is
    restricted to it; any other is removed.

    :param flavors: the driver's ``Flavor`` tuples (``id``, ``name``,
        ``ram``, ``vcpus``, ``disk``, ``ephemeral``).
    :returns: ``(written, removed)``: how many rows were added or changed,
        and how many removed.
    """
    session = context.session
    wanted = {str(flavor.id): flavor for flavor in flavors}
    in_use = _flavors_in_use(context)
    removed = 0
    for row in session.query(models.Flavor).all():
        if row.id not in wanted and row.id not in in_use:
            session.delete(row)
            removed += 1
    # NOTE(names): names are unique; removals first, so that a flavor
    # re-created under a new id can take its old name.
    session.flush()
    written = 0
    for flavor_id, flavor in sorted(wanted.items()):
        values = {'name': flavor.name, 'ram': flavor.ram,
                  'vcpus': flavor.vcpus, 'disk': flavor.disk or 0,
                  'ephemeral': flavor.ephemeral or 0}
        row = session.get(models.Flavor, flavor_id)
        if row is None:
            session.add(models.Flavor(id=flavor_id, **values))
            written += 1
        elif any(getattr(row, key) != value
                 for key, value in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            written += 1
    return written, removed
