"""Shapes of backups (upstream's BackupView) and backup strategies.

``size`` is the stored stream's size in GB (a float), as upstream shows
it. A backup that FAILED or could not be deleted also shows ``fault``
(``{"message", "created"}``), why it did: trove_lite's addition, so that
the owner is told what went wrong rather than left to guess. There is no
``restore_from`` registration here (its request is answered 501), so no
backup is ever RESTORED.
"""

import collections

from trove_lite.api.views import common
from trove_lite.common import states

# A backup row, its datastore version (or None) and its fault (or None).
BackupFacts = collections.namedtuple('BackupFacts', 'row version fault')

_SHOWS_FAULT = frozenset([states.BACKUP_FAILED.code,
                          states.BACKUP_DELETE_FAILED.code])


def shows_fault(row):
    """Whether the view of ``row`` shows why it failed."""
    return row.state in _SHOWS_FAULT


def backup(facts):
    """One backup."""
    row = facts.row
    view = {
        'id': row.id,
        'name': row.name,
        'description': row.description,
        'locationRef': row.location,
        'instance_id': row.instance_id,
        'created': common.timestamp(row.created),
        'updated': common.timestamp(row.updated),
        'size': row.size,
        'status': row.state,
        'parent_id': row.parent_id,
        'project_id': row.tenant_id,
    }
    if facts.version is not None:
        view['datastore'] = {'type': facts.version.datastore.name,
                             'version': facts.version.name,
                             'version_id': facts.version.id}
    if facts.fault is not None and shows_fault(row):
        view['fault'] = {'message': facts.fault.message,
                         'created': common.timestamp(facts.fault.created)}
    return view


def strategy(row):
    """One backup strategy."""
    return {'project_id': row.tenant_id, 'instance_id': row.instance_id,
            'backend': row.backend, 'swift_container': row.swift_container}
