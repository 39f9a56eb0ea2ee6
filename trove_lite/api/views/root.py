"""Shapes of root: the enabled user, whether it is enabled, its history."""

from trove_lite.api.views import common


def root_user(name, password):
    """``POST …/root``: the superuser and its (new) password."""
    return {'user': {'name': name, 'password': password}}


def root_enabled(enabled):
    """``GET …/root``."""
    return {'rootEnabled': bool(enabled)}


def root_history(instance_id, row):
    """``GET /mgmt/instances/{id}/root`` (upstream's RootHistoryView)."""
    if row is None:
        return {'root_history': {'id': instance_id, 'enabled': 'Never',
                                 'user': 'Nobody'}}
    return {'root_history': {'id': instance_id,
                             'enabled': common.timestamp(row.created),
                             'user': row.user or 'Nobody'}}
