"""Policy rules for the databases of an instance (upstream's names)."""

from trove_lite.common.policies import base

PATH = '/v1.0/{project_id}/instances/{instance_id}/databases'


rules = [
    base.reader('instance:extension:database:index',
                'List the databases of an instance.', base.op('GET', PATH)),
    base.member('instance:extension:database:create',
                'Create databases on an instance.', base.op('POST', PATH)),
    base.member('instance:extension:database:delete',
                'Delete a database of an instance.',
                base.op('DELETE', PATH + '/{database}')),
    base.reader('instance:extension:database:show',
                'Show a database of an instance (not implemented, as '
                'upstream).', base.op('GET', PATH + '/{database}')),
]


def list_rules():
    return rules
