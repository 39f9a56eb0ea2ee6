"""Shapes of the management quota API (upstream's)."""


def quotas(per_resource):
    """``{"quotas": [{resource, in_use, reserved, limit}]}``.

    :param per_resource: ``{resource: (in_use, reserved, limit)}``.
    """
    return {'quotas': [
        {'resource': resource, 'in_use': in_use, 'reserved': reserved,
         'limit': limit}
        for resource, (in_use, reserved, limit)
        in sorted(per_resource.items())]}


def updated(hard_limits):
    """``{"quotas": {resource: limit}}`` of the resources changed."""
    return {'quotas': dict(hard_limits)}
