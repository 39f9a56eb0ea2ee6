"""Policy rules for the superuser of an instance (upstream's names)."""

from trove_lite.common.policies import base

PATH = '/v1.0/{project_id}/instances/{instance_id}/root'


def _op(method):
    return [{'path': PATH, 'method': method}]


rules = [
    base.reader('instance:extension:root:index',
                'Show whether root is enabled on an instance.', _op('GET')),
    base.member('instance:extension:root:create',
                'Enable root on an instance (returns its password).',
                _op('POST')),
    base.member('instance:extension:root:delete',
                'Disable root on an instance.', _op('DELETE')),
]


def list_rules():
    return rules
