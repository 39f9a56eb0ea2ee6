"""Hosts of the local compute driver: one row per instance.

The row is what reserves an instance's loopback address. ``allocate``
takes the lowest address of the range that no row holds; two taskmanagers
picking the same one at once are settled by the UNIQUE constraint on
``address`` (the loser retries with the next free one).
"""

import ipaddress
import uuid

from oslo_db import exception as db_exception

from trove_lite.db import api as db_api
from trove_lite.db import models

# How often allocate() retries after losing a race for an address.
ALLOCATE_ATTEMPTS = 20
# Free addresses in use by something else before allocation gives up.
MAX_BUSY = 32


class AddressRangeExhausted(Exception):
    """Every address of the range is taken."""


@db_api.reader
def get(context, instance_id):
    """The ``LocalServer`` of an instance, or None."""
    return context.session.query(models.LocalServer).filter_by(
        instance_id=instance_id).first()


@db_api.reader
def list_servers(context, host=None):
    """Every ``LocalServer`` (of ``host`` when given)."""
    query = context.session.query(models.LocalServer)
    if host is not None:
        query = query.filter_by(host=host)
    return query.order_by(models.LocalServer.created).all()


@db_api.reader
def _used_addresses(context):
    return {row.address for row in
            context.session.query(models.LocalServer.address).all()}


@db_api.writer
def _insert(context, instance_id, address, path, host):
    server = models.LocalServer(id=str(uuid.uuid4()), instance_id=instance_id,
                                address=address, path=path, host=host)
    context.session.add(server)
    context.session.flush()
    return server


def allocate(context, instance_id, path, host, address_range, usable=None):
    """Reserve the lowest free address of ``address_range`` for an instance.

    Returns the instance's existing row when it has one, so a retried
    create keeps its address.

    :param address_range: a network in CIDR notation.
    :param usable: ``usable(address)`` says whether the host lets the
        instance have an address no row holds (nothing else listens on it);
        addresses it refuses are skipped.
    :returns: the ``LocalServer``.
    :raises AddressRangeExhausted: no free address is left, or the first
        ``MAX_BUSY`` free ones are all taken by something else.
    """
    network = ipaddress.ip_network(address_range)
    for _attempt in range(ALLOCATE_ATTEMPTS):
        existing = get(context, instance_id)
        if existing is not None:
            return existing
        used = _used_addresses(context)
        address = _first_usable(network, used, usable)
        if address is None:
            raise AddressRangeExhausted(address_range)
        try:
            return _insert(context, instance_id, address, path, host)
        except db_exception.DBDuplicateEntry:
            # NOTE(races): another taskmanager took this address (or this
            # instance got a row) between our read and our insert.
            continue
    raise AddressRangeExhausted(address_range)


def _first_usable(network, used, usable):
    busy = 0
    for candidate in network.hosts():
        address = str(candidate)
        if address in used:
            continue
        if usable is None or usable(address):
            return address
        busy += 1
        if busy >= MAX_BUSY:
            # NOTE(local): something holds the port on every address (a
            # server bound to 0.0.0.0, say); scanning on would not help.
            return None
    return None


@db_api.writer
def delete(context, instance_id):
    """Free an instance's address; no error when it has none."""
    context.session.query(models.LocalServer).filter_by(
        instance_id=instance_id).delete(synchronize_session=False)


@db_api.writer
def set_host(context, instance_id, host):
    """Move a server to ``host`` (its taskmanager took the instance over
    from another that died).
    """
    context.session.query(models.LocalServer).filter_by(
        instance_id=instance_id).update({'host': host},
                                        synchronize_session=False)
