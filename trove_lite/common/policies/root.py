"""Policy rules for the superuser of an instance (upstream's names)."""

from trove_lite.common.policies import base

PATH = '/v1.0/{project_id}/instances/{instance_id}/root'


rules = [
    base.reader('instance:extension:root:index',
                'Show whether root is enabled on an instance.', base.op('GET', PATH)),
    base.member('instance:extension:root:create',
                'Enable root on an instance (returns its password).',
                base.op('POST', PATH)),
    base.member('instance:extension:root:delete',
                'Disable root on an instance.', base.op('DELETE', PATH)),
]


def list_rules():
    return rules
