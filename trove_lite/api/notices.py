"""The operation notifications of API requests, with upstream's fields.

Controllers wrap the mutating part of a request in one of these
(``with notices.operation(...) as notice:``): ``start`` when the request
is accepted, then ``end`` or ``error`` (``common.notifications``). Which
fields each operation carries is decided here, so controllers stay thin
and the payloads stay upstream's; nothing here ever puts a password in
one.
"""

from oslo_config import cfg

from trove_lite.common import notifications


def operation(req, ctx, event, **traits):
    """The ``Operation`` ``event`` of ``req`` (not started yet)."""
    return notifications.Operation.for_request(ctx, event, req, **traits)


def instance_create(req, ctx, spec, resolved):
    """``dbaas.instance_create``: the request's arguments, names only for
    the initial databases and users.
    """
    return operation(
        req, ctx, notifications.INSTANCE_CREATE,
        name=spec['name'], flavor_id=resolved.flavor.id,
        datastore=resolved.datastore.name,
        datastore_version=resolved.version.name,
        image_id=resolved.version.image_id,
        availability_zone=spec.get('availability_zone'),
        region_name=cfg.CONF.os_region_name,
        volume_size=resolved.volume_size,
        databases=[database['name'] for database in resolved.databases],
        users=[user['name'] for user in resolved.users])


def instance(req, ctx, event, instance_id, **traits):
    """An operation on one instance (delete, restart, update, ...)."""
    return operation(req, ctx, event, instance_id=instance_id, **traits)


def unannounced(ctx):
    """An operation upstream sends no notification of (a change of an
    instance's access): disabled, so the flow that ends it sends nothing
    either.
    """
    return notifications.Operation(ctx, None, notifications.API, None)


def joined(names):
    """Several names in one field, comma-separated as upstream sends
    ``dbname`` and ``username``.
    """
    return ','.join(names)
