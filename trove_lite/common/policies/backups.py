"""Policy rules for backups and backup strategies (upstream's names).

A backup's target is its owner's project (the project of the instance it
was taken of); a list or a create is checked against the caller's.
Listing every project's backups, or another project's, is an
administrator's (``backup:index:all_projects``).
"""

from trove_lite.common.policies import base

PATH = '/v1.0/{project_id}/backups'
BACKUP = PATH + '/{backup_id}'
STRATEGIES = '/v1.0/{project_id}/backup_strategies'

rules = [
    base.member('backup:create', 'Create a backup of a database instance.',
                base.op('POST', PATH)),
    base.reader('backup:index', 'List backups.', base.op('GET', PATH)),
    base.admin('backup:index:all_projects',
               'List the backups of every project, or of another project '
               '(the all_projects and project_id filters); checked in '
               'addition to backup:index.',
               base.op('GET', PATH)),
    base.reader('backup:show', 'Show a backup.', base.op('GET', BACKUP)),
    base.member('backup:delete',
                'Delete a backup, and the incremental backups built on it.',
                base.op('DELETE', BACKUP)),
    base.member('backup_strategy:create',
                'Set the Swift container of the backups of a project, or of '
                'one of its instances.',
                base.op('POST', STRATEGIES)),
    base.reader('backup_strategy:index', 'List backup strategies.',
                base.op('GET', STRATEGIES)),
    base.member('backup_strategy:delete', 'Delete a backup strategy.',
                base.op('DELETE', STRATEGIES)),
]


def list_rules():
    return rules
