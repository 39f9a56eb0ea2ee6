"""Configuration groups: named sets of parameter values of a project.

A group belongs to one project and one datastore version; its values
live one row each in ``configuration_parameters`` (the key, and the
value JSON-encoded so that its type survives: ``5``, ``"5"`` and
``true`` are different values to a datastore). Instances name the group
attached to them in ``instances.configuration_id``.

A change of values replaces the rows it changes and removes those it
drops (upstream soft-deleted removed keys and then kept serving them,
bug 1449238: here a removed key is gone). A group is deleted only while
no live instance has it attached; the check and the delete run in one
transaction with the group's row locked, and ``attach`` locks it too, so
an attach cannot slip in between.
"""

import json
import uuid

from trove_lite.common import exception
from trove_lite.db import api as db_api
from trove_lite.db import models

Group = models.Configuration
Value = models.ConfigurationParameter


def _live(session):
    return session.query(Group).filter(Group.deleted.is_(False))


@db_api.writer
def create(context, project_id, name, description, version_id, values):
    """A new group with ``values`` (``{key: JSON value}``, checked)."""
    group = Group(id=str(uuid.uuid4()), name=name, description=description,
                  tenant_id=project_id, datastore_version_id=version_id)
    context.session.add(group)
    context.session.flush()
    _write_values(context.session, group.id, values)
    return group


@db_api.reader
def get(context, group_id, project_id=None, lock=False):
    """A live group, of ``project_id`` when given.

    :raises ConfigurationNotFound: none (or another project's).
    """
    query = _live(context.session).filter(Group.id == group_id)
    if project_id is not None:
        query = query.filter(Group.tenant_id == project_id)
    if lock:
        query = query.with_for_update()
    group = query.first()
    if group is None:
        raise exception.ConfigurationNotFound(uuid=group_id)
    return group


@db_api.reader
def list_page(context, project_id=None, limit=None, marker=None):
    """Live groups in id order, of ``project_id`` (None: every project's);
    ``marker`` is the id of the last one already seen.
    """
    query = _live(context.session)
    if project_id is not None:
        query = query.filter(Group.tenant_id == project_id)
    if marker:
        query = query.filter(Group.id > marker)
    query = query.order_by(Group.id)
    if limit:
        query = query.limit(limit)
    return query.all()


@db_api.reader
def names(context, group_ids):
    """``{id: name}`` of the groups of ``group_ids`` (live or not)."""
    if not group_ids:
        return {}
    rows = context.session.query(Group.id, Group.name).filter(
        Group.id.in_(sorted(set(group_ids))))
    return {row.id: row.name for row in rows}


@db_api.reader
def values(context, group_id):
    """``{key: value}`` of a group."""
    rows = context.session.query(Value).filter_by(
        configuration_id=group_id, deleted=False)
    return {row.configuration_key: json.loads(row.configuration_value)
            for row in rows}


@db_api.writer
def update(context, group_id, new_values, name=None, description=None):
    """Make ``new_values`` the group's whole set; rename it when asked.

    :returns: ``(old values, new values)``.
    """
    group = get(context, group_id, lock=True)
    old = values(context, group_id)
    if name is not None:
        group.name = name
    if description is not None:
        group.description = description
    group.updated = models.utcnow()
    context.session.query(Value).filter_by(
        configuration_id=group_id).delete()
    _write_values(context.session, group_id, new_values)
    return old, dict(new_values)


@db_api.reader
def attached(context, group_id, limit=None, marker=None):
    """Live instances the group is attached to, in id order."""
    query = context.session.query(models.Instance).filter(
        models.Instance.configuration_id == group_id,
        models.Instance.deleted.is_(False))
    if marker:
        query = query.filter(models.Instance.id > marker)
    query = query.order_by(models.Instance.id)
    if limit:
        query = query.limit(limit)
    return query.all()


@db_api.writer
def delete(context, group_id, project_id=None):
    """Delete a group no live instance has attached.

    :raises ConfigurationNotFound: no such group.
    :raises InstanceAssignedToConfiguration: it is attached (400).
    """
    group = get(context, group_id, project_id=project_id, lock=True)
    users = attached(context, group_id)
    if users:
        raise exception.InstanceAssignedToConfiguration(
            uuid=group_id, instances=', '.join(row.id for row in users))
    context.session.query(Value).filter_by(
        configuration_id=group_id).delete()
    group.deleted = True
    group.deleted_at = models.utcnow()


@db_api.writer
def attach(context, instance_id, group_id):
    """Record ``group_id`` (None: none) as the instance's group.

    The group's row is locked, so that a delete of the group cannot pass
    its "not attached" check meanwhile.

    :raises ConfigurationNotFound: the group was deleted meanwhile.
    """
    if group_id is not None:
        get(context, group_id, lock=True)
    context.session.query(models.Instance).filter_by(
        id=instance_id, deleted=False).update(
        {'configuration_id': group_id}, synchronize_session=False)


def _write_values(session, group_id, values):
    for key, value in sorted(values.items()):
        session.add(Value(configuration_id=group_id, configuration_key=key,
                          configuration_value=json.dumps(value)))
    session.flush()
