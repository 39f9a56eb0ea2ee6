"""Shapes of backup schedules (trove_lite's extension under an instance)."""

from trove_lite.api.views import common


def schedule(row):
    """One schedule, as every route shows it."""
    return {
        'id': row.id,
        'instance_id': row.instance_id,
        'project_id': row.tenant_id,
        'name': row.name,
        'description': row.description,
        'pattern': row.pattern,
        'keep': row.keep,
        'incremental': bool(row.incremental),
        'next_run': common.timestamp(row.next_run),
        'last_run': common.timestamp(row.last_run),
        'last_backup_id': row.last_backup_id,
        'created': common.timestamp(row.created),
        'updated': common.timestamp(row.updated),
    }


def one(row):
    """``POST`` and ``GET …/backup_schedules/{id}``."""
    return {'backup_schedule': schedule(row)}


def many(rows):
    """``GET …/backup_schedules``."""
    return {'backup_schedules': [schedule(row) for row in rows]}
