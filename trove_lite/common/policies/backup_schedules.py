"""Policy rules for the backup schedules of an instance (trove_lite's own
extension, so there is no older default to deprecate).
"""

from trove_lite.common.policies import base

PATH = '/v1.0/{project_id}/instances/{instance_id}/backup_schedules'
ONE = PATH + '/{schedule_id}'


rules = [
    base.reader('backup_schedule:index',
                'List the backup schedules of an instance.',
                base.op('GET', PATH), old=None),
    base.reader('backup_schedule:show', 'Show a backup schedule.',
                base.op('GET', ONE), old=None),
    base.member('backup_schedule:create',
                'Schedule periodic backups of an instance, with how many '
                'to keep.', base.op('POST', PATH), old=None),
    base.member('backup_schedule:delete',
                'Delete a backup schedule (its backups stay).',
                base.op('DELETE', ONE), old=None),
]


def list_rules():
    return rules
