"""Root history: whether and since when root is enabled on an instance.

One row per instance (``id`` is the instance id), as upstream keeps it in
``root_enabled_history``. Root counts as enabled while the row exists and
was not deleted after it was (last) created: enabling keeps an enabled
row, or revives a disabled one with a new ``created`` and user; disabling
stamps ``deleted_at``. The row outlives the instance, as upstream's does,
for the management API's ``root_history``.
"""

from trove_lite.db import api as db_api
from trove_lite.db import models


def is_enabled(row):
    """Whether a history row (or None) says root is enabled now."""
    if row is None:
        return False
    return row.deleted_at is None or row.deleted_at < row.created


@db_api.reader
def get(context, instance_id):
    """The history row of an instance, or None if root was never enabled."""
    return context.session.get(models.RootEnabledHistory, instance_id)


@db_api.writer
def enable(context, instance_id, user_id):
    """Record that ``user_id`` enabled root; keeps an enabled row as it is.

    :returns: the row.
    """
    row = context.session.get(models.RootEnabledHistory, instance_id)
    now = models.utcnow()
    if row is None:
        row = models.RootEnabledHistory(id=instance_id, user=user_id,
                                        created=now)
        context.session.add(row)
    elif not is_enabled(row):
        # NOTE(root): MySQL keeps whole seconds; clearing deleted_at keeps a
        # disable and re-enable within one second from reading as disabled.
        row.created = now
        row.user = user_id
        row.deleted_at = None
    context.session.flush()
    return row


@db_api.writer
def disable(context, instance_id):
    """Record that root was disabled.

    :returns: False when root was not enabled (nothing changed).
    """
    row = context.session.get(models.RootEnabledHistory, instance_id)
    if not is_enabled(row):
        return False
    row.deleted_at = max(models.utcnow(), row.created)
    context.session.flush()
    return True
