"""Flavors of the local compute driver."""

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
